package cirro

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/popsockets/integration/shared/fault"
)

// tokenCache holds the access token. Callers that find it missing or due
// for refresh share one fetch (singleflight); the fetch runs detached from
// the caller that started it, so one caller's cancellation does not fail
// the others, and each caller waits only as long as its own ctx allows.
type tokenCache struct {
	fetch   func(ctx context.Context) (Token, error)
	now     func() time.Time
	timeout time.Duration

	flight singleflight.Group

	mu        sync.Mutex
	token     string
	refreshAt time.Time
}

// get returns a valid token, fetching one if needed.
func (t *tokenCache) get(ctx context.Context) (string, error) {
	if token, ok := t.cached(); ok {
		return token, nil
	}
	// DoChan runs the fetch in its own goroutine: a caller that gives up
	// leaves it running for the others.
	ch := t.flight.DoChan("token", func() (any, error) {
		// A flight that ended between cached() and DoChan has already
		// refreshed the token: do not fetch it twice.
		if token, ok := t.cached(); ok {
			return token, nil
		}
		return t.refresh(context.WithoutCancel(ctx))
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return "", res.Err
		}
		return res.Val.(string), nil
	case <-ctx.Done():
		return "", fault.Transient(fmt.Errorf("waiting for a Cirro token: %w", ctx.Err()), 0)
	}
}

// cached returns the token if it is not due for refresh.
func (t *tokenCache) cached() (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && t.now().Before(t.refreshAt) {
		return t.token, true
	}
	return "", false
}

// refresh fetches a token, bounded by the timeout, and keeps it.
func (t *tokenCache) refresh(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	tok, err := t.fetch(ctx)
	if err != nil {
		return "", err
	}
	now := t.now()
	exp := time.Unix(tok.ExpiredAt, 0)
	margin := min(tokenRefreshMargin, max(exp.Sub(now)/2, 0))
	t.mu.Lock()
	t.token, t.refreshAt = tok.AccessToken, exp.Add(-margin)
	t.mu.Unlock()
	return tok.AccessToken, nil
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
