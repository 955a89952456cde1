package devhost

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/bus"
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

// statusRecorder keeps the status a proxied response carried.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (h *Host) frontDoor() http.Handler {
	mux := http.NewServeMux()
	routes := h.routes()
	mux.HandleFunc("POST "+bus.LocalPublishPath, h.handlePublish)
	mux.HandleFunc("GET "+bus.LocalDeadLettersPath, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, h.broker.deadLetterCounts())
	})
	mux.HandleFunc("GET /_devhost/deadletters", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, h.DeadLetters())
	})
	mux.HandleFunc("GET /_devhost/invocations", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, h.Invocations())
	})
	mux.HandleFunc("GET /_devhost/status", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"functions": h.Functions(), "worker": h.worker(), "dead_letters": h.broker.deadLetterCounts(),
			"poison_blobs": h.PoisonBlobs(),
		})
	})
	// The real host's admin API for running a non-HTTP function by hand.
	mux.HandleFunc("POST /admin/functions/{name}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if _, ok := h.timers.by[name]; !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": name + " is not a timer function here"})
			return
		}
		h.mu.Lock()
		ctx := h.runCtx
		h.mu.Unlock()
		go func() { _, _ = h.RunTimer(ctx, name) }()
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		for _, rt := range routes {
			if !rt.match(r.URL.Path) {
				continue
			}
			if len(rt.methods) > 0 && !rt.methods[r.Method] {
				continue
			}
			h.forward(w, r, rt.fn)
			return
		}
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no function serves " + r.Method + " " + r.URL.Path})
	})
	return mux
}

// forward sends the original request to the handler at its own path and
// returns the handler's response as is (enableForwardingHttpRequest).
func (h *Host) forward(w http.ResponseWriter, r *http.Request, fn *Function) {
	select {
	case <-h.ready:
	default:
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the host is starting"})
		return
	}
	base, err := h.awaitWorker(r.Context())
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the handler is restarting"})
		return
	}
	target, err := url.Parse(base)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		return
	}
	inv := Invocation{ID: newGUID(), Function: fn.Name, Trigger: "httpTrigger", At: h.cfg.Now()}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path, pr.Out.URL.RawPath = r.URL.Path, r.URL.RawPath
			pr.Out.Header.Set("X-Azure-Functions-InvocationId", inv.ID)
			pr.Out.Header.Set("X-Azure-Functions-HostVersion", hostVersion)
			pr.SetXForwarded()
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			inv.Error = err.Error()
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "the handler did not answer"})
		},
		ModifyResponse: func(resp *http.Response) error {
			inv.CorrelationID = resp.Header.Get("X-Correlation-Id")
			return nil
		},
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	start := time.Now()
	proxy.ServeHTTP(rec, r)
	inv.Duration, inv.Status = time.Since(start), rec.status
	inv.OK = rec.status < 500
	if inv.Error == "" && rec.status >= 400 {
		inv.Error = fmt.Sprintf("%s %s answered %d", r.Method, r.URL.Path, rec.status)
	}
	h.record(inv)
}

func (h *Host) handlePublish(w http.ResponseWriter, r *http.Request) {
	var msg bus.Wire
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 100<<20))
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

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
