package printstationtest

import "context"

type bodyKey struct{}

func withBody(ctx context.Context, b []byte) context.Context {
	return context.WithValue(ctx, bodyKey{}, b)
}

// Body is the request body the front already read.
func Body(ctx context.Context) []byte { b, _ := ctx.Value(bodyKey{}).([]byte); return b }
