// Package azfunctest runs a flow's handlers behind the custom-handler
// protocol, as the Functions host calls them, on a real socket, for the
// flows' own tests: timers fired, Service Bus messages delivered with the
// host's metadata, and what the handlers logged and published, with a
// settable clock. (The whole local host, with its broker and timers, is
// shared/devhost; this is the smaller part a package test needs.)
package azfunctest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
)

// Host serves the registered functions as the Functions host reaches a
// custom handler.
type Host struct {
	URL  string
	Logs *Buffer
	seq  atomic.Int64
}

// New starts a server for the functions register adds; failures that are
// transient are retried inside an invocation for up to retryBudget (the
// platform's is 2 minutes), and a permanent one is parked with parker.
func New(t testing.TB, parker azfunc.Parker, retryBudget time.Duration, register func(srv *azfunc.Server)) *Host {
	t.Helper()
	h := &Host{Logs: &Buffer{}}
	srv, err := azfunc.NewServer(azfunc.Config{Logging: azfunc.NewLogging(h.Logs, h.Logs, slog.LevelDebug, nil), Parker: parker,
		RetryBudget: retryBudget, RetryInitial: 10 * time.Millisecond})
	require.NoError(t, err)
	register(srv)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	h.URL = hs.URL
	return h
}

// Post sends one invocation body to a function and returns the status.
func (h *Host) Post(t testing.TB, function string, body any) int {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, h.URL+"/"+function, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Azure-Functions-InvocationId", fmt.Sprintf("inv-%p-%d", h, h.seq.Add(1)))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// Fire runs a timer function once.
func (h *Host) Fire(t testing.TB, function string) int {
	t.Helper()
	return h.Post(t, function, map[string]any{
		"Data":     map[string]any{"timer": map[string]any{"Schedule": map[string]any{"AdjustForDST": true}, "ScheduleStatus": nil, "IsPastDue": false}},
		"Metadata": map[string]any{},
	})
}

// Deliver delivers m to a Service Bus function (binding "msg") as the host
// does, as the count-th delivery of messageID.
func (h *Host) Deliver(t testing.TB, function string, m bus.Message, messageID string, count int) int {
	t.Helper()
	env, err := json.Marshal(m.Envelope)
	require.NoError(t, err)
	props := map[string]string{}
	for k, v := range m.Properties {
		props[k] = v
	}
	return h.DeliverRaw(t, function, env, messageID, count, props)
}

// DeliverRaw delivers body as it is, with these application properties.
func (h *Host) DeliverRaw(t testing.TB, function string, body []byte, messageID string, count int, props map[string]string) int {
	t.Helper()
	return h.Post(t, function, map[string]any{
		"Data": map[string]any{"msg": string(body)},
		"Metadata": map[string]any{
			"MessageId": strconv.Quote(messageID), "DeliveryCount": strconv.Itoa(count), "ApplicationProperties": props,
		},
	})
}

// Buffer is a log sink safe for concurrent handlers.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *Buffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// Clock is a settable clock.
type Clock struct{ ns atomic.Int64 }

// NewClock is a clock at t.
func NewClock(t time.Time) *Clock { c := &Clock{}; c.ns.Store(t.UnixNano()); return c }

// Now is the clock's time.
func (c *Clock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

// Add moves the clock.
func (c *Clock) Add(d time.Duration) { c.ns.Add(int64(d)) }

// Set sets the clock.
func (c *Clock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }

// Since is the clock's time d ago.
func (c *Clock) Since(d time.Duration) time.Time { return c.Now().Add(-d) }

// Outbox records what handlers hand to the background publisher, in order
// (it implements the kit's Notifier).
type Outbox struct {
	mu   sync.Mutex
	msgs []bus.Message
}

// Notify records m; an id of zero (no outbox row) is a handler's bug.
func (o *Outbox) Notify(id int64, m bus.Message) {
	if id == 0 {
		panic("notified without an outbox row")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
}

// All is every message notified.
func (o *Outbox) All() []bus.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]bus.Message(nil), o.msgs...)
}

// Keys counts the notified messages by key.
func (o *Outbox) Keys() map[string]int {
	out := map[string]int{}
	for _, m := range o.All() {
		out[m.Key]++
	}
	return out
}
