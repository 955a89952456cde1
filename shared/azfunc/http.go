package azfunc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/popsockets/integration/shared/fault"
)

// HTTPOption adjusts one forwarded HTTP function.
type HTTPOption func(*httpOptions)

type httpOptions struct {
	maxBody  int64
	skipGate bool
}

// MaxBody sets the request body limit; larger bodies get 413 before any work.
func MaxBody(n int64) HTTPOption { return func(o *httpOptions) { o.maxBody = n } }

// SkipGate runs the function even when the Gate is not ready (health checks).
func SkipGate() HTTPOption { return func(o *httpOptions) { o.skipGate = true } }

// HTTP registers a forwarded HTTP function: the host sends the original
// request to /<routePrefix>/<route> and returns our response to the caller
// as is. route uses function.json's syntax ("fulfillment/request/{tpl}"),
// which is also net/http's pattern syntax; r.PathValue reads the parameters.
//
// The handler gets the invocation logger and deadline in r.Context(), a body
// limited to MaxBody (see ReadBody), and panic recovery.
func (s *Server) HTTP(name, method, route string, h http.Handler, opts ...HTTPOption) {
	o := httpOptions{maxBody: s.cfg.MaxHTTPBody}
	for _, opt := range opts {
		opt(&o)
	}
	// One function may answer several methods ("POST,GET"), as its
	// function.json's methods list says.
	var methods []string
	for _, m := range strings.Split(method, ",") {
		if m = strings.ToUpper(strings.TrimSpace(m)); m != "" {
			methods = append(methods, m)
		}
	}
	route = strings.Trim(route, "/")
	s.register(Registration{Name: name, Kind: KindHTTP, Methods: methods, Route: route}, nil)
	path := "/" + route
	if s.prefix != "" {
		path = "/" + s.prefix + path
	}
	fh := s.forwarded(name, o, h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.allowed == nil {
		s.allowed = map[string][]string{}
	}
	first := len(s.allowed[path]) == 0
	for _, m := range methods {
		s.mux.Handle(m+" "+path, fh)
		s.allowed[path] = append(s.allowed[path], m)
	}
	if first {
		s.mux.Handle(path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			allowed := append([]string(nil), s.allowed[path]...)
			s.mu.Unlock()
			methodNotAllowed(allowed).ServeHTTP(w, r)
		}))
	}
}

// WrittenStatus is the status a forwarded HTTP handler has written to w
// so far (0 when nothing yet), for a wrapper the handler runs inside: w
// is the writer the server gave it.
func WrittenStatus(w http.ResponseWriter) int {
	if sw, ok := w.(*statusWriter); ok {
		return sw.status
	}
	return 0
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (s *Server) forwarded(name string, o httpOptions, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.cfg.Now()
		invID := r.Header.Get("X-Azure-Functions-InvocationId")
		if invID == "" {
			invID = newID()
		}
		// Never log the query string: a function key may ride in ?code=.
		st := newState(s.base, InvocationInfo{ID: invID, Function: name},
			"invocation_id", Clip(invID, 64), "function", name, "method", r.Method, "path", Clip(r.URL.Path, 256))
		timeout := min(s.cfg.HTTPTimeout, s.deadline())
		ctx, cancel := context.WithTimeout(withState(r.Context(), st), timeout)
		defer cancel()
		sw := &statusWriter{ResponseWriter: w}
		func() {
			defer func() {
				if rec := recover(); rec != nil {
					Logger(ctx).Error("handler panicked", "panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
					err := fault.Transient(fmt.Errorf("%w: %v", errPanicked, rec), 0)
					st.setError(err)
					if sw.status == 0 {
						WriteError(ctx, sw, err)
					}
				}
			}()
			if r.ContentLength > o.maxBody {
				err := fault.TooLargef("request body of %d bytes is over the %d-byte limit", r.ContentLength, o.maxBody)
				st.setError(err)
				WriteError(ctx, sw, err)
				return
			}
			if !o.skipGate {
				if err := s.ready(ctx); err != nil {
					st.setError(err)
					WriteError(ctx, sw, err)
					return
				}
			}
			// A client that trickles its body must not hold the connection:
			// the whole body has to arrive within BodyReadTimeout.
			_ = http.NewResponseController(w).SetReadDeadline(start.Add(s.cfg.BodyReadTimeout))
			r.Body = http.MaxBytesReader(sw, r.Body, o.maxBody)
			h.ServeHTTP(sw, r.WithContext(ctx))
		}()
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		attrs := []any{"status", status, "duration_ms", s.cfg.Now().Sub(start).Milliseconds()}
		if err := st.failure(); err != nil && status >= 400 {
			attrs = append(attrs, "error", err.Error(), "class", classOf(err))
		}
		switch {
		case status >= 500:
			st.final(ctx, slog.LevelError, "request failed", append(attrs, "outcome", string(OutcomeFailed))...)
		case status >= 400:
			st.final(ctx, slog.LevelWarn, "request rejected", append(attrs, "outcome", string(OutcomeRejected))...)
		default:
			st.final(ctx, slog.LevelInfo, "request succeeded", append(attrs, "outcome", string(OutcomeSucceeded))...)
		}
	})
}

// classOf names an error's class as the log line and the answer do.
func classOf(err error) string {
	if errors.Is(err, ErrBodyTimeout) {
		return "timeout"
	}
	return fault.ClassOf(err).String()
}

// methodNotAllowed answers a request whose path is a function's route but
// whose method is not one the function takes.
func methodNotAllowed(allowed []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		WriteJSON(w, http.StatusMethodNotAllowed, ErrorBody{
			Error: fmt.Sprintf("method %s is not allowed here; use %s", Clip(r.Method, 16), strings.Join(allowed, ", ")),
			Class: fault.ClassMalformed.String(),
		})
	})
}

// ErrBodyTimeout means the caller did not send its whole body in time; it
// is answered with 408.
var ErrBodyTimeout = errors.New("request body not received in time")

// ReadBody reads a forwarded request's body within its size limit and its
// read deadline. Over the limit it returns a TooLarge error (413), too slow
// ErrBodyTimeout (408), and an empty body a Malformed error (400): the
// Functions host forwards a body only when the request has a Content-Length
// (it drops chunked bodies), so an empty body is most often a chunked one.
func ReadBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var ne net.Error
		switch {
		case isTooLarge(err):
			return nil, fault.TooLargef("request body is over the size limit")
		case errors.As(err, &ne) && ne.Timeout():
			return nil, fault.Malformed(fmt.Errorf("%w: send the whole body within the read timeout", ErrBodyTimeout))
		}
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	if len(b) == 0 {
		return nil, fault.Malformedf("request body is empty: send it with a Content-Length header (the Functions host drops chunked request bodies)")
	}
	return b, nil
}

// CheckJSONText refuses a JSON body that is not valid UTF-8 or that carries
// a NUL character (\u0000) in a string. Decoding would silently rewrite the
// first (so a stored id would no longer match the partner's) and PostgreSQL
// refuses the second; both are the caller's error, answered with 400 or
// parked, never retried.
func CheckJSONText(body []byte) error {
	if !utf8.Valid(body) {
		return fault.Malformedf("body is not valid UTF-8")
	}
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' || i+1 >= len(body) {
			continue
		}
		if body[i+1] == 'u' && i+5 < len(body) && string(body[i+2:i+6]) == "0000" {
			return fault.Malformedf("body has a NUL character (\\u0000) at byte %d, which no field may contain", i)
		}
		i++ // skip the escaped character: an escaped backslash before u0000 is text, not a NUL
	}
	return nil
}

// CheckField refuses an identifier the layer stores and sends on: empty
// when required, longer than max bytes, or holding control characters.
func CheckField(name, v string, max int, required bool) error {
	switch {
	case v == "" && required:
		return fmt.Errorf("%s is missing", name)
	case len(v) > max:
		return fmt.Errorf("%s is %d bytes long, over the %d allowed", name, len(v), max)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%s holds a control character", name)
		}
	}
	return nil
}

// Fail answers a forwarded request with the status of err's class. Handlers
// call it instead of writing error responses themselves, so the table in
// HTTPStatus is the only place statuses are chosen; the request's one log
// line carries the error and its class.
func Fail(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	if st := stateFrom(ctx); st != nil {
		st.setError(err)
	}
	WriteError(ctx, w, err)
}
