package partnerhttp_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/partnerhttp"
)

func TestBaseURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw, want, err string
	}{
		{"", "", "PARTNER_BASE_URL is not set"},
		{"  ", "", "PARTNER_BASE_URL is not set"},
		{"partner.example.com", "", "PARTNER_BASE_URL is not an absolute http(s) URL"},
		{"ftp://partner.example.com", "", "is not an absolute http(s) URL"},
		{"https://partner.example.com/?key=SECRET", "", "PARTNER_BASE_URL must not have a query or a fragment"},
		{"https://partner.example.com/#x", "", "must not have a query or a fragment"},
		{" https://partner.example.com/api/v3/ ", "https://partner.example.com/api/v3", ""},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", ""},
	} {
		got, err := partnerhttp.BaseURL("PARTNER_BASE_URL", tc.raw)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.raw)
			require.NotContains(t, err.Error(), "SECRET")
			continue
		}
		require.NoError(t, err, tc.raw)
		require.Equal(t, tc.want, got)
	}
}

func TestDo(t *testing.T) {
	t.Parallel()
	t.Run("SendsJSONWithTheCredentialAndTheKey", func(t *testing.T) {
		t.Parallel()
		got := make(chan *http.Request, 1)
		bodies := make(chan string, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			got <- r
			bodies <- string(b)
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"ok":true}`))
		}))
		t.Cleanup(srv.Close)
		c := partnerhttp.New(partnerhttp.Config{Partner: "P", BaseURL: srv.URL + "/v1",
			Header: http.Header{"X-Api-Key": {"key-123"}}, Timeout: 5 * time.Second})
		a, err := c.Do(t.Context(), partnerhttp.Request{Method: http.MethodPost, Path: "/orders", Body: map[string]int{"n": 1},
			IdempotencyKey: "msg-1", Header: http.Header{partnerhttp.HeaderAuthorization: {"Bearer tok"}}})
		require.NoError(t, err)
		require.True(t, a.OK())
		require.False(t, a.Cut)
		require.JSONEq(t, `{"ok":true}`, string(a.Body))
		r := <-got
		require.Equal(t, "/v1/orders", r.URL.Path)
		require.Equal(t, "key-123", r.Header.Get("X-Api-Key"))
		require.Equal(t, "Bearer tok", r.Header.Get("Authorization"))
		require.Equal(t, "msg-1", r.Header.Get("Idempotency-Key"))
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		require.Equal(t, "application/json", r.Header.Get("Accept"))
		require.JSONEq(t, `{"n":1}`, <-bodies)
	})
	t.Run("RawBodyIsSentAsItIs", func(t *testing.T) {
		t.Parallel()
		bodies := make(chan string, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			bodies <- string(b)
		}))
		t.Cleanup(srv.Close)
		c := partnerhttp.New(partnerhttp.Config{Partner: "P", BaseURL: srv.URL})
		_, err := c.Do(t.Context(), partnerhttp.Request{Method: http.MethodPost, Body: []byte(`{"b":2,"a":1}`)})
		require.NoError(t, err)
		require.Equal(t, `{"b":2,"a":1}`, <-bodies)
	})
	t.Run("UnencodableBodyIsPermanentWithoutACall", func(t *testing.T) {
		t.Parallel()
		c := partnerhttp.New(partnerhttp.Config{Partner: "P", BaseURL: "http://127.0.0.1:1"})
		_, err := c.Do(t.Context(), partnerhttp.Request{Method: http.MethodPost, Body: func() {}})
		require.ErrorIs(t, err, fault.ErrPermanent)
	})
	t.Run("NoAnswerIsTransientWithoutTheURL", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := l.Addr().String()
		require.NoError(t, l.Close())
		c := partnerhttp.New(partnerhttp.Config{Partner: "P", BaseURL: "http://" + addr + "/hook?sig=SECRET"})
		_, err = c.Do(t.Context(), partnerhttp.Request{Method: http.MethodPost})
		require.ErrorIs(t, err, fault.ErrTransient)
		require.ErrorContains(t, err, "reaching P")
		require.NotContains(t, err.Error(), "SECRET")
	})
	t.Run("TimeoutIsTransientAndSaysHowLong", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) })
		c := partnerhttp.New(partnerhttp.Config{Partner: "P", BaseURL: srv.URL, Timeout: 50 * time.Millisecond})
		_, err := c.Do(t.Context(), partnerhttp.Request{Method: http.MethodGet})
		require.ErrorIs(t, err, fault.ErrTransient)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorContains(t, err, "P did not answer within 50ms")
	})
	t.Run("OversizedAnswerIsCut", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(strings.Repeat("x", partnerhttp.MaxAnswer+10)))
		}))
		t.Cleanup(srv.Close)
		c := partnerhttp.New(partnerhttp.Config{Partner: "P", BaseURL: srv.URL})
		a, err := c.Do(t.Context(), partnerhttp.Request{Method: http.MethodGet})
		require.NoError(t, err)
		require.True(t, a.Cut)
		require.Len(t, a.Body, partnerhttp.MaxAnswer)
	})
}

func TestFailure(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	c := partnerhttp.New(partnerhttp.Config{Partner: "P", CredentialSetting: "P_API_KEY", Now: func() time.Time { return now }})
	cause := errors.New("P answered")
	for _, tc := range []struct {
		status     int
		retryAfter string
		class      error
		retry      time.Duration
		message    string
	}{
		{401, "", fault.ErrTransient, 0, "P credentials refused (HTTP 401; P_API_KEY may be mid-rotation)"},
		{403, "", fault.ErrTransient, 0, "credentials refused (HTTP 403"},
		{429, "7", fault.ErrTransient, 7 * time.Second, ""},
		{503, now.Add(time.Minute).Format(http.TimeFormat), fault.ErrTransient, time.Minute, ""},
		{500, "", fault.ErrTransient, 0, ""},
		{408, "", fault.ErrTransient, 0, ""},
		{400, "", fault.ErrPermanent, 0, ""},
		{404, "", fault.ErrPermanent, 0, ""},
		{409, "", fault.ErrPermanent, 0, ""},
		{422, "", fault.ErrPermanent, 0, ""},
		{302, "", fault.ErrPermanent, 0, ""},
	} {
		h := http.Header{}
		if tc.retryAfter != "" {
			h.Set("Retry-After", tc.retryAfter)
		}
		err := c.Failure(partnerhttp.Answer{Status: tc.status, Header: h}, cause)
		require.ErrorIs(t, err, tc.class, "%d", tc.status)
		require.ErrorIs(t, err, cause)
		require.ErrorContains(t, err, tc.message)
		d, ok := fault.RetryAfter(err)
		require.Equal(t, tc.retry > 0, ok, "%d", tc.status)
		require.Equal(t, tc.retry, d)
	}
}

func TestClean(t *testing.T) {
	t.Parallel()
	c := partnerhttp.New(partnerhttp.Config{Partner: "P", Secrets: []string{"tok-SECRET-123", "k"}})
	msg := c.Clean("token \"Bearer tok-secret-123\" refused for Jane Example\nat 1 Example Way", "Jane Example", "1 example way", "x")
	require.Equal(t, `token "Bearer [REDACTED]" refused for [REDACTED] at [REDACTED]`, msg)
	require.Equal(t, strings.Repeat("é", 200)+"...", partnerhttp.Clean(strings.Repeat("é", 300)))
	require.Equal(t, "[REDACTED] and [REDACTED]", partnerhttp.Redact("abcdef and abc", "abc", "abcdef"), "longer values first")
	require.Equal(t, "a k b", c.Clean("a k b"), "values under three characters are not redacted")
}
