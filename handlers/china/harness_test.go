package china

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
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// clock is a settable clock.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock                { c := &clock{}; c.ns.Store(t.UnixNano()); return c }
func (c *clock) Now() time.Time                  { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Add(d time.Duration)             { c.ns.Add(int64(d)) }
func (c *clock) Set(t time.Time)                 { c.ns.Store(t.UnixNano()) }
func (c *clock) Since(d time.Duration) time.Time { return c.Now().Add(-d) }

// outbox records what handlers hand to the publisher, in order.
type outbox struct {
	mu   sync.Mutex
	msgs []bus.Message
}

func (o *outbox) Notify(id int64, m bus.Message) {
	if id == 0 {
		panic("notified without an outbox row")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
}

func (o *outbox) all() []bus.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]bus.Message(nil), o.msgs...)
}

// keys counts the notified messages by key.
func (o *outbox) keys() map[string]int {
	out := map[string]int{}
	for _, m := range o.all() {
		out[m.Key]++
	}
	return out
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// harness runs handlers behind the custom-handler protocol, as the host
// calls them, on a real socket.
type harness struct {
	store *store.Store
	url   string
	logs  *lockedBuffer
	seq   atomic.Int64
}

func newHarness(t *testing.T, s *store.Store, register func(srv *azfunc.Server)) *harness {
	t.Helper()
	h := &harness{store: s, logs: &lockedBuffer{}}
	srv, err := azfunc.NewServer(azfunc.Config{Logging: azfunc.NewLogging(h.logs, h.logs, slog.LevelDebug, nil), Parker: s,
		RetryBudget: 100 * time.Millisecond, RetryInitial: 10 * time.Millisecond})
	require.NoError(t, err)
	register(srv)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	h.url = hs.URL
	return h
}

func (h *harness) post(t *testing.T, function string, body any) int {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, h.url+"/"+function, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Azure-Functions-InvocationId", fmt.Sprintf("inv-%p-%d", h, h.seq.Add(1)))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// fire runs a timer function once.
func (h *harness) fire(t *testing.T, function string) int {
	t.Helper()
	return h.post(t, function, map[string]any{
		"Data":     map[string]any{"timer": map[string]any{"Schedule": map[string]any{"AdjustForDST": true}, "ScheduleStatus": nil, "IsPastDue": false}},
		"Metadata": map[string]any{},
	})
}

// deliver delivers m to a Service Bus function as the host does.
func (h *harness) deliver(t *testing.T, function string, m bus.Message, messageID string, count int) int {
	t.Helper()
	env, err := json.Marshal(m.Envelope)
	require.NoError(t, err)
	props := map[string]string{}
	for k, v := range m.Properties {
		props[k] = v
	}
	return h.deliverRaw(t, function, env, messageID, count, props)
}

func (h *harness) deliverRaw(t *testing.T, function string, body []byte, messageID string, count int, props map[string]string) int {
	t.Helper()
	return h.post(t, function, map[string]any{
		"Data": map[string]any{"msg": string(body)},
		"Metadata": map[string]any{
			"MessageId": strconv.Quote(messageID), "DeliveryCount": strconv.Itoa(count), "ApplicationProperties": props,
		},
	})
}

func count(t *testing.T, s *store.Store, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, s.Pool.QueryRow(context.Background(), query, args...).Scan(&n))
	return n
}
