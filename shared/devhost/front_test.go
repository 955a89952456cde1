package devhost_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/devhost"
)

var httpFunctions = map[string]string{
	"intake":    intakeFunction,
	"health":    `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","methods":["get"],"route":"health"},{"type":"http","direction":"out","name":"res"}]}`,
	"ops":       `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"admin","methods":["post"],"route":"ops"},{"type":"http","direction":"out","name":"res"}]}`,
	"other":     `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"function","route":"other"},{"type":"http","direction":"out","name":"res"}]}`,
	"retired":   `{"disabled":true,"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","route":"retired"},{"type":"http","direction":"out","name":"res"}]}`,
	"hangs":     `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","route":"hangs"},{"type":"http","direction":"out","name":"res"}]}`,
	"chunky":    `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","methods":["post"],"route":"chunky"},{"type":"http","direction":"out","name":"res"}]}`,
	"getorpost": `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","methods":["get","post"],"route":"items/{id}"},{"type":"http","direction":"out","name":"res"}]}`,
}

const (
	masterKey  = "test-master-key"
	intakeKey  = "intake-only-key"
	anotherKey = "a-key-nobody-has"
)

func httpHost(t *testing.T, a *rawApp) *devhost.Host {
	t.Helper()
	return httpHostWith(t, a, hostJSON)
}

func httpHostWith(t *testing.T, a *rawApp, hostJSON string) *devhost.Host {
	t.Helper()
	if a.answer == nil {
		a.answer = func(w http.ResponseWriter, r *http.Request, _ []byte) {
			if r.URL.Path == "/api/hangs" {
				<-r.Context().Done()
				return
			}
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "handled "+r.URL.Path)
		}
	}
	return runHost(t, devhost.Config{AppRoot: appRoot(t, hostJSON, httpFunctions), Worker: &devhost.ServerWorker{Handler: a},
		FunctionKeys: map[string]string{"default": hostKey, "intake": intakeKey}, MasterKey: masterKey})
}

// TestFunctionKeys: authLevel function needs the host key, the function's
// own key or the master key, in x-functions-key or ?code= (the header
// wins); admin needs the master key; anonymous none. The host answers 401
// with an empty body itself.
func TestFunctionKeys(t *testing.T) {
	t.Parallel()
	a := &rawApp{}
	h := httpHost(t, a)
	type tc struct {
		method, path, header, code string
		noHeader                   bool
		want                       int
	}
	cases := map[string]tc{
		"FunctionWithoutKey":               {method: "POST", path: "/api/intake/x", noHeader: true, want: 401},
		"FunctionWithAWrongKey":            {method: "POST", path: "/api/intake/x", header: anotherKey, want: 401},
		"FunctionWithTheHostKeyInAHeader":  {method: "POST", path: "/api/intake/x", header: hostKey, want: 200},
		"FunctionWithTheHostKeyInCode":     {method: "POST", path: "/api/intake/x", noHeader: true, code: hostKey, want: 200},
		"FunctionWithItsOwnKey":            {method: "POST", path: "/api/intake/x", header: intakeKey, want: 200},
		"AnotherFunctionsKeyDoesNotOpenIt": {method: "GET", path: "/api/other", header: intakeKey, want: 401},
		"FunctionWithTheMasterKey":         {method: "GET", path: "/api/other", header: masterKey, want: 200},
		"TheHeaderWinsOverCode":            {method: "POST", path: "/api/intake/x", header: anotherKey, code: hostKey, want: 401},
		"AnEmptyHeaderStillWins":           {method: "POST", path: "/api/intake/x", header: "", code: hostKey, want: 401},
		"AdminWithTheHostKey":              {method: "POST", path: "/api/ops", header: hostKey, want: 401},
		"AdminWithTheMasterKey":            {method: "POST", path: "/api/ops", header: masterKey, want: 200},
		"AnonymousWithoutKey":              {method: "GET", path: "/api/health", noHeader: true, want: 200},
		"AnonymousWithAWrongKey":           {method: "GET", path: "/api/health", header: anotherKey, want: 200},
		"ADisabledFunctionIs404":           {method: "GET", path: "/api/retired", noHeader: true, want: 404},
		"ADisabledFunctionRunsForTheAdmin": {method: "GET", path: "/api/retired", header: masterKey, want: 200},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			u := h.URL() + c.path
			if c.code != "" {
				u += "?code=" + url.QueryEscape(c.code)
			}
			req := newRequest(t, c.method, u, "")
			if !c.noHeader {
				req.Header["X-Functions-Key"] = []string{c.header}
			}
			resp, body := do(t, req)
			require.Equal(t, c.want, resp.StatusCode)
			if c.want != 200 {
				require.Empty(t, body, "the host's own %d has no body", c.want)
				require.Equal(t, "0", resp.Header.Get("Content-Length"))
			}
		})
	}
}

// TestWrongMethodGets404: function routes carry a method constraint, so a
// wrong method matches no route and gets the host's empty 404, not a 405.
func TestWrongMethodGets404(t *testing.T) {
	t.Parallel()
	a := &rawApp{}
	h := httpHost(t, a)
	for _, m := range []string{"GET", "PUT", "DELETE", "PATCH"} {
		req := newRequest(t, m, h.URL()+"/api/intake/x", "")
		req.Header.Set("x-functions-key", hostKey)
		resp, body := do(t, req)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, m)
		require.Empty(t, body)
		require.Empty(t, resp.Header.Get("Allow"))
	}
	resp, _ := do(t, newRequest(t, "GET", h.URL()+"/api/items/7", ""))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, body := do(t, newRequest(t, "DELETE", h.URL()+"/api/items/7", ""))
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Empty(t, body)
	require.Empty(t, a.requests("/api/items/7")[1:], "only the GET reached the handler")
}

// TestForwardedRequestsLookLikeTheHosts: Host kept, User-Agent appended,
// no X-Forwarded-*, the query rebuilt from its values, the host's headers added.
func TestForwardedRequestsLookLikeTheHosts(t *testing.T) {
	t.Parallel()
	a := &rawApp{}
	h := httpHost(t, a)
	req := newRequest(t, "POST", h.URL()+"/api/intake/cirro?x=1&x=2&q=a+b&code="+hostKey, `{"id":1}`)
	req.Host = "int-prod.azurewebsites.net"
	req.Header.Set("User-Agent", "cirro-webhooks/2.1")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	resp, _ := do(t, req)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got := a.requests("/api/intake/cirro")
	require.Len(t, got, 1)
	r := got[0]
	require.Equal(t, "int-prod.azurewebsites.net", r.Host)
	require.Equal(t, "cirro-webhooks/2.1 Azure-Functions-Host/4.1036.1.0-devhost", r.Header.Get("User-Agent"))
	require.Equal(t, "x=1%2C2&q=a%20b&code="+hostKey, r.RawQuery, "repeated values joined with commas, re-escaped")
	require.Equal(t, `{"id":1}`, string(r.Body))
	require.Equal(t, "application/json", r.Header.Get("Content-Type"))
	require.NotEmpty(t, r.Header.Get("X-Azure-Functions-InvocationId"))
	require.NotEmpty(t, r.Header.Get("X-Azure-Functions-HostVersion"))
	for k := range r.Header {
		require.NotContains(t, strings.ToLower(k), "x-forwarded", "the host adds no %s", k)
	}
	reqs := h.Telemetry().Requests()
	require.Equal(t, "0af7651916cd43dd8448eb211c80319c", reqs[len(reqs)-1].OperationID, "the caller's trace continues")
	require.Equal(t, r.Header.Get("X-Azure-Functions-InvocationId"), reqs[len(reqs)-1].CustomDimensions["InvocationId"])
}

// TestChunkedRequestBodyIsNotForwarded: the host copies a body only with a
// Content-Length above 0, but copies the Transfer-Encoding header, which
// its HttpClient refuses without a body: a chunked request fails with the
// host's empty 500 and never reaches the handler. A Content-Length of 0
// reaches it with no body and no Content-Type.
func TestChunkedRequestBodyIsNotForwarded(t *testing.T) {
	t.Parallel()
	a := &rawApp{}
	h := httpHost(t, a)
	pr, pw := io.Pipe()
	go func() {
		fmt.Fprint(pw, `{"order_id":`)
		fmt.Fprint(pw, `"ORD-1"}`)
		pw.Close()
	}()
	req, err := http.NewRequest("POST", h.URL()+"/api/chunky", pr)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, body := do(t, req)
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	require.Empty(t, body)
	require.Empty(t, a.requests("/api/chunky"), "the handler never saw it")
	last := h.Telemetry().Requests()[len(h.Telemetry().Requests())-1]
	require.False(t, last.Success)
	require.Equal(t, "500", last.ResultCode)

	req = newRequest(t, "POST", h.URL()+"/api/chunky", "")
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = 0
	resp, _ = do(t, req)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got := a.requests("/api/chunky")
	require.Len(t, got, 1)
	require.Empty(t, got[0].Body)
	require.Empty(t, got[0].Header.Get("Content-Type"), "content headers travel with a body only")
}

// rawRequest writes a request by hand and returns the status line and the
// time it took to come back.
func rawRequest(t *testing.T, h *devhost.Host, head string, trickle func(net.Conn)) (string, time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.URL(), "http://"))
	require.NoError(t, err)
	defer conn.Close()
	start := time.Now()
	_, err = io.WriteString(conn, head)
	require.NoError(t, err)
	if trickle != nil {
		go trickle(conn)
	}
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(30*time.Second)))
	status, err := bufio.NewReader(conn).ReadString('\n')
	require.NoError(t, err)
	return strings.TrimSpace(status), time.Since(start)
}

// TestBodyLimits: over 100 MiB is the host's empty 413; a body trickling
// in slower than 240 bytes/s is cut off after the 5 s grace with 408.
func TestBodyLimits(t *testing.T) {
	t.Parallel()
	a := &rawApp{}
	// A functionTimeout well past the 5 s grace of the rate check.
	h := httpHostWith(t, a, strings.Replace(hostJSON, `"00:00:02"`, `"00:00:30"`, 1))
	t.Run("Over100MiBIs413", func(t *testing.T) {
		t.Parallel()
		status, _ := rawRequest(t, h, "POST /api/chunky HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 104857601\r\n\r\n", nil)
		require.Equal(t, "HTTP/1.1 413 Request Entity Too Large", status)
	})
	t.Run("ATricklingBodyIsCutOffWith408", func(t *testing.T) {
		t.Parallel()
		stop := make(chan struct{})
		defer close(stop)
		status, took := rawRequest(t, h, "POST /api/chunky HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n", func(c net.Conn) {
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if _, err := c.Write([]byte("x")); err != nil {
						return
					}
				}
			}
		})
		require.Equal(t, "HTTP/1.1 408 Request Timeout", status)
		require.GreaterOrEqual(t, took, 5*time.Second, "not before the grace period")
		require.Less(t, took, 10*time.Second)
	})
}

// TestFunctionTimeoutAppliesToForwardedRequests: past functionTimeout the
// caller gets the host's empty 500 and the handler is restarted.
func TestFunctionTimeoutAppliesToForwardedRequests(t *testing.T) {
	t.Parallel()
	a := &rawApp{}
	h := httpHost(t, a)
	start := time.Now()
	resp, body := do(t, newRequest(t, "GET", h.URL()+"/api/hangs", ""))
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	require.Empty(t, body)
	require.GreaterOrEqual(t, time.Since(start), 2*time.Second, "functionTimeout is 2 s in the test host.json")
	last := h.Telemetry().Requests()[len(h.Telemetry().Requests())-1]
	require.False(t, last.Success)
	require.Equal(t, "500", last.ResultCode)
	waitFor(t, "the restarted handler", func() bool {
		resp, _ := do(t, newRequest(t, "GET", h.URL()+"/api/health", ""))
		return resp.StatusCode == http.StatusOK
	})
}
