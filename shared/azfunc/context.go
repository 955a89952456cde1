package azfunc

import (
	"context"
	"log/slog"
	"sync"
)

// InvocationInfo describes the running invocation, for handlers that record
// who did what (an order's journey, an audit event).
type InvocationInfo struct {
	ID            string
	Function      string
	MessageID     string
	DeliveryCount int
	CorrelationID string
}

type invocationState struct {
	mu   sync.Mutex
	info InvocationInfo
	// base logs; attrs are the invocation's fields. The logger with the
	// fields is built only when a handler asks for it (Logger): most
	// invocations write only their final line, which passes the fields
	// directly.
	base   *slog.Logger
	attrs  []any
	logger *slog.Logger
	err    error // why a forwarded request was refused, for its final line
	notes  []any // attributes for the invocation's final line
}

// Note adds attributes to the invocation's final log line ("request
// succeeded", "invocation succeeded"), so that one request is one line
// unless something else is worth a line of its own.
func Note(ctx context.Context, attrs ...any) {
	st := stateFrom(ctx)
	if st == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.notes = append(st.notes, attrs...)
}

func (st *invocationState) setError(err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.err = err
}

func (st *invocationState) failure() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.err
}

type stateKey struct{}

func withState(ctx context.Context, st *invocationState) context.Context {
	return context.WithValue(ctx, stateKey{}, st)
}

func stateFrom(ctx context.Context) *invocationState {
	st, _ := ctx.Value(stateKey{}).(*invocationState)
	return st
}

// Logger returns the invocation's logger, which carries invocation_id,
// function, message_id, delivery_count and correlation_id. Outside an
// invocation it returns slog.Default().
func Logger(ctx context.Context) *slog.Logger {
	if st := stateFrom(ctx); st != nil {
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.logger == nil {
			st.logger = st.base.With(st.attrs...)
		}
		return st.logger
	}
	return slog.Default()
}

// Info returns what is known about the running invocation.
func Info(ctx context.Context) InvocationInfo {
	if st := stateFrom(ctx); st != nil {
		st.mu.Lock()
		defer st.mu.Unlock()
		return st.info
	}
	return InvocationInfo{}
}

// SetCorrelationID names the business object (order, document, batch) the
// invocation works on, once the handler knows it; later log lines and the
// invocation's final line carry it.
func SetCorrelationID(ctx context.Context, id string) {
	st := stateFrom(ctx)
	if st == nil || id == "" {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.info.CorrelationID == id {
		return
	}
	st.info.CorrelationID = id
	st.with("correlation_id", id)
}

func (st *invocationState) setMessage(messageID string, deliveryCount int, correlationID string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.info.MessageID = messageID
	st.info.DeliveryCount = deliveryCount
	st.with("message_id", messageID, "delivery_count", deliveryCount)
	if correlationID != "" {
		st.info.CorrelationID = correlationID
		st.with("correlation_id", correlationID)
	}
}

// WithLogger gives background work outside any invocation (the outbox
// publisher, the alert sender) a logger that Logger(ctx) returns.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return withState(ctx, &invocationState{base: l})
}

// newState starts an invocation's state with its first fields.
func newState(base *slog.Logger, info InvocationInfo, attrs ...any) *invocationState {
	return &invocationState{info: info, base: base, attrs: attrs}
}

// with adds fields (the caller holds mu).
func (st *invocationState) with(attrs ...any) {
	st.attrs = append(st.attrs, attrs...)
	st.logger = nil
}

// final writes the invocation's last line: its fields, then attrs.
func (st *invocationState) final(ctx context.Context, level slog.Level, msg string, attrs ...any) {
	st.mu.Lock()
	all := make([]any, 0, len(st.attrs)+len(st.notes)+len(attrs))
	all = append(all, st.attrs...)
	all = append(all, attrs...)
	all = append(all, st.notes...)
	base := st.base
	st.mu.Unlock()
	base.Log(ctx, level, msg, all...)
}
