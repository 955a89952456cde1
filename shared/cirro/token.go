package cirro

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/popsockets/integration/shared/fault"
)

// tokenCache holds the access token. Callers that find it missing or due
// for refresh share one fetch; the fetch runs detached from the caller that
// started it, so one caller's cancellation does not fail the others.
type tokenCache struct {
	fetch   func(ctx context.Context) (Token, error)
	now     func() time.Time
	timeout time.Duration

	mu        sync.Mutex
	token     string
	refreshAt time.Time
	flight    *tokenFlight
}

type tokenFlight struct {
	done  chan struct{}
	token string
	err   error
}

// get returns a valid token, fetching one if needed.
func (t *tokenCache) get(ctx context.Context) (string, error) {
	t.mu.Lock()
	if t.token != "" && t.now().Before(t.refreshAt) {
		token := t.token
		t.mu.Unlock()
		return token, nil
	}
	f := t.flight
	if f == nil {
		f = &tokenFlight{done: make(chan struct{})}
		t.flight = f
		go t.run(context.WithoutCancel(ctx), f)
	}
	t.mu.Unlock()
	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		return "", fault.Transient(fmt.Errorf("waiting for a Cirro token: %w", ctx.Err()), 0)
	}
}

func (t *tokenCache) run(ctx context.Context, f *tokenFlight) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	tok, err := t.fetch(ctx)
	now := t.now()
	t.mu.Lock()
	t.flight = nil
	if err == nil {
		exp := time.Unix(tok.ExpiredAt, 0)
		margin := min(tokenRefreshMargin, max(exp.Sub(now)/2, 0))
		t.token, t.refreshAt = tok.AccessToken, exp.Add(-margin)
		f.token = tok.AccessToken
	}
	f.err = err
	t.mu.Unlock()
	close(f.done)
}

// invalidate forgets token if it is still the cached one, so that the next
// get fetches a new one; a token already replaced is left alone.
func (t *tokenCache) invalidate(token string) {
	t.mu.Lock()
	if t.token == token {
		t.token, t.refreshAt = "", time.Time{}
	}
	t.mu.Unlock()
}
