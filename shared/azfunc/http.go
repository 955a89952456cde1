package azfunc

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

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
	method = strings.ToUpper(method)
	route = strings.Trim(route, "/")
	s.register(Registration{Name: name, Kind: KindHTTP, Methods: []string{method}, Route: route}, nil)
	path := "/" + route
	if s.prefix != "" {
		path = "/" + s.prefix + path
	}
	s.mux.Handle(method+" "+path, s.forwarded(name, o, h))
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
		st := &invocationState{
			info: InvocationInfo{ID: invID, Function: name},
			logger: slog.New(s.cfg.Logging.handler(nil)).With("invocation_id", invID, "function", name,
				"method", r.Method, "path", r.URL.Path),
		}
		timeout := min(s.cfg.HTTPTimeout, s.deadline())
		ctx, cancel := context.WithTimeout(withState(r.Context(), st), timeout)
		defer cancel()
		sw := &statusWriter{ResponseWriter: w}
		var handlerErr error
		func() {
			defer func() {
				if rec := recover(); rec != nil {
					Logger(ctx).Error("handler panicked", "panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
					handlerErr = fmt.Errorf("handler panicked: %v", rec)
					if sw.status == 0 {
						WriteJSON(sw, http.StatusInternalServerError, ErrorBody{
							Error: "internal error", Class: "transient", InvocationID: invID})
					}
				}
			}()
			if r.ContentLength > o.maxBody {
				handlerErr = fault.TooLargef("request body of %d bytes is over the %d-byte limit", r.ContentLength, o.maxBody)
				WriteError(ctx, sw, handlerErr)
				return
			}
			if !o.skipGate {
				if err := s.ready(ctx); err != nil {
					handlerErr = err
					WriteError(ctx, sw, err)
					return
				}
			}
			r.Body = http.MaxBytesReader(sw, r.Body, o.maxBody)
			h.ServeHTTP(sw, r.WithContext(ctx))
		}()
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		attrs := []any{"status", status, "duration_ms", s.cfg.Now().Sub(start).Milliseconds()}
		log := Logger(ctx)
		switch {
		case status >= 500:
			attrs = append(attrs, "outcome", string(OutcomeFailed))
			if handlerErr != nil {
				attrs = append(attrs, "error", handlerErr.Error())
			}
			log.Error("request failed", attrs...)
		case status >= 400:
			attrs = append(attrs, "outcome", string(OutcomeRejected))
			if handlerErr != nil {
				attrs = append(attrs, "error", handlerErr.Error())
			}
			log.Warn("request rejected", attrs...)
		default:
			log.Info("request succeeded", append(attrs, "outcome", string(OutcomeSucceeded))...)
		}
	})
}

// ReadBody reads a forwarded request's body within its limit. Over the limit
// it returns a TooLarge error; WriteError turns that into 413.
func ReadBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		if isTooLarge(err) {
			return nil, fault.TooLargef("request body is over the size limit")
		}
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	return b, nil
}

// Fail answers a forwarded request with the status of err's class and logs
// why. Handlers call it instead of writing error responses themselves, so the
// table in HTTPStatus is the only place statuses are chosen.
func Fail(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	class := fault.ClassOf(err)
	if class == fault.ClassTransient {
		Logger(ctx).Error("request could not be processed", "error", err.Error(), "class", class.String())
	} else {
		Logger(ctx).Warn("request refused", "error", err.Error(), "class", class.String())
	}
	WriteError(ctx, w, err)
}
