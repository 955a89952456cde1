package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/handlers/fulfillment"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/devhost"
	"github.com/popsockets/integration/shared/devhost/localpartners"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/oms/omstest"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
	"github.com/popsockets/integration/shared/teams"
)

// flow is the product on one machine, as `make run` runs it: the local
// host, the handler (in this process, or the built binary), a real
// PostgreSQL schema and the simulated partners.
type flow struct {
	host     *devhost.Host
	partners *localpartners.Partners
	store    *store.Store
	settings map[string]string
	logs     *lockedBuffer
	// handlerURL is the in-process handler's own address, app its parts
	// (not with exec).
	handlerURL string
	parts      *kit.App

	mu   sync.Mutex
	invs []devhost.Invocation
	seen chan devhost.Invocation
}

type flowOptions struct {
	// exec runs the built binary as the handler instead of an in-process server.
	exec bool
	// redelivery is the pause before a failed message is delivered again.
	redelivery time.Duration
	// settings adjusts the app settings before the handler starts.
	settings func(map[string]string)
	// databaseURL replaces the test schema's URL (a proxy in front of it).
	databaseURL func(url string) string
	// build adjusts how the in-process handler is built (not with exec).
	build func(*options)
}

func startFlow(t testing.TB, o flowOptions) *flow {
	t.Helper()
	ctx := context.Background()
	cfg := storetest.Schema(t)
	_, err := store.Migrate(ctx, cfg, nil)
	require.NoError(t, err)
	s, err := store.Open(cfg)
	require.NoError(t, err)
	t.Cleanup(s.Close)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hostURL := "http://" + ln.Addr().String()
	key := "test-function-key-" + localpartners.RandomSecret(6)
	partners, err := localpartners.Start(hostURL, localpartners.Options{FunctionKey: key})
	require.NoError(t, err)
	t.Cleanup(partners.Close)

	values, _, err := devhost.LoadSettings(".")
	require.NoError(t, err)
	for k, v := range partners.Settings {
		values[k] = v
	}
	sep := "?"
	if strings.Contains(cfg.URL, "?") {
		sep = "&"
	}
	values["DATABASE_URL"] = cfg.URL + sep + "search_path=" + cfg.Schema
	if o.databaseURL != nil {
		values["DATABASE_URL"] = o.databaseURL(values["DATABASE_URL"])
	}
	values["DEVHOST_URL"] = hostURL
	values["BLOB_LOCAL_DIR"] = t.TempDir()
	if o.settings != nil {
		o.settings(values)
	}
	values["DEVHOST_FUNCTION_KEY"] = key
	f := &flow{partners: partners, store: s, settings: values, logs: &lockedBuffer{}, seen: make(chan devhost.Invocation, 10000)}

	var worker devhost.Worker
	if o.exec {
		worker = &devhost.ExecWorker{Path: binary, Dir: ".", Stdout: f.logs, Stderr: f.logs}
	} else {
		srv, app := f.app(t, values, o.build)
		worker = &devhost.ServerWorker{Handler: srv.Handler()}
		direct := httptest.NewServer(srv.Handler())
		t.Cleanup(direct.Close)
		f.handlerURL, f.parts = direct.URL, app
		bg, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); app.Run(bg) }()
		t.Cleanup(func() { stop(); <-done; app.Close() })
	}
	blobs, err := blob.NewFS(blob.FSConfig{Root: values["BLOB_LOCAL_DIR"]})
	require.NoError(t, err)
	h, err := devhost.New(devhost.Config{
		AppRoot: ".", Catalog: catalog(), Settings: values, Worker: worker, Listener: ln, Blobs: blobs,
		FunctionKeys:  map[string]string{"default": key},
		DisableTimers: true, RedeliveryDelay: o.redelivery, Out: io.Discard,
		OnInvocation: func(inv devhost.Invocation) {
			f.mu.Lock()
			f.invs = append(f.invs, inv)
			f.mu.Unlock()
			select {
			case f.seen <- inv:
			default:
			}
		},
	})
	require.NoError(t, err)
	f.host = h
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- h.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	select {
	case <-h.Ready():
	case err := <-done:
		t.Fatalf("host stopped: %v\n%s", err, f.logs.String())
	case <-time.After(30 * time.Second):
		t.Fatal("host not ready")
	}
	return f
}

// testOptions keep the product's behaviour with shorter waits.
var testOptions = options{retryBudget: 20 * time.Second, retryInitial: 20 * time.Millisecond,
	outbox: store.OutboxPolicy{Backoff: func(int) time.Duration { return 100 * time.Millisecond }}}

// app builds the handler exactly as serve does, from settings.
func (f *flow) app(t testing.TB, values map[string]string, adjust func(*options)) (*azfunc.Server, *kit.App) {
	t.Helper()
	o := testOptions
	if adjust != nil {
		adjust(&o)
	}
	app, srv, err := build(func(k string) string { return values[k] }, f.logs, f.logs, o)
	require.NoError(t, err)
	return srv, app
}

// idle returns once nothing is left to do: the outbox has published
// everything (publishing happens in the background after each commit) and
// the broker has delivered it, twice in a row.
func (f *flow) idle(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	quiet := 0
	for quiet < 2 {
		require.NoError(t, f.host.WaitIdle(ctx))
		pending, err := f.store.PendingOutbox(ctx)
		require.NoError(t, err)
		if pending == 0 {
			quiet++
		} else {
			quiet = 0
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("never idle: %d outbox messages pending", pending)
		}
	}
}

// invocations of one function, in the order they finished.
func (f *flow) invocations(function string) []devhost.Invocation {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []devhost.Invocation
	for _, inv := range f.invs {
		if inv.Function == function {
			out = append(out, inv)
		}
	}
	return out
}

// request plays OMS: the order waits for fulfilment in OMS, and OMS asks.
func (f *flow) request(t *testing.T, tpl string, smp omstest.Sample) int {
	t.Helper()
	f.partners.OMS.AddOrder(smp.Request.OrderID, oms.StateWaitingFulfillmentConfirmation)
	status, body, err := f.partners.Requester.Send(context.Background(), tpl, smp.Request, smp.Customer)
	require.NoError(t, err)
	require.Contains(t, []int{http.StatusAccepted, http.StatusServiceUnavailable}, status, "%s", body)
	if status != http.StatusAccepted {
		t.Logf("request answered %d: %s", status, lastError(f.logs.String()))
	}
	return status
}

// b2c returns n consumer samples shipped with a method the fakes know.
func b2c(n int, seed int64) []omstest.Sample {
	var out []omstest.Sample
	for _, s := range omstest.SampleOrders(n*3, seed) {
		if s.Request.OrderType == 0 && s.Request.Source != oms.SourceB2BPortal && len(out) < n {
			out = append(out, s)
		}
	}
	return out
}

func journeyStates(t *testing.T, s *store.Store, orderID string) []string {
	t.Helper()
	steps, err := store.Journey(context.Background(), s.Pool, orderID)
	require.NoError(t, err)
	var out []string
	for _, st := range steps {
		out = append(out, st.State)
	}
	return out
}

func omsTransitions(f *flow, orderID string) []string {
	var out []string
	for _, e := range f.partners.OMS.Effects(orderID) {
		out = append(out, e.To)
	}
	return out
}

func TestB2CHappyPathThroughTheDevhost(t *testing.T) {
	t.Parallel()
	for _, exec := range []bool{false, true} {
		name := "InProcessHandler"
		if exec {
			name = "BuiltBinary"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := startFlow(t, flowOptions{exec: exec})
			ctx := context.Background()
			smp := b2c(1, 7)[0]
			id := smp.Request.OrderID

			// NAV allocated the order: it announces it on nav-order-release.
			f.partners.OMS.AddOrder(id, oms.StatePendingNAVRelease)
			nav, err := bus.NewLocal(bus.LocalConfig{URL: f.host.URL(), Topics: map[string]string{
				fulfillment.TopicNAVOrderRelease: f.settings["TOPIC_NAV_ORDER_RELEASE"]}})
			require.NoError(t, err)
			env, err := bus.Request("", fulfillment.EventNAVOrderReleased, bus.ObjectOrder, id, fulfillment.NAVReleased{OrderID: id, NAVOrderNo: "SO-1"}, time.Now())
			require.NoError(t, err)
			require.NoError(t, nav.Publish(ctx, bus.Message{Topic: fulfillment.TopicNAVOrderRelease, Key: id + "/nav-release", Envelope: env}))
			f.idle(t)
			require.Equal(t, oms.StateReleasedFromNAV, f.partners.OMS.State(id))

			require.Equal(t, http.StatusAccepted, f.request(t, "cirro", smp))
			f.idle(t)
			orders := f.partners.Cirro.Orders()
			require.Len(t, orders, 1, "the Cirro order is created once")
			require.Equal(t, id, orders[0].Create.ReferenceNo)
			require.Equal(t, smp.Customer.Name, orders[0].Create.Consignee.Name, "the customer was decrypted for Cirro")

			require.NoError(t, f.partners.Cirro.SendAcceptance(ctx, id))
			f.idle(t)
			require.Equal(t, oms.StateExportedToTPL, f.partners.OMS.State(id))
			require.NoError(t, f.partners.Cirro.SendShipment(ctx, id))
			f.idle(t)
			require.Equal(t, oms.StateShipped, f.partners.OMS.State(id))

			require.Equal(t, []string{
				oms.StateReleasedFromNAV, oms.StateWaitingFulfillmentConfirmation, fulfillment.StateTPLOrderCreated,
				fulfillment.StateAcceptedByTPL, oms.StateExportedToTPL, fulfillment.StateShippedByTPL, oms.StateShipped,
			}, journeyStates(t, f.store, id), "the journey is complete")
			require.Equal(t, []string{oms.StateReleasedFromNAV, oms.StateExportedToTPL, oms.StateShipped}, omsTransitions(f, id))
			var calls []string
			for _, c := range f.partners.OMS.Calls() {
				if strings.Contains(c.Path, "fulfill_orders") {
					calls = append(calls, string(c.Body))
				}
			}
			require.Len(t, calls, 1)
			require.Contains(t, calls[0], `"tracking_numbers":["`, "OMS got the tracking numbers")
			require.Empty(t, f.host.DeadLetters())
			require.NotContains(t, f.logs.String(), smp.Customer.Name, "decrypted personal data never reaches a log line")
			require.NotContains(t, f.logs.String(), smp.Customer.Address.Line1)

			var out, errOut strings.Builder
			code := run(ctx, []string{"trace", id}, func(k string) string { return f.settings[k] }, nil, &out, &errOut)
			require.Equal(t, 0, code, errOut.String())
			require.Contains(t, out.String(), "now SHIPPED")
			require.Contains(t, out.String(), "OMS fulfilled")

			// The audit trail: every message handled and every partner call,
			// written in the background (within seconds), without personal data.
			var trail string
			require.Eventually(t, func() bool {
				var out, errOut strings.Builder
				if run(ctx, []string{"audit", id}, func(k string) string { return f.settings[k] }, nil, &out, &errOut) != 0 {
					return false
				}
				trail = out.String()
				return strings.Contains(trail, "oms-ship-confirm") && strings.Contains(trail, "POST /api/v3/osor_order/fulfill_orders")
			}, 20*time.Second, 100*time.Millisecond, "the audit trail of %s", id)
			for _, want := range []string{"invocation  httpTrigger", "fulfillment-request", "cirro-fulfill", "Cirro", "POST /v1/order/create",
				"cirro-webhook", "oms-fulfillment-confirm", "OMS"} {
				require.Contains(t, trail, want)
			}
			require.NotContains(t, trail, smp.Customer.Name)
		})
	}
}

func TestSameRequestTwentyTimesHasOneEffect(t *testing.T) {
	t.Parallel()
	f := startFlow(t, flowOptions{})
	ctx := context.Background()
	smp := b2c(1, 11)[0]
	id := smp.Request.OrderID
	for range 10 {
		require.Equal(t, http.StatusAccepted, f.request(t, "cirro", smp))
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, err := f.partners.Requester.Send(ctx, "cirro", smp.Request, smp.Customer)
			if err != nil || status != http.StatusAccepted {
				t.Errorf("concurrent repeat: %d %v", status, err)
			}
		}()
	}
	wg.Wait()
	f.idle(t)
	require.Len(t, f.partners.Cirro.Orders(), 1, "one Cirro order")
	require.Equal(t, 1, storetest.Count(t, f.store, `SELECT * FROM fulfillment_requests`))

	// Cirro repeats its acceptance 20 times, some at once.
	for range 10 {
		require.NoError(t, f.partners.Cirro.SendAcceptance(ctx, id))
	}
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.partners.Cirro.SendAcceptance(ctx, id); err != nil {
				t.Errorf("concurrent acceptance: %v", err)
			}
		}()
	}
	wg.Wait()
	f.idle(t)
	require.Equal(t, []string{oms.StateExportedToTPL}, omsTransitions(f, id), "one OMS confirmation")
	require.Len(t, f.invocations("oms-fulfillment-confirm"), 1)
	states := journeyStates(t, f.store, id)
	require.Equal(t, []string{oms.StateWaitingFulfillmentConfirmation, fulfillment.StateTPLOrderCreated,
		fulfillment.StateAcceptedByTPL, oms.StateExportedToTPL}, states)
}

func TestCirroFailsTwiceThenCreatesOnce(t *testing.T) {
	t.Parallel()
	f := startFlow(t, flowOptions{})
	f.partners.Cirro.FailNext(http.StatusInternalServerError, 2)
	smp := b2c(1, 13)[0]
	require.Equal(t, http.StatusAccepted, f.request(t, "cirro", smp))
	f.idle(t)
	require.Len(t, f.partners.Cirro.Orders(), 1)
	invs := f.invocations("cirro-fulfill")
	require.Len(t, invs, 1, "the failures were retried inside the delivery, with back-off: no delivery was burned")
	require.True(t, invs[0].OK)
	require.Equal(t, 2, strings.Count(f.logs.String(), "trying again within the invocation"))
	require.GreaterOrEqual(t, f.partners.Cirro.LookupCalls(), 1, "after a failed attempt the order is looked up before it is created again")
	require.Equal(t, 1, strings.Count(strings.Join(journeyStates(t, f.store, smp.Request.OrderID), ","), fulfillment.StateTPLOrderCreated))
}

func TestCirroRefusesTheShipMethodParksOnceAndReplays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	broken := `{"cirro":{"STANDARD":"USPS_GRND","EXPRESS":"UPS_2DAY","2DAY":"UPS_2DAY"},"xb":{"STANDARD":"STANDARD"}}`
	f := startFlow(t, flowOptions{settings: func(v map[string]string) { v["SHIP_METHODS"] = broken }})
	var smp omstest.Sample
	for _, s := range b2c(10, 17) {
		if s.Request.ShipMethod == "STANDARD" {
			smp = s
			break
		}
	}
	require.NotEmpty(t, smp.Request.OrderID)
	require.Equal(t, http.StatusAccepted, f.request(t, "cirro", smp))
	f.idle(t)

	invs := f.invocations("cirro-fulfill")
	require.Len(t, invs, 1, "no retry storm")
	require.True(t, invs[0].OK, "2xx to the host: the message is parked, not retried")
	parked, err := f.store.ListParked(ctx, store.ParkedFilter{Function: "cirro-fulfill"})
	require.NoError(t, err)
	require.Len(t, parked, 1)
	require.Contains(t, parked[0].Reason, "USPS_GRND")
	require.Equal(t, smp.Request.OrderID, parked[0].CorrelationID)
	cards := waitCards(t, f, 1)
	require.Len(t, cards, 1, "one Teams alert")
	require.Contains(t, cardText(cards[0]), "handler replay")
	require.NotContains(t, cardText(cards[0]), smp.Customer.Name, "no personal data in the alert")
	require.Empty(t, f.partners.Cirro.Orders())
	require.Empty(t, f.host.DeadLetters())

	// The mapping is fixed; the operator replays the parked message.
	fixed := map[string]string{}
	for k, v := range f.settings {
		fixed[k] = v
	}
	fixed["SHIP_METHODS"] = `{"cirro":{"STANDARD":"USPS_GROUND"}}`
	// By filter, as an operator finds it: first what it would do.
	replay := func(args ...string) (int, string) {
		var out, errOut strings.Builder
		code := run(ctx, append([]string{"replay"}, args...), func(k string) string { return fixed[k] }, nil, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	code, out := replay("-parked", "-dry-run", "-function", "cirro-fulfill", "-correlation", smp.Request.OrderID)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "would")
	require.Empty(t, f.partners.Cirro.Orders(), "a dry run calls nobody")
	p, err := f.store.GetParked(ctx, parked[0].ID)
	require.NoError(t, err)
	require.True(t, p.Open(), "a dry run changes nothing")
	code, out = replay("-parked", "-function", "cirro-fulfill", "-correlation", smp.Request.OrderID)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "succeeded")
	code, out = replay("-parked", "-function", "cirro-fulfill", "-correlation", smp.Request.OrderID)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "no parked message matches", "a replayed message is not selected again")
	orders := f.partners.Cirro.Orders()
	require.Len(t, orders, 1)
	require.Equal(t, "USPS_GROUND", orders[0].Create.ShippingMethod)
	p, err = f.store.GetParked(ctx, parked[0].ID)
	require.NoError(t, err)
	require.False(t, p.Open())
	srv, app := f.app(t, fixed, nil)
	defer app.Close()
	res, err := replayParked(ctx, srv, app, parked[0].ID, false)
	require.NoError(t, err)
	require.Contains(t, res, "already replayed")
	require.Len(t, f.partners.Cirro.Orders(), 1)
}

// cardText is a Teams card as sent, for searching.
func cardText(c any) string {
	b, _ := json.Marshal(c)
	return string(b)
}

// waitCards waits for Teams to have received n cards (alerts leave in the
// background, after the invocation) and returns them.
func waitCards(t *testing.T, f *flow, n int) []teams.Card {
	t.Helper()
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if cards := f.partners.Teams.Cards(); len(cards) >= n {
			return cards
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("Teams got %d cards, want %d", len(f.partners.Teams.Cards()), n)
		}
	}
}

// lastError is the last error field in the logs, to say why a request failed.
func lastError(logs string) string {
	i := strings.LastIndex(logs, `"error":`)
	if i < 0 {
		return "(no error logged)"
	}
	end := min(len(logs), i+400)
	return logs[i:end]
}

// TestTraceOfAnOrderKnownOnlyByItsParkedMessage: a message parked as
// malformed before any step was recorded (a print order without an
// image, say) is still found by its order id.
func TestTraceOfAnOrderKnownOnlyByItsParkedMessage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := startFlow(t, flowOptions{})
	_, err := f.store.Park(ctx, azfunc.Parked{Function: "print-order-intake", MessageID: "m-bad", CorrelationID: "ORD-NO-IMAGE",
		Reason: "order ORD-NO-IMAGE line 10000 (CPOD): no imageUrl: it cannot be validated or printed", Payload: []byte(`{}`)})
	require.NoError(t, err)
	var out, errOut strings.Builder
	require.Equal(t, 0, run(ctx, []string{"trace", "ORD-NO-IMAGE"}, func(k string) string { return f.settings[k] }, nil, &out, &errOut),
		"%s\n%s", out.String(), errOut.String())
	require.Contains(t, out.String(), "order ORD-NO-IMAGE")
	require.Contains(t, out.String(), "no imageUrl")
	require.Contains(t, out.String(), "handler replay")
}
