package devhost

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/popsockets/integration/shared/bus"
)

// The front door answers as the real host's web host does:
//
//   - A request whose path and method match no function gets 404 with an
//     empty body: function routes are ASP.NET routes with an HTTP-method
//     constraint (WebScriptHostHttpRoutesManager.cs), so a wrong method is
//     simply no match, never a 405.
//   - A function with authLevel "function" needs a key in x-functions-key
//     or ?code= (the header wins when both are there): the host key
//     "default", the function's own key, or the master key. "admin" needs
//     the master key; "anonymous" none. A missing or wrong key is 401 with
//     an empty body (AuthenticationLevelHandler.cs, SecretManager.cs,
//     FunctionInvocationMiddleware.cs returning UnauthorizedResult).
//   - A disabled function is 404 unless called with the master key.
//   - A body over 100 MiB (Kestrel's MaxRequestBodySize, set to
//     ScriptConstants.DefaultMaxRequestBodySize in Program.cs) is 413 with
//     an empty body, and a body that arrives slower than 240 bytes/s after
//     a 5 s grace (Kestrel's default MinRequestBodyDataRate) is cut off with
//     408, empty.
//   - A failed invocation (handler unreachable, functionTimeout, a body
//     the host cannot forward) is 500 with an empty body (ExceptionMiddleware.cs).
//
// Forwarding (enableForwardingHttpRequest) follows DefaultHttpWorkerService.cs
// and HttpRequestExtensions.ToHttpRequestMessage:
//
//   - the request goes to the handler at its own path, with the query
//     rebuilt from its parsed values (repeated names joined with commas);
//   - every request header is copied, Host included; no X-Forwarded-*
//     header is added; User-Agent gets "Azure-Functions-Host/<version>"
//     appended; X-Azure-Functions-HostVersion and -InvocationId are added;
//   - the body, with its Content-Type and Content-Length, is copied only
//     when Content-Length is above 0. A chunked request has no
//     Content-Length, so its body is not copied, but its Transfer-Encoding
//     header is, and .NET's HttpClient refuses to send "Transfer-Encoding:
//     chunked" without a body: the invocation fails and the caller gets the
//     host's 500 without the handler ever seeing the request;
//   - the handler's response goes back as it is; its status never fails
//     the invocation, and functionTimeout applies (the handler is restarted).

// maxRequestBody is Kestrel's MaxRequestBodySize in the Functions host.
const maxRequestBody = 104857600

// Kestrel's default MinRequestBodyDataRate (KestrelServerLimits.cs),
// checked on each one-second heartbeat.
const (
	minBodyRate          = 240
	minBodyRateGrace     = 5 * time.Second
	minBodyRateHeartbeat = time.Second
)

// route is a compiled function.json route template.
type route struct {
	fn       *Function
	methods  map[string]bool
	segments []segment
}

type segment struct {
	literal  string
	param    string
	optional bool
	catchAll bool
}

var constraint = regexp.MustCompile(`:[^}]*`)

func compileRoute(fn *Function, prefix string) route {
	trig := fn.Trigger()
	tmpl := trig.Route
	if tmpl == "" {
		tmpl = fn.Name
	}
	full := strings.Trim(prefix+"/"+strings.Trim(tmpl, "/"), "/")
	r := route{fn: fn, methods: map[string]bool{}}
	for _, m := range trig.Methods {
		r.methods[strings.ToUpper(m)] = true
	}
	for _, part := range strings.Split(full, "/") {
		if strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}") {
			name := constraint.ReplaceAllString(part[1:len(part)-1], "")
			s := segment{param: strings.TrimSuffix(strings.TrimPrefix(name, "*"), "?")}
			s.optional = strings.HasSuffix(name, "?")
			s.catchAll = strings.HasPrefix(name, "*")
			r.segments = append(r.segments, s)
			continue
		}
		r.segments = append(r.segments, segment{literal: strings.ToLower(part)})
	}
	return r
}

func (r route) match(path string) bool {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range r.segments {
		if s.catchAll {
			return true
		}
		if i >= len(parts) || parts[i] == "" {
			return s.optional && i == len(r.segments)-1
		}
		if s.param == "" && s.literal != strings.ToLower(parts[i]) {
			return false
		}
	}
	return len(parts) == len(r.segments)
}

func (h *Host) routes() []route {
	var out []route
	for _, name := range h.Functions() {
		fn := h.functions[name]
		if fn.Trigger().Type == "httpTrigger" {
			out = append(out, compileRoute(fn, h.host.RoutePrefix))
		}
	}
	return out
}

// requestKey is the key a request presents: the x-functions-key header
// when it is there (even empty), else ?code=.
func requestKey(r *http.Request) string {
	if v, ok := r.Header[http.CanonicalHeaderKey("x-functions-key")]; ok {
		if len(v) > 0 {
			return v[0]
		}
		return ""
	}
	return r.URL.Query().Get("code")
}

func keyEquals(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func (h *Host) isMaster(r *http.Request) bool { return keyEquals(requestKey(r), h.cfg.MasterKey) }

// authorized applies a function's authLevel to a request.
func (h *Host) authorized(r *http.Request, fn *Function) bool {
	key := requestKey(r)
	switch strings.ToLower(fn.Trigger().AuthLevel) {
	case "anonymous":
		return true
	case "admin":
		return keyEquals(key, h.cfg.MasterKey)
	}
	return keyEquals(key, h.cfg.MasterKey) || keyEquals(key, h.cfg.FunctionKeys["default"]) ||
		keyEquals(key, h.cfg.FunctionKeys[fn.Name])
}

func (h *Host) frontDoor() http.Handler {
	mux := http.NewServeMux()
	routes := h.routes()
	mux.HandleFunc("POST "+bus.LocalPublishPath, h.handlePublish)
	mux.HandleFunc("POST "+bus.LocalPublishBatchPath, h.handlePublishBatch)
	mux.HandleFunc("GET "+bus.LocalDeadLettersPath, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, h.broker.deadLetterCounts())
	})
	mux.HandleFunc("GET /_devhost/deadletters", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, h.DeadLetters())
	})
	mux.HandleFunc("GET "+bus.LocalDeadLetterPeekPath, h.handleDeadLetterPeek)
	mux.HandleFunc("POST "+bus.LocalDeadLetterReceivePath, h.handleDeadLetterReceive)
	mux.HandleFunc("POST "+bus.LocalDeadLetterSettlePath, h.handleDeadLetterSettle)
	mux.HandleFunc("GET /_devhost/invocations", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, h.Invocations())
	})
	mux.HandleFunc("GET /_devhost/status", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"functions": h.Functions(), "worker": h.worker(), "dead_letters": h.broker.deadLetterCounts(),
			"poison_blobs": h.PoisonMessages(),
		})
	})
	// The real host's admin API for running a non-HTTP function by hand:
	// master key only (AdminAuthLevel), 202 when it starts, 404 for an
	// unknown function. Here only timer functions run this way.
	mux.HandleFunc("POST /admin/functions/{name}", func(w http.ResponseWriter, r *http.Request) {
		if !h.isMaster(r) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		name := r.PathValue("name")
		if _, ok := h.timers.by[name]; !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		h.mu.Lock()
		ctx := h.runCtx
		h.mu.Unlock()
		go func() { _, _ = h.RunTimer(ctx, name) }()
		w.WriteHeader(http.StatusAccepted)
	})
	// Extension webhooks need the extension's system key or the master key (SystemKeyAuthLevel).
	mux.HandleFunc(blobsWebhookPath, func(w http.ResponseWriter, r *http.Request) {
		if key := requestKey(r); !keyEquals(key, h.systemKey) && !keyEquals(key, h.cfg.MasterKey) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.blobs.serveWebhook(w, r)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			// The host's home page.
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<!DOCTYPE html><title>Functions</title><p>The local Functions host is running.</p>\n")
			return
		}
		for _, rt := range routes {
			if !rt.match(r.URL.Path) {
				continue
			}
			if len(rt.methods) > 0 && !rt.methods[r.Method] {
				continue
			}
			h.serveFunction(w, r, rt.fn)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	})
	return mux
}

// serveFunction applies the host's checks, then forwards.
func (h *Host) serveFunction(w http.ResponseWriter, r *http.Request, fn *Function) {
	if fn.Disabled && !h.isMaster(r) {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if !h.authorized(r, fn) {
		h.printf("401    %-28s %s %s: no valid function key (x-functions-key or ?code=)", fn.Name, r.Method, r.URL.Path)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.ContentLength > maxRequestBody {
		w.Header().Set("Connection", "close")
		_ = r.Body.Close()
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	select {
	case <-h.ready:
	default:
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	h.forward(w, r, fn)
}

// forwardQuery rebuilds the query as the host does: names in order of
// first appearance, repeated values joined with commas, values escaped.
func forwardQuery(raw string) string {
	var names []string
	values := map[string][]string{}
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		if _, seen := values[k]; !seen {
			names = append(names, k)
		}
		values[k] = append(values[k], v)
	}
	esc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	var b strings.Builder
	for i, k := range names {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(esc(k) + "=" + esc(strings.Join(values[k], ",")))
	}
	return b.String()
}

// errTooSlow means the caller sent its body slower than Kestrel allows.
var errTooSlow = errors.New("the request body arrived slower than 240 bytes/s after a 5 s grace")

// rateReader counts what is read and cuts the connection off when the
// average since the first read falls below the minimum rate after the
// grace period, checked once a second as Kestrel's heartbeat does.
type rateReader struct {
	r        io.ReadCloser
	n        atomic.Int64
	violated atomic.Bool
	stop     chan struct{}
	once     sync.Once
}

func (h *Host) watchRate(w http.ResponseWriter, body io.ReadCloser) *rateReader {
	rr := &rateReader{r: body, stop: make(chan struct{})}
	rc := http.NewResponseController(w)
	start := time.Now()
	go func() {
		t := time.NewTicker(minBodyRateHeartbeat)
		defer t.Stop()
		for {
			select {
			case <-rr.stop:
				return
			case now := <-t.C:
				elapsed := now.Sub(start)
				if elapsed <= minBodyRateGrace {
					continue
				}
				if float64(rr.n.Load()) < float64(minBodyRate)*elapsed.Seconds() {
					rr.violated.Store(true)
					_ = rc.SetReadDeadline(time.Now())
					return
				}
			}
		}
	}()
	return rr
}

func (rr *rateReader) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	rr.n.Add(int64(n))
	if err != nil {
		rr.done()
		if rr.violated.Load() {
			return n, errTooSlow
		}
	}
	return n, err
}

func (rr *rateReader) Close() error {
	rr.done()
	return rr.r.Close()
}

func (rr *rateReader) done() { rr.once.Do(func() { close(rr.stop) }) }

// forward sends the original request to the handler at its own path and
// returns the handler's response as is, and records the invocation.
func (h *Host) forward(w http.ResponseWriter, r *http.Request, fn *Function) {
	start := h.cfg.Now()
	inv := Invocation{ID: newGUID(), Function: fn.Name, Trigger: "httpTrigger", At: start}
	scope := invocationScope{fn: fn.Name, id: inv.ID, operationID: traceIDOf(r), start: start}
	h.telemetry.executing(scope, triggerReason(fn))
	status := 0
	defer func() {
		end := h.cfg.Now()
		inv.Duration, inv.Status = end.Sub(start), status
		h.telemetry.executed(scope, end, inv.OK, fmt.Sprint(status), "http://"+r.Host+r.URL.EscapedPath(), r.Method, r.URL.EscapedPath())
		h.record(inv)
	}()
	fail := func(code int, why string) {
		status, inv.Error = code, why
		if code == http.StatusRequestTimeout {
			w.Header().Set("Connection", "close")
		}
		// A body the handler did not take is not read to its end: closing it
		// keeps the server from draining a slow caller before answering.
		_ = r.Body.Close()
		w.WriteHeader(code)
	}

	if len(r.TransferEncoding) > 0 && r.ContentLength < 0 {
		fail(http.StatusInternalServerError, "the host cannot forward a chunked request: Transfer-Encoding chunked without a body")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.host.FunctionTimeout)
	defer cancel()
	base, err := h.awaitWorker(ctx)
	if err != nil {
		fail(http.StatusInternalServerError, "waiting for the handler: "+err.Error())
		return
	}
	target := base + r.URL.EscapedPath()
	if q := forwardQuery(r.URL.RawQuery); q != "" {
		target += "?" + q
	}
	var body io.ReadCloser
	var rate *rateReader
	if r.ContentLength > 0 {
		rate = h.watchRate(w, r.Body)
		defer rate.done()
		body = rate
	}
	out, err := http.NewRequestWithContext(ctx, r.Method, target, body)
	if err != nil {
		fail(http.StatusInternalServerError, err.Error())
		return
	}
	for k, v := range r.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Content-Type", "Content-Length":
			continue // content headers go with the body only
		}
		out.Header[k] = append([]string(nil), v...)
	}
	out.Host = r.Host
	if body != nil {
		out.ContentLength = r.ContentLength
		if ct := r.Header.Get("Content-Type"); ct != "" {
			out.Header.Set("Content-Type", ct)
		}
	}
	ua := "Azure-Functions-Host/" + hostVersion
	if orig := r.Header.Get("User-Agent"); orig != "" {
		ua = orig + " " + ua
	}
	out.Header.Set("User-Agent", ua)
	out.Header.Set("X-Azure-Functions-HostVersion", hostVersion)
	out.Header.Set("X-Azure-Functions-InvocationId", inv.ID)

	resp, err := h.client.Do(out)
	if err != nil {
		switch {
		case rate != nil && rate.violated.Load():
			fail(http.StatusRequestTimeout, errTooSlow.Error())
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			fail(http.StatusInternalServerError, errFunctionTimeout.Error())
			h.restartWorker(base, "function timeout")
		default:
			fail(http.StatusInternalServerError, "calling handler: "+err.Error())
		}
		return
	}
	defer resp.Body.Close()
	inv.OK, status = true, resp.StatusCode
	inv.CorrelationID = resp.Header.Get("X-Correlation-Id")
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	if _, err := io.Copy(w, resp.Body); err != nil {
		inv.Error = "copying the handler's response: " + err.Error()
	}
}

// traceIDOf is the operation id: the caller's W3C trace id when it sent
// one (the host continues the caller's trace), else a new one.
func traceIDOf(r *http.Request) string {
	if parts := strings.Split(r.Header.Get("traceparent"), "-"); len(parts) == 4 && len(parts[1]) == 32 {
		return parts[1]
	}
	return newTraceID()
}

func (h *Host) handlePublish(w http.ResponseWriter, r *http.Request) {
	var msg bus.Wire
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err == nil {
		err = json.Unmarshal(b, &msg)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "decoding message: " + err.Error()})
		return
	}
	if err := h.broker.publish(msg); err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, ErrUnknownTopic) {
			status = http.StatusNotFound
		}
		writeJSON(w, status, map[string]string{"error": err.Error()})
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// handlePublishBatch takes several messages in one request and answers for
// each, as a Service Bus batch send does for the handler.
func (h *Host) handlePublishBatch(w http.ResponseWriter, r *http.Request) {
	var msgs []bus.Wire
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err == nil {
		err = json.Unmarshal(b, &msgs)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "decoding messages: " + err.Error()})
		return
	}
	results := make([]bus.LocalResult, len(msgs))
	for i, m := range msgs {
		results[i].Status = http.StatusCreated
		if err := h.broker.publish(m); err != nil {
			results[i] = bus.LocalResult{Status: http.StatusInternalServerError, Error: err.Error()}
			if errors.Is(err, ErrUnknownTopic) {
				results[i].Status = http.StatusNotFound
			}
		}
	}
	writeJSON(w, http.StatusOK, results)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
