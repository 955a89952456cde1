package fakeserver_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fakeserver"
)

// start serves a Front whose own answer is 201 "made" and counts effects.
func start(t *testing.T, f *fakeserver.Front) (string, *atomic.Int32) {
	t.Helper()
	var effects atomic.Int32
	srv := httptest.NewServer(f.Handler(func(r *http.Request, body []byte) fakeserver.Answer {
		again, _ := io.ReadAll(r.Body)
		if string(again) != string(body) {
			return fakeserver.Answer{Status: http.StatusInternalServerError}
		}
		effects.Add(1)
		return fakeserver.JSON(http.StatusCreated, map[string]string{"made": string(body)})
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(f.Close)
	return srv.URL, &effects
}

func post(t *testing.T, ctx context.Context, url, path, key, body string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+path, strings.NewReader(body))
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		t.Cleanup(func() { _ = resp.Body.Close() })
	}
	return resp, err
}

func TestFront(t *testing.T) {
	t.Parallel()

	t.Run("RecordsEveryCallWithItsStatus", func(t *testing.T) {
		t.Parallel()
		f := &fakeserver.Front{IdempotencyHeader: "Idempotency-Key"}
		url, effects := start(t, f)
		resp, err := post(t, t.Context(), url, "/orders", "k1", `{"a":1}`)
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		require.Equal(t, []fakeserver.Call{{Method: http.MethodPost, Path: "/orders", IdempotencyKey: "k1", Body: []byte(`{"a":1}`), Status: 201}}, f.Calls())
		require.Equal(t, int32(1), effects.Load())
	})

	t.Run("ToldAnswersComeInOrderAsManyTimesAsToldWithoutEffect", func(t *testing.T) {
		t.Parallel()
		f := &fakeserver.Front{}
		url, effects := start(t, f)
		f.Tell(fakeserver.Failure(http.StatusServiceUnavailable, []byte("down")), 2)
		f.TellFunc(1, func(r *http.Request, body []byte) fakeserver.Answer {
			return fakeserver.Answer{Status: http.StatusTeapot, Body: []byte("echo " + string(body))}
		})
		var got []int
		for range 4 {
			resp, err := post(t, t.Context(), url, "/x", "", "b")
			require.NoError(t, err)
			got = append(got, resp.StatusCode)
			if resp.StatusCode == http.StatusServiceUnavailable {
				require.Equal(t, "1", resp.Header.Get("Retry-After"))
				require.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
			}
			if resp.StatusCode == http.StatusTeapot {
				b, _ := io.ReadAll(resp.Body)
				require.Equal(t, "echo b", string(b))
			}
		}
		require.Equal(t, []int{503, 503, 418, 201}, got)
		require.Equal(t, int32(1), effects.Load())
	})

	t.Run("ScopeLimitsToldAnswers", func(t *testing.T) {
		t.Parallel()
		f := &fakeserver.Front{Scope: func(r *http.Request) bool { return r.URL.Path == "/orders" }}
		url, _ := start(t, f)
		f.Tell(fakeserver.Answer{Status: http.StatusBadGateway}, 1)
		resp, err := post(t, t.Context(), url, "/token", "", "")
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		resp, err = post(t, t.Context(), url, "/orders", "", "")
		require.NoError(t, err)
		require.Equal(t, http.StatusBadGateway, resp.StatusCode)
	})

	t.Run("AHoldBeforeTheAnswerLeavesNoEffectWhenTheCallerGivesUp", func(t *testing.T) {
		t.Parallel()
		f := &fakeserver.Front{}
		url, effects := start(t, f)
		f.Delay(time.Minute)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := post(t, ctx, url, "/x", "", "")
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Eventually(t, func() bool { return len(f.Calls()) == 1 }, 5*time.Second, 5*time.Millisecond)
		require.Zero(t, f.Calls()[0].Status)
		require.Zero(t, effects.Load())
	})

	t.Run("AHoldAfterTheAnswerLeavesTheEffect", func(t *testing.T) {
		t.Parallel()
		f := &fakeserver.Front{HoldAfter: true}
		url, effects := start(t, f)
		f.Delay(time.Minute)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := post(t, ctx, url, "/x", "", "")
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Eventually(t, func() bool { return effects.Load() == 1 }, 5*time.Second, 5*time.Millisecond)
	})

	t.Run("CloseReleasesHeldRequests", func(t *testing.T) {
		t.Parallel()
		f := &fakeserver.Front{}
		url, _ := start(t, f)
		f.Delay(time.Hour)
		errc := make(chan error, 1)
		go func() {
			resp, err := http.Post(url+"/x", "application/json", strings.NewReader(""))
			if err == nil {
				_ = resp.Body.Close()
			}
			errc <- err
		}()
		require.Eventually(t, func() bool { return len(f.Calls()) == 1 }, 5*time.Second, 5*time.Millisecond)
		f.Close()
		select {
		case <-errc: // answered empty or cut: either way, let go
		case <-time.After(10 * time.Second):
			t.Fatal("Close did not release the held request")
		}
	})
}
