package print

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/azfunc/azfunctest"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/imagevalidator"
	"github.com/popsockets/integration/shared/imagevalidator/imagevalidatortest"
	"github.com/popsockets/integration/shared/printstation"
	"github.com/popsockets/integration/shared/printstation/printstationtest"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
	"github.com/popsockets/integration/shared/webhook"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// env is the flow against a real schema and the two fakes on real sockets.
type env struct {
	s      *store.Store
	ps     *printstationtest.Server
	iv     *imagevalidatortest.Server
	rules  *Rules
	intake *Intake
	b      *Builder
	hook   *Webhook
	hookCB printstationtest.BatchCallback
	sent   *azfunctest.Outbox // what the webhook handed to the publisher

	mu  sync.Mutex
	now time.Time
}

func newEnv(t testing.TB, rulesJSON string) *env {
	t.Helper()
	e := &env{s: storetest.Store(t), ps: printstationtest.NewServer(printstationtest.Config{}),
		iv: imagevalidatortest.NewServer(imagevalidatortest.Config{}), rules: mustRules(t, rulesJSON), sent: &azfunctest.Outbox{},
		now: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
	t.Cleanup(e.ps.Close)
	t.Cleanup(e.iv.Close)
	ps, err := printstation.New(printstation.Config{BaseURL: e.ps.URL(), APIKey: e.ps.APIKey(), Timeout: 5 * time.Second})
	require.NoError(t, err)
	iv, err := imagevalidator.New(imagevalidator.Config{BaseURL: e.iv.URL(), TokenURL: e.iv.TokenURL(), ClientID: e.iv.ClientID(),
		ClientSecret: e.iv.ClientSecret(), Timeout: 5 * time.Second})
	require.NoError(t, err)
	e.intake = &Intake{Store: e.s, Rules: e.rules}
	e.b = &Builder{Store: e.s, Rules: e.rules, Validator: iv, PrintStation: ps, Parker: e.s, Now: e.clock}
	v, err := webhook.NewVerifier("printstation", []string{printstationtest.DefaultWebhookSecret}, nil)
	require.NoError(t, err)
	e.hook = &Webhook{Store: e.s, Verifier: v, Outbox: e.sent, Parker: e.s, Now: time.Now}
	srv := httptest.NewServer(e.hook)
	t.Cleanup(srv.Close)
	e.hookCB = printstationtest.BatchCallback{URL: srv.URL}
	e.ps.ReportTo(e.hookCB)
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) setNow(t time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = t
}

// message is an order-update message as OMS publishes it.
func message(t testing.TB, msgID string, o OrderUpdate) *azfunc.Message {
	t.Helper()
	env, err := bus.Request("", "order.update", bus.ObjectOrder, o.OrderID, o, time.Now())
	require.NoError(t, err)
	body, err := json.Marshal(env)
	require.NoError(t, err)
	return &azfunc.Message{Body: body, MessageID: msgID, DeliveryCount: 1, CorrelationID: o.OrderID}
}

func (e *env) deliver(t testing.TB, msgID string, o OrderUpdate) error {
	t.Helper()
	return e.intake.Handle(context.Background(), message(t, msgID, o))
}

func order(id, warehouse string, items ...OrderItem) OrderUpdate {
	return OrderUpdate{SiteID: warehouse, OrderID: id, Warehouse: warehouse, Date: "2026-12-04", Status: "NEW", OrderItems: items}
}

func states(t testing.TB, s *store.Store, orderID string) []string {
	t.Helper()
	steps, err := store.Journey(context.Background(), s.Pool, orderID)
	require.NoError(t, err)
	var out []string
	for _, st := range steps {
		out = append(out, st.State)
	}
	return out
}

func lastDetail(t testing.TB, s *store.Store, orderID string) string {
	t.Helper()
	steps, err := store.Journey(context.Background(), s.Pool, orderID)
	require.NoError(t, err)
	require.NotEmpty(t, steps)
	return steps[len(steps)-1].Detail
}

func itemStatuses(t testing.TB, s *store.Store, orderID string) map[string]string {
	t.Helper()
	rows, err := s.Pool.Query(context.Background(), `SELECT line_number, status FROM print_items WHERE order_id = $1`, orderID)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var l, st string
		require.NoError(t, rows.Scan(&l, &st))
		out[l] = st
	}
	return out
}

// seed queues n printable lines over orders of per lines each, at warehouse.
func (e *env) seed(t testing.TB, prefix, warehouse string, orders, per int) {
	t.Helper()
	for i := range orders {
		var items []OrderItem
		for j := range per {
			items = append(items, line(strconv.Itoa((j+1)*10000), "CPOD"))
		}
		id := prefix + strconv.Itoa(i)
		require.NoError(t, e.deliver(t, "msg-"+id, order(id, warehouse, items...)))
	}
}
