package cirro

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTokenCache(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	t.Run("ConcurrentCallersShareOneFetchAndACancelledOneLeavesItRunning", func(t *testing.T) {
		t.Parallel()
		var fetches atomic.Int32
		release := make(chan struct{})
		tc := &tokenCache{now: clock, timeout: time.Minute, fetch: func(ctx context.Context) (Token, error) {
			fetches.Add(1)
			select {
			case <-release:
			case <-ctx.Done():
				return Token{}, ctx.Err()
			}
			return Token{AccessToken: "tok-1", ExpiredAt: now.Add(time.Hour).Unix()}, nil
		}}
		cctx, cancel := context.WithCancel(t.Context())
		gaveUp := make(chan error, 1)
		go func() {
			_, err := tc.get(cctx)
			gaveUp <- err
		}()
		var wg sync.WaitGroup
		got := make(chan string, 10)
		for range 10 {
			wg.Go(func() {
				tok, err := tc.get(t.Context())
				if err == nil {
					got <- tok
				}
			})
		}
		cancel()
		require.ErrorIs(t, <-gaveUp, context.Canceled)
		close(release)
		wg.Wait()
		close(got)
		n := 0
		for tok := range got {
			require.Equal(t, "tok-1", tok)
			n++
		}
		require.Equal(t, 10, n, "the others got the token of the one fetch")
		require.Equal(t, int32(1), fetches.Load())
		tok, err := tc.get(t.Context())
		require.NoError(t, err)
		require.Equal(t, "tok-1", tok)
		require.Equal(t, int32(1), fetches.Load(), "cached")
	})

	t.Run("InvalidateForcesANewFetchOnlyForTheCurrentToken", func(t *testing.T) {
		t.Parallel()
		var fetches atomic.Int32
		tc := &tokenCache{now: clock, timeout: time.Minute, fetch: func(context.Context) (Token, error) {
			n := fetches.Add(1)
			return Token{AccessToken: "tok-" + string(rune('0'+n)), ExpiredAt: now.Add(time.Hour).Unix()}, nil
		}}
		first, err := tc.get(t.Context())
		require.NoError(t, err)
		tc.invalidate(first)
		second, err := tc.get(t.Context())
		require.NoError(t, err)
		require.NotEqual(t, first, second)
		tc.invalidate(first) // stale: already replaced
		again, err := tc.get(t.Context())
		require.NoError(t, err)
		require.Equal(t, second, again)
		require.Equal(t, int32(2), fetches.Load())
	})

	t.Run("AFailedFetchIsNotCached", func(t *testing.T) {
		t.Parallel()
		var fetches atomic.Int32
		tc := &tokenCache{now: clock, timeout: time.Minute, fetch: func(context.Context) (Token, error) {
			if fetches.Add(1) == 1 {
				return Token{}, errors.New("cirro is down")
			}
			return Token{AccessToken: "tok", ExpiredAt: now.Add(time.Hour).Unix()}, nil
		}}
		_, err := tc.get(t.Context())
		require.ErrorContains(t, err, "cirro is down")
		tok, err := tc.get(t.Context())
		require.NoError(t, err)
		require.Equal(t, "tok", tok)
	})
}
