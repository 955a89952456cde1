package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/popsockets/integration/shared/azfunc"
)

// Kinds of event.
const (
	// KindCall is one call to a partner system.
	KindCall = "call"
	// KindInvocation is one message, request, timer run or blob handled.
	KindInvocation = "invocation"
)

// Outcomes.
const (
	OutcomeOK     = "ok"
	OutcomeFailed = "failed"
)

// Event is one audited step. Its JSON names are the ADX table's columns
// (infra/adx/audit.kql) and the PostgreSQL table's.
type Event struct {
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
	Kind string    `json:"kind"`
	// System is the partner ("Cirro", "OMS") for a call, the trigger
	// ("serviceBus", "http", "timer", "blob") for an invocation.
	System string `json:"system"`
	// Operation is "POST /v1/order/create" for a call, the function for an invocation.
	Operation     string `json:"operation"`
	Function      string `json:"function"`
	InvocationID  string `json:"invocation_id"`
	CorrelationID string `json:"correlation_id"`
	Outcome       string `json:"outcome"`
	Status        int    `json:"status"`
	Bytes         int64  `json:"bytes"`
	DurationMS    int64  `json:"duration_ms"`
	// Archive names the blob the raw payload was archived to, if any.
	Archive string `json:"archive,omitempty"`
	// Error is the error's class and first words, redacted by the caller.
	Error string `json:"error,omitempty"`
}

// Sink writes a batch of events; a nil error means every one is durable.
type Sink interface {
	Write(ctx context.Context, batch []Event) error
}

// Config configures a Recorder.
type Config struct {
	Sink Sink
	// Buffer is how many events wait at most (default 20000).
	Buffer int
	// Batch is how many events one write holds at most (default 1000).
	Batch int
	// Every is how long an event waits at most before a write (default 2 s).
	Every time.Duration
	// Attempts is how often one batch is tried before it is dropped (default 4).
	Attempts int
	// Backoff is the first wait between attempts; it doubles (default 500 ms).
	Backoff time.Duration
	// Broken is called once when writes keep failing (a batch was dropped),
	// and again only after a write has succeeded since.
	Broken func(err error)
	// Logger receives the drop and failure lines (default slog.Default).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Recorder buffers events and writes them in the background. A nil
// *Recorder records nothing.
type Recorder struct {
	cfg      Config
	ch       chan Event
	dropped  atomic.Int64
	written  atomic.Int64
	dropping atomic.Bool
	broken   atomic.Bool
	flushReq chan chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// New returns a Recorder; Run starts its writing.
func New(cfg Config) *Recorder {
	if cfg.Buffer <= 0 {
		cfg.Buffer = 20000
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 1000
	}
	if cfg.Every <= 0 {
		cfg.Every = 2 * time.Second
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 4
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Recorder{cfg: cfg, ch: make(chan Event, cfg.Buffer), flushReq: make(chan chan struct{}), done: make(chan struct{})}
}

// Record queues e without waiting; it fills in the id and time when empty.
func (r *Recorder) Record(e Event) {
	if r == nil {
		return
	}
	if e.ID == "" {
		e.ID = NewID()
	}
	if e.Time.IsZero() {
		e.Time = r.cfg.Now()
	}
	e.Time = e.Time.UTC()
	select {
	case r.ch <- e:
		if r.dropping.Load() {
			r.dropping.Store(false)
		}
	default:
		n := r.dropped.Add(1)
		if r.dropping.CompareAndSwap(false, true) {
			r.cfg.Logger.Warn("audit buffer full; events dropped", "dropped_total", n, "buffer", r.cfg.Buffer)
		}
	}
}

// Dropped is how many events were dropped since the start (buffer full,
// or a batch the sink refused every time).
func (r *Recorder) Dropped() int64 {
	if r == nil {
		return 0
	}
	return r.dropped.Load()
}

// Written is how many events the sink has taken.
func (r *Recorder) Written() int64 {
	if r == nil {
		return 0
	}
	return r.written.Load()
}

// Run writes batches until ctx ends, then writes what is buffered (bounded
// by a few seconds) and returns.
func (r *Recorder) Run(ctx context.Context) {
	defer r.stopOnce.Do(func() { close(r.done) })
	tick := time.NewTicker(r.cfg.Every)
	defer tick.Stop()
	batch := make([]Event, 0, r.cfg.Batch)
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			r.drain(fctx, batch)
			cancel()
			return
		case e := <-r.ch:
			batch = append(batch, e)
			if len(batch) >= r.cfg.Batch {
				r.write(ctx, batch)
				batch = batch[:0]
			}
		case <-tick.C:
			if len(batch) > 0 {
				r.write(ctx, batch)
				batch = batch[:0]
			}
		case ack := <-r.flushReq:
			batch = r.drain(ctx, batch)
			close(ack)
		}
	}
}

// drain writes batch and everything buffered now, returning an empty batch.
func (r *Recorder) drain(ctx context.Context, batch []Event) []Event {
	for {
		select {
		case e := <-r.ch:
			batch = append(batch, e)
			if len(batch) >= r.cfg.Batch {
				r.write(ctx, batch)
				batch = batch[:0]
			}
			continue
		default:
		}
		break
	}
	if len(batch) > 0 {
		r.write(ctx, batch)
	}
	return batch[:0]
}

// Flush writes everything recorded before it was called (for tests and for
// a command that ends). It needs Run to be running.
func (r *Recorder) Flush(ctx context.Context) error {
	if r == nil {
		return nil
	}
	ack := make(chan struct{})
	select {
	case r.flushReq <- ack:
	case <-r.done:
		return errors.New("audit: recorder stopped")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Recorder) write(ctx context.Context, batch []Event) {
	wait := r.cfg.Backoff
	var err error
	for attempt := 1; attempt <= r.cfg.Attempts; attempt++ {
		if err = r.cfg.Sink.Write(ctx, batch); err == nil {
			r.written.Add(int64(len(batch)))
			if r.broken.CompareAndSwap(true, false) {
				r.cfg.Logger.Info("audit sink writes again")
			}
			return
		}
		if attempt == r.cfg.Attempts || ctx.Err() != nil {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		wait *= 2
	}
	n := r.dropped.Add(int64(len(batch)))
	r.cfg.Logger.Warn("audit batch dropped", "events", len(batch), "dropped_total", n, "error", err)
	if r.broken.CompareAndSwap(false, true) && r.cfg.Broken != nil {
		r.cfg.Broken(err)
	}
}

// NewID is a random event id.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type ctxKey struct{}

// With returns ctx carrying r, for Call and the invocation's event.
func With(ctx context.Context, r *Recorder) context.Context {
	if r == nil {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, r)
}

// From is the Recorder ctx carries, or nil.
func From(ctx context.Context) *Recorder {
	r, _ := ctx.Value(ctxKey{}).(*Recorder)
	return r
}

// Call records one partner call made under ctx: system is the partner,
// method and path the request (a query is cut off: it may hold a customer's
// email), status the HTTP status (0 when no answer came).
func Call(ctx context.Context, system, method, path string, status int, bytes int64, took time.Duration, err error) {
	r := From(ctx)
	if r == nil {
		return
	}
	path, _, _ = strings.Cut(path, "?")
	info := azfunc.Info(ctx)
	e := Event{Kind: KindCall, System: system, Operation: strings.TrimSpace(method + " " + path), Function: info.Function,
		InvocationID: info.ID, CorrelationID: info.CorrelationID, Status: status, Bytes: bytes, DurationMS: took.Milliseconds(),
		Outcome: OutcomeOK}
	if err != nil || status >= 400 || status == 0 {
		e.Outcome = OutcomeFailed
	}
	if err != nil {
		e.Error = short(err.Error())
	}
	r.Record(e)
}

type archiveKey struct{}

// Archived names the blob an invocation archived its raw input to; the
// invocation's event carries the name. ctx must come from WithArchive.
func Archived(ctx context.Context, blobName string) {
	if p, ok := ctx.Value(archiveKey{}).(*archiveSlot); ok {
		p.mu.Lock()
		p.names = append(p.names, blobName)
		p.mu.Unlock()
	}
}

type archiveSlot struct {
	mu    sync.Mutex
	names []string
}

// Invocation wraps one handled invocation: run is the handler, called with
// a ctx that carries r, and returns the status it answered (0 when there
// is none, as for a message) and its error; the event is recorded when run
// returns. A status of 400 or more is a failed outcome.
func Invocation(ctx context.Context, r *Recorder, system string, bytes int64, run func(ctx context.Context) (int, error)) error {
	if r == nil {
		_, err := run(ctx)
		return err
	}
	slot := &archiveSlot{}
	ctx = context.WithValue(With(ctx, r), archiveKey{}, slot)
	start := r.cfg.Now()
	status, err := run(ctx)
	info := azfunc.Info(ctx)
	e := Event{Kind: KindInvocation, System: system, Operation: info.Function, Function: info.Function, InvocationID: info.ID,
		CorrelationID: info.CorrelationID, Outcome: OutcomeOK, Status: status, Bytes: bytes, DurationMS: r.cfg.Now().Sub(start).Milliseconds()}
	if err != nil || status >= 400 {
		e.Outcome = OutcomeFailed
	}
	if err != nil {
		e.Error = short(err.Error())
	}
	slot.mu.Lock()
	e.Archive = strings.Join(slot.names, " ")
	slot.mu.Unlock()
	r.Record(e)
	return err
}

// short keeps the first line of an error, at most 200 bytes.
func short(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
