package data

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/snowflake"
	"github.com/popsockets/integration/shared/staging"
)

// loaderFunc is a SnowflakeLoader made of a function.
type loaderFunc func(ctx context.Context, name string, d staging.Dataset) (snowflake.Result, error)

func (f loaderFunc) Load(ctx context.Context, name string, d staging.Dataset) (snowflake.Result, error) {
	return f(ctx, name, d)
}

func TestSnowflakeAnswersBecomeLoads(t *testing.T) {
	name := "orders/2026-12-04/since-abc-0001.ndjson.gz"
	f := StagedFile{Name: name, Part: mustPart(t, name)}
	var asked []string
	sf := &Snowflake{Loader: loaderFunc(func(_ context.Context, n string, d staging.Dataset) (snowflake.Result, error) {
		asked = append(asked, n+" "+d.Name)
		switch len(asked) {
		case 1:
			return snowflake.Result{Rows: 7}, nil
		case 2:
			return snowflake.Result{Skipped: true}, nil
		case 3:
			return snowflake.Result{}, &snowflake.CopyError{File: n, Err: errors.New("Numeric value 'x' is not recognized"),
				Rows: []snowflake.Rejected{{Line: 3, Column: `"ORDERS_STAGE"["CREATED_AT":8]`, Message: "Timestamp 'soon' is not recognized"}}}
		default:
			return snowflake.Result{}, fault.Transient(errors.New("connection reset"), 0)
		}
	})}
	l := &Load{Warehouse: sf}
	res, err := sf.Load(context.Background(), f)
	require.NoError(t, err)
	require.Equal(t, Loaded{Rows: 7}, res)
	res, err = sf.Load(context.Background(), f)
	require.NoError(t, err)
	require.True(t, res.Skipped)

	err = l.Handle(context.Background(), blobOf(name, []byte("gz")))
	require.Equal(t, fault.ClassPermanent, fault.ClassOf(err), "a file Snowflake refuses is parked")
	var rej *RejectedFile
	require.True(t, errors.As(err, &rej))
	require.Equal(t, []Rejected{{Line: 3, Column: `"ORDERS_STAGE"["CREATED_AT":8]`, Message: "Timestamp 'soon' is not recognized"}}, rej.Rows)
	require.Contains(t, err.Error(), "line 3 column")

	err = l.Handle(context.Background(), blobOf(name, []byte("gz")))
	require.Equal(t, fault.ClassTransient, fault.ClassOf(err), "anything else is retried")
	require.Equal(t, []string{name + " orders", name + " orders", name + " orders", name + " orders"}, asked)
}
