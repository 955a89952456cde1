package azfunc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/popsockets/integration/shared/fault"
)

// Parked is a message or blob that will never succeed as it is, kept for a
// person to inspect and replay.
type Parked struct {
	Function      string
	Trigger       string
	Binding       string
	MessageID     string
	CorrelationID string
	InvocationID  string
	DeliveryCount int
	Reason        string
	// Payload is the message body or blob content as received.
	Payload []byte
	// Metadata is the invocation's Metadata exactly as the host sent it.
	Metadata json.RawMessage
}

// ParkResult says where a parked item went and whether it is new.
type ParkResult struct {
	ID    int64
	First bool
}

// Parker stores parked items. Parking the same function and message id again
// must update the existing record, not add one.
type Parker interface {
	Park(ctx context.Context, p Parked) (ParkResult, error)
}

// Alerter tells people that something was parked. It is best effort: a
// failed alert is logged, and the dead-letter watch reports what was missed.
type Alerter interface {
	AlertParked(ctx context.Context, p Parked, r ParkResult) error
}

// Gate is checked before each invocation runs. An error fails the invocation
// as transient: the configuration is incomplete or the database is behind
// the binary's schema, and retrying later may succeed.
type Gate interface {
	Ready(ctx context.Context) error
}

// Config configures a Server. Logging is required.
type Config struct {
	Logging *Logging
	// FunctionTimeout is host.json's functionTimeout (default 10 minutes).
	// Each invocation's deadline is FunctionTimeout minus DeadlineMargin, so
	// the handler gives up before the host kills the whole process.
	FunctionTimeout time.Duration
	// DeadlineMargin defaults to 30 s, or a tenth of FunctionTimeout if smaller.
	DeadlineMargin time.Duration
	// HTTPTimeout bounds forwarded HTTP requests (default 60 s; platform cap 230 s).
	HTTPTimeout time.Duration
	// MaxHTTPBody is the default request body limit of HTTP functions (default 1 MiB).
	MaxHTTPBody int64
	// BodyReadTimeout bounds the time from a forwarded request's arrival to
	// the last byte of its body (default 10 s); a slower body gets 408.
	BodyReadTimeout time.Duration
	// MaxInvocationBody bounds the host's invocation envelope (default 256 MiB).
	MaxInvocationBody int64
	// RoutePrefix is host.json's extensions.http.routePrefix (default "api").
	RoutePrefix *string
	// Parker is required when a Service Bus or blob function is registered.
	Parker  Parker
	Alerter Alerter
	Gate    Gate
	Now     func() time.Time
	// RetryBudget is how long a Service Bus or blob invocation keeps trying
	// a transient failure itself, with exponential back-off (honouring a
	// Retry-After hint), before it fails and the host redelivers (default 2
	// minutes, at most half the deadline). Service Bus abandons a failed
	// message and hands it straight back, so without this a short outage
	// burns every delivery in seconds and dead-letters the message.
	RetryBudget time.Duration
	// RetryInitial is the first back-off (default 500 ms; tests shorten it).
	RetryInitial time.Duration
}

// Registration describes a registered function, for consistency checks
// against functions/*/function.json.
type Registration struct {
	Name    string
	Kind    string
	Binding string
	Binary  bool
	Methods []string
	Route   string
}

type runFunc func(ctx context.Context, inv *Invocation, st *invocationState) (*Parked, []byte, error)

type function struct {
	reg Registration
	run runFunc
}

// Server serves the custom-handler protocol.
type Server struct {
	cfg    Config
	mux    *http.ServeMux
	log    *slog.Logger
	mu     sync.Mutex
	funcs  map[string]*function
	prefix string
	// allowed lists the methods of each forwarded HTTP path, for 405s.
	allowed map[string][]string
	// base is the logger invocations start from.
	base *slog.Logger
}

// NewServer builds a server. It does no I/O.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Logging == nil {
		return nil, errors.New("azfunc: Config.Logging is required")
	}
	if cfg.FunctionTimeout <= 0 {
		cfg.FunctionTimeout = 10 * time.Minute
	}
	if cfg.DeadlineMargin <= 0 {
		cfg.DeadlineMargin = min(30*time.Second, cfg.FunctionTimeout/10)
	}
	if cfg.HTTPTimeout <= 0 {
		cfg.HTTPTimeout = 60 * time.Second
	}
	if cfg.MaxHTTPBody <= 0 {
		cfg.MaxHTTPBody = 1 << 20
	}
	if cfg.BodyReadTimeout <= 0 {
		cfg.BodyReadTimeout = 10 * time.Second
	}
	if cfg.MaxInvocationBody <= 0 {
		cfg.MaxInvocationBody = 256 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RetryBudget <= 0 {
		cfg.RetryBudget = 2 * time.Minute
	}
	if cfg.RetryInitial <= 0 {
		cfg.RetryInitial = 500 * time.Millisecond
	}
	prefix := "api"
	if cfg.RoutePrefix != nil {
		prefix = strings.Trim(*cfg.RoutePrefix, "/")
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), log: cfg.Logging.Logger(), funcs: map[string]*function{}, prefix: prefix}
	s.base = s.log
	// The host polls GET / until anything answers; answer at once.
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Registrations lists the registered functions by name.
func (s *Server) Registrations() []Registration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Registration, 0, len(s.funcs))
	for _, f := range s.funcs {
		out = append(out, f.reg)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (s *Server) register(reg Registration, run runFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.funcs[reg.Name]; dup {
		panic(fmt.Sprintf("azfunc: function %q registered twice", reg.Name))
	}
	if (reg.Kind == KindServiceBus || reg.Kind == KindBlob) && s.cfg.Parker == nil {
		panic(fmt.Sprintf("azfunc: function %q needs Config.Parker to park permanent failures", reg.Name))
	}
	s.funcs[reg.Name] = &function{reg: reg, run: run}
	if reg.Kind != KindHTTP || run != nil {
		s.mux.HandleFunc("POST /"+reg.Name, s.invoke(s.funcs[reg.Name]))
	}
}

// ServiceBus registers a serviceBusTrigger function. binary must match the
// binding's dataType.
func (s *Server) ServiceBus(name, binding string, binary bool, h func(ctx context.Context, m *Message) error) {
	s.register(Registration{Name: name, Kind: KindServiceBus, Binding: binding, Binary: binary},
		func(ctx context.Context, inv *Invocation, st *invocationState) (*Parked, []byte, error) {
			p := &Parked{Trigger: KindServiceBus, Binding: binding}
			m, err := DecodeMessage(inv, binding, binary)
			if err != nil {
				p.Payload = inv.Data[binding]
				p.MessageID, _ = inv.MetaString("MessageId")
				return p, nil, fault.Malformed(err)
			}
			st.setMessage(m.MessageID, m.DeliveryCount, m.CorrelationID)
			p.Payload, p.MessageID, p.DeliveryCount, p.CorrelationID = m.Body, m.MessageID, m.DeliveryCount, m.CorrelationID
			return p, nil, s.retrying(ctx, func() error {
				if err := s.ready(ctx); err != nil {
					return err
				}
				return h(ctx, m)
			})
		})
}

// Timer registers a timerTrigger function.
func (s *Server) Timer(name, binding string, h func(ctx context.Context, t *Timer) error) {
	s.register(Registration{Name: name, Kind: KindTimer, Binding: binding},
		func(ctx context.Context, inv *Invocation, _ *invocationState) (*Parked, []byte, error) {
			t, err := DecodeTimer(inv, binding)
			if err != nil {
				return nil, nil, fault.Malformed(err)
			}
			if err := s.ready(ctx); err != nil {
				return nil, nil, err
			}
			return nil, nil, h(ctx, t)
		})
}

// Blob registers a blobTrigger function. binary must match the binding's
// dataType (use binary for EDI and other files).
func (s *Server) Blob(name, binding string, binary bool, h func(ctx context.Context, b *Blob) error) {
	s.register(Registration{Name: name, Kind: KindBlob, Binding: binding, Binary: binary},
		func(ctx context.Context, inv *Invocation, st *invocationState) (*Parked, []byte, error) {
			p := &Parked{Trigger: KindBlob, Binding: binding}
			b, err := DecodeBlob(inv, binding, binary)
			if err != nil {
				p.Payload = inv.Data[binding]
				p.MessageID, _ = inv.MetaString("Uri")
				return p, nil, fault.Malformed(err)
			}
			// A blob is identified by its path and version: an overwrite is a new item.
			id := b.Path()
			if b.ETag != "" {
				id += "@" + strings.Trim(b.ETag, `"`)
			}
			st.setMessage(id, 1, b.Path())
			p.Payload, p.MessageID, p.CorrelationID, p.DeliveryCount = b.Data, id, b.Path(), 1
			return p, nil, s.retrying(ctx, func() error {
				if err := s.ready(ctx); err != nil {
					return err
				}
				return h(ctx, b)
			})
		})
}

// HTTPTrigger registers an httpTrigger function in the default mode (the
// request arrives in the envelope; the response goes to output binding out).
// Errors are answered with the status of their class; transient errors fail
// the invocation, so the host answers 500.
func (s *Server) HTTPTrigger(name, in, out string, h func(ctx context.Context, r *HTTPRequest) (*HTTPResponse, error)) {
	s.register(Registration{Name: name, Kind: KindHTTP, Binding: in},
		func(ctx context.Context, inv *Invocation, _ *invocationState) (*Parked, []byte, error) {
			req, err := DecodeHTTPRequest(inv, in)
			var resp *HTTPResponse
			if err == nil {
				err = s.ready(ctx)
			}
			if err == nil {
				resp, err = h(ctx, req)
			}
			if err != nil {
				if fault.ClassOf(err) == fault.ClassTransient {
					return nil, nil, err
				}
				body, _ := json.Marshal(ErrorBody{Error: err.Error(), Class: fault.ClassOf(err).String(), InvocationID: Info(ctx).ID})
				resp = &HTTPResponse{StatusCode: HTTPStatus(err), Body: string(body), Headers: map[string]string{"Content-Type": "application/json"}}
			}
			outputs, mErr := json.Marshal(map[string]*HTTPResponse{out: resp})
			if mErr != nil {
				return nil, nil, mErr
			}
			return nil, outputs, nil
		})
}

func (s *Server) ready(ctx context.Context) error {
	if s.cfg.Gate == nil {
		return nil
	}
	if err := s.cfg.Gate.Ready(ctx); err != nil {
		return fault.Transient(fmt.Errorf("not ready: %w", err), 0)
	}
	return nil
}

// errPanicked marks a handler panic: it fails the invocation (500) but is
// not retried inside it.
var errPanicked = errors.New("handler panicked")

// retrying runs op until it succeeds, fails with a class other than
// transient, panics, or the retry budget (bounded by half the invocation's
// remaining deadline) runs out. It returns op's last error.
func (s *Server) retrying(ctx context.Context, op func() error) error {
	budget := s.cfg.RetryBudget
	if dl, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(dl)/2)
	}
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval, b.Multiplier = s.cfg.RetryInitial, 15*time.Second, 2
	var last error
	attempt := 0
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		attempt++
		last = safely(ctx, op)
		switch {
		case last == nil:
			return struct{}{}, nil
		case errors.Is(last, errPanicked) || fault.ClassOf(last) != fault.ClassTransient:
			return struct{}{}, backoff.Permanent(last)
		}
		if d, ok := fault.RetryAfter(last); ok {
			return struct{}{}, &backoff.RetryAfterError{Duration: d}
		}
		return struct{}{}, last
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(budget), backoff.WithNotify(func(_ error, wait time.Duration) {
		Logger(ctx).Warn("transient failure; trying again within the invocation",
			"attempt", attempt, "wait_ms", wait.Milliseconds(), "error", last, "class", fault.ClassOf(last).String())
	}))
	if err == nil {
		return nil
	}
	if attempt > 1 && last != nil {
		return fmt.Errorf("after %d attempts in this invocation: %w", attempt, last)
	}
	return last
}

// safely runs op and turns a panic into an error marked errPanicked.
func safely(ctx context.Context, op func() error) (err error) {
	defer func() {
		if rec := recover(); rec != nil {
			Logger(ctx).Error("handler panicked", "panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
			err = fmt.Errorf("%w: %v", errPanicked, rec)
		}
	}()
	return op()
}

func metadataJSON(inv *Invocation) json.RawMessage {
	b, err := json.Marshal(inv.Metadata)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return b
}

// reply is the body the host expects from a successful invocation.
type reply struct {
	Outputs     json.RawMessage `json:"Outputs"`
	Logs        []string        `json:"Logs"`
	ReturnValue any             `json:"ReturnValue"`
}

func (s *Server) deadline() time.Duration {
	return s.cfg.FunctionTimeout - s.cfg.DeadlineMargin
}

func (s *Server) invoke(fn *function) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := s.cfg.Now()
		invID := r.Header.Get("X-Azure-Functions-InvocationId")
		if invID == "" {
			invID = newID()
		}
		st := newState(s.base, InvocationInfo{ID: invID, Function: fn.reg.Name}, "invocation_id", invID, "function", fn.reg.Name)
		ctx, cancel := context.WithTimeout(withState(r.Context(), st), s.deadline())
		defer cancel()

		var outcome Outcome
		var outputs []byte
		var runErr error
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxInvocationBody))
		if err != nil {
			runErr = fmt.Errorf("reading invocation: %w", err)
			outcome = OutcomeFailed
		} else if inv, err := parseInvocation(body); err != nil {
			runErr = err
			outcome = OutcomeFailed
		} else {
			inv.ID, inv.Function = invID, fn.reg.Name
			var parked *Parked
			parked, outputs, runErr = s.runSafely(ctx, fn, inv, st)
			outcome = decide(fn.reg.Kind, runErr)
			if outcome == OutcomeParked {
				if err := s.park(ctx, fn, parked, inv, runErr); err != nil {
					runErr = fmt.Errorf("parking after %v: %w", runErr, err)
					outcome = OutcomeFailed
				}
			}
		}
		s.finish(ctx, start, outcome, runErr)
		if outcome == OutcomeFailed {
			WriteJSON(w, http.StatusInternalServerError, map[string]string{"error": "invocation failed", "invocation_id": invID})
			return
		}
		if len(outputs) == 0 {
			outputs = json.RawMessage(`{}`)
		}
		// Every line went to stdout or stderr already; see Logging.
		WriteJSON(w, http.StatusOK, reply{Outputs: outputs, Logs: []string{}})
	}
}

// runSafely runs the function and turns a panic into a transient error.
func (s *Server) runSafely(ctx context.Context, fn *function, inv *Invocation, st *invocationState) (p *Parked, out []byte, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			Logger(ctx).Error("handler panicked", "panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
			err = fmt.Errorf("%w: %v", errPanicked, rec)
		}
	}()
	return fn.run(ctx, inv, st)
}

func (s *Server) park(ctx context.Context, fn *function, p *Parked, inv *Invocation, cause error) error {
	if p == nil {
		return errors.New("nothing to park")
	}
	// The metadata is encoded only now: most invocations are never parked.
	p.Function, p.InvocationID, p.Reason, p.Metadata = fn.reg.Name, inv.ID, cause.Error(), metadataJSON(inv)
	if p.MessageID == "" {
		p.MessageID = contentID(p.Payload)
	}
	// Parking must finish even when the invocation's deadline has passed.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	res, err := s.cfg.Parker.Park(pctx, *p)
	if err != nil {
		return err
	}
	Logger(ctx).Warn("message parked", "parked_id", res.ID, "first_time", res.First, "reason", p.Reason)
	if res.First && s.cfg.Alerter != nil {
		if err := s.cfg.Alerter.AlertParked(pctx, *p, res); err != nil {
			Logger(ctx).Error("alerting about parked message failed; dead-letter-watch will report it", "parked_id", res.ID, "error", err)
		}
	}
	return nil
}

func (s *Server) finish(ctx context.Context, start time.Time, outcome Outcome, err error) {
	attrs := []any{"outcome", string(outcome), "duration_ms", s.cfg.Now().Sub(start).Milliseconds()}
	level, msg := slog.LevelInfo, "invocation succeeded"
	switch outcome {
	case OutcomeFailed:
		attrs = append(attrs, "error", errString(err), "class", fault.ClassOf(err).String())
		level, msg = slog.LevelError, "invocation failed"
	case OutcomeParked:
		attrs = append(attrs, "error", errString(err), "class", fault.ClassOf(err).String())
		level, msg = slog.LevelWarn, "invocation parked its input"
	case OutcomeDuplicate:
		msg = "invocation skipped a duplicate"
	}
	if st := stateFrom(ctx); st != nil {
		st.final(ctx, level, msg, attrs...)
		return
	}
	Logger(ctx).Log(ctx, level, msg, attrs...)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Listen listens on 127.0.0.1:port, where the host calls the handler.
func Listen(port string) (net.Listener, error) {
	if port == "" {
		return nil, errors.New("FUNCTIONS_CUSTOMHANDLER_PORT is not set")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return nil, fmt.Errorf("listening on port %s: %w", port, err)
	}
	return ln, nil
}

// Serve serves on ln until ctx ends, then shuts down gracefully, letting
// in-flight invocations finish within grace.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return fmt.Errorf("shutting down: %w", err)
		}
		return nil
	}
}

// contentID identifies a payload that arrived without a message id.
func contentID(payload []byte) string {
	sum := sha256.Sum256(payload)
	return "sha256:" + hex.EncodeToString(sum[:])
}
