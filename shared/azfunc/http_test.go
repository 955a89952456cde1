package azfunc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/fault"
)

// echo reads the body within the limit and answers 202 with its length.
func echo(stored *[]byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := azfunc.ReadBody(r)
		if err != nil {
			azfunc.Fail(w, r, err)
			return
		}
		if !json.Valid(body) {
			azfunc.Fail(w, r, fault.Malformedf("body is not JSON"))
			return
		}
		*stored = body
		azfunc.WriteJSON(w, http.StatusAccepted, map[string]any{"tpl": r.PathValue("tpl"), "bytes": len(body)})
	})
}

func post(t *testing.T, url string, body io.Reader, contentLength int64) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, body)
	require.NoError(t, err)
	req.ContentLength = contentLength
	req.Header.Set("X-Azure-Functions-InvocationId", "inv-http-1")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	return resp, m
}

func TestForwardedHTTP(t *testing.T) {
	t.Parallel()
	const limit = 1 << 20

	t.Run("RouteParametersAndPrefix", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		var stored []byte
		b.srv.HTTP("fulfillment-request", "POST", "fulfillment/request/{tpl}", echo(&stored))
		resp, m := post(t, b.http.URL+"/api/fulfillment/request/cirro?code=abcdefsecretkey", strings.NewReader(`{"a":1}`), 7)
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		require.Equal(t, "cirro", m["tpl"])
		require.JSONEq(t, `{"a":1}`, string(stored))
		require.NotContains(t, b.stdout.String(), "abcdefsecretkey", "the query string (function key) is never logged")
		lines := b.stdout.lines(t)
		last := lines[len(lines)-1]
		require.Equal(t, "succeeded", last["outcome"])
		require.EqualValues(t, 202, last["status"])
		require.Equal(t, "inv-http-1", last["invocation_id"])
		require.Equal(t, "fulfillment-request", last["function"])
	})

	t.Run("DeclaredOversizeBodyIs413BeforeTheHandler", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		var stored []byte
		b.srv.HTTP("fulfillment-request", "POST", "fulfillment/request/{tpl}", echo(&stored))
		big := bytes.Repeat([]byte("x"), 2<<20)
		resp, m := post(t, b.http.URL+"/api/fulfillment/request/cirro", bytes.NewReader(big), int64(len(big)))
		require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
		require.Equal(t, "too_large", m["class"])
		require.Nil(t, stored)
	})

	t.Run("ChunkedOversizeBodyIs413", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		var stored []byte
		b.srv.HTTP("fulfillment-request", "POST", "fulfillment/request/{tpl}", echo(&stored))
		// Unknown length: the limit is enforced while reading.
		resp, _ := post(t, b.http.URL+"/api/fulfillment/request/cirro", io.MultiReader(strings.NewReader(`{"a":"`), bytes.NewReader(bytes.Repeat([]byte("y"), limit+10))), -1)
		require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
		require.Nil(t, stored)
	})

	t.Run("MalformedBodyIs400WithTheReason", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		var stored []byte
		b.srv.HTTP("fulfillment-request", "POST", "fulfillment/request/{tpl}", echo(&stored))
		resp, m := post(t, b.http.URL+"/api/fulfillment/request/xb", strings.NewReader(`{"a":`), 5)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Equal(t, "body is not JSON", m["error"])
		require.Equal(t, "inv-http-1", m["invocation_id"])
		lines := b.stderr.lines(t)
		require.Len(t, lines, 1, "one line per request")
		require.Equal(t, "rejected", lines[0]["outcome"])
		require.Equal(t, "WARN", lines[0]["level"])
	})

	t.Run("RejectionLinesCarryTheErrorAndClass", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		var stored []byte
		b.srv.HTTP("fulfillment-request", "POST", "fulfillment/request/{tpl}", echo(&stored))
		resp, _ := post(t, b.http.URL+"/api/fulfillment/request/xb", strings.NewReader(`{"a":`), 5)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		lines := b.stderr.lines(t)
		require.Len(t, lines, 1)
		require.Equal(t, "body is not JSON", lines[0]["error"], "the what-failed query needs the reason")
		require.Equal(t, "malformed", lines[0]["class"])
		require.EqualValues(t, 400, lines[0]["status"])
	})

	t.Run("EmptyBodyIsAClear400NotA401", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		var stored []byte
		b.srv.HTTP("fulfillment-request", "POST", "fulfillment/request/{tpl}", echo(&stored))
		resp, m := post(t, b.http.URL+"/api/fulfillment/request/xb", http.NoBody, 0)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Contains(t, m["error"], "Content-Length", "the host drops chunked bodies: say so")
	})

	t.Run("SlowBodyIs408AndFreesTheConnection", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(c *azfunc.Config) { c.BodyReadTimeout = 200 * time.Millisecond })
		var stored []byte
		b.srv.HTTP("fulfillment-request", "POST", "fulfillment/request/{tpl}", echo(&stored))
		pr, pw := io.Pipe()
		go func() {
			_, _ = pw.Write([]byte(`{"a":`))
			<-t.Context().Done() // the rest never comes
			pw.Close()
		}()
		resp, m := post(t, b.http.URL+"/api/fulfillment/request/xb", pr, 1000)
		require.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
		require.Equal(t, "timeout", m["class"])
		require.Nil(t, stored)
	})

	t.Run("EchoedInputIsCut", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.srv.HTTP("fulfillment-request", "POST", "fulfillment/request/{tpl}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			azfunc.Fail(w, r, fault.Malformedf("unknown warehouse %q", r.PathValue("tpl")))
		}))
		long := strings.Repeat("x", 100_000)
		resp, m := post(t, b.http.URL+"/api/fulfillment/request/"+long, strings.NewReader(`{}`), 2)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Less(t, len(m["error"].(string)), 1200, "the answer does not echo 100 KB")
		require.Less(t, b.stderr.Len(), 8000, "nor does the log line")
	})

	t.Run("TransientIs503WithRetryAfterAndNoInternals", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.srv.HTTP("fulfillment-request", "POST", "fulfillment/request/{tpl}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			azfunc.Fail(w, r, errors.New("dial tcp 10.0.0.5:5432: connection refused"))
		}))
		resp, m := post(t, b.http.URL+"/api/fulfillment/request/cirro", strings.NewReader(`{}`), 2)
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		require.Equal(t, "30", resp.Header.Get("Retry-After"))
		require.NotContains(t, m["error"], "10.0.0.5")
		require.Contains(t, b.stderr.String(), "10.0.0.5", "the cause is in the logs")
	})

	t.Run("GateBlocksUnlessSkipped", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(c *azfunc.Config) {
			c.Gate = gateFunc(func(context.Context) error { return errors.New("missing setting CIRRO_URL") })
		})
		var stored []byte
		b.srv.HTTP("fulfillment-request", "POST", "fulfillment/request/{tpl}", echo(&stored))
		b.srv.HTTP("health", "GET", "health", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			azfunc.WriteJSON(w, 200, map[string]string{"status": "degraded"})
		}), azfunc.SkipGate())
		resp, _ := post(t, b.http.URL+"/api/fulfillment/request/cirro", strings.NewReader(`{}`), 2)
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		require.Nil(t, stored)
		h, err := http.Get(b.http.URL + "/api/health")
		require.NoError(t, err)
		h.Body.Close()
		require.Equal(t, http.StatusOK, h.StatusCode)
	})

	t.Run("PanicIs503WithRetryAfter", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.srv.HTTP("boom", "POST", "boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("index out of range") }))
		resp, m := post(t, b.http.URL+"/api/boom", strings.NewReader(`{}`), 2)
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "partners retry a 503, as the partner section says")
		require.NotEmpty(t, resp.Header.Get("Retry-After"))
		require.Equal(t, "transient", m["class"])
		require.NotContains(t, m["error"], "index out of range")
		require.Contains(t, b.stderr.String(), "handler panicked")
	})

	t.Run("WrongMethodIs405", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		var stored []byte
		b.srv.HTTP("fulfillment-request", "POST", "fulfillment/request/{tpl}", echo(&stored))
		resp, err := http.Get(b.http.URL + "/api/fulfillment/request/cirro")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
		require.Equal(t, "application/json", resp.Header.Get("Content-Type"), "a JSON answer like every other")
		require.Equal(t, "POST", resp.Header.Get("Allow"))
	})
}

func TestRegistrations(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.srv.HTTP("health", "get", "/health/", http.NotFoundHandler())
	b.srv.Timer("dead-letter-watch", "myTimer", func(context.Context, *azfunc.Timer) error { return nil })
	b.srv.Blob("edi-inbound", "file", true, func(context.Context, *azfunc.Blob) error { return nil })
	require.Equal(t, []azfunc.Registration{
		{Name: "dead-letter-watch", Kind: "timerTrigger", Binding: "myTimer"},
		{Name: "edi-inbound", Kind: "blobTrigger", Binding: "file", Binary: true},
		{Name: "health", Kind: "httpTrigger", Methods: []string{"GET"}, Route: "health"},
	}, b.srv.Registrations())
	require.Panics(t, func() {
		b.srv.Timer("dead-letter-watch", "t", func(context.Context, *azfunc.Timer) error { return nil })
	})
}
