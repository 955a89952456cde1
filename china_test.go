package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/handlers/china"
	"github.com/popsockets/integration/handlers/fulfillment"
	"github.com/popsockets/integration/handlers/print"
	"github.com/popsockets/integration/handlers/product"
	"github.com/popsockets/integration/shared/arena/arenatest"
	"github.com/popsockets/integration/shared/devhost"
	"github.com/popsockets/integration/shared/devhost/localpartners"
	"github.com/popsockets/integration/shared/jackyun/jackyuntest"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

// configureChinaAndProduct gives the China and product flows every setting
// they need (values of the right shape; nothing is reached).
func configureChinaAndProduct(values map[string]string) {
	for k, v := range map[string]string{
		"JACKYUN_URL": "https://jackyun.example/router/qm", "JACKYUN_APP_KEY": "app", "JACKYUN_APP_SECRET": "s3cret-jackyun",
		"ARENA_BASE_URL": "https://arena.example/v1", "ARENA_EMAIL": "integration@example.com", "ARENA_PASSWORD": "pw-arena", "ARENA_WORKSPACE_ID": "898765432",
	} {
		values[k] = v
	}
}

// chinaFlow starts the product as make run does, with a tap in front of the
// broker standing in for BatchStation (it reads order-update outside this
// app) and seeing every publish.
func chinaFlow(t testing.TB, o flowOptions) (*flow, *localpartners.Tap) {
	t.Helper()
	var tap *localpartners.Tap
	inner := o.settings
	o.settings = func(v map[string]string) {
		tap = localpartners.NewTap(v["DEVHOST_URL"])
		v["DEVHOST_URL"] = tap.URL()
		if inner != nil {
			inner(v)
		}
	}
	f := startFlow(t, o)
	t.Cleanup(tap.Close)
	return f, tap
}

func runTimer(t testing.TB, f *flow, name string) devhost.Invocation {
	t.Helper()
	inv, err := f.host.RunTimer(context.Background(), name)
	require.NoError(t, err)
	return inv
}

func podTrades(s []jackyuntest.Sample) map[string]bool {
	out := map[string]bool{}
	for _, x := range s {
		if x.POD {
			out[x.TradeNo] = true
		}
	}
	return out
}

func TestJackyunOrdersReachOMSXBAndBatchStation(t *testing.T) {
	t.Parallel()
	f, tap := chinaFlow(t, flowOptions{})
	ctx := context.Background()
	jy := f.partners.China.Jackyun
	samples := jackyuntest.SampleOrders(30, 13, time.Now().Add(-40*time.Minute), time.Minute, 40)
	jy.AddSamples(samples)

	inv := runTimer(t, f, china.FnPoll)
	require.True(t, inv.OK, "%s\n%s", inv.Error, lastError(f.logs.String()))
	f.idle(t)

	created := f.partners.OMS.CreatedOrders()
	require.Len(t, created, 30, "every order in OMS")
	for _, c := range created {
		require.Equal(t, 1, c.Calls, "once: %s", c.Request.SourceOrderID)
		require.Equal(t, oms.SourceJackyun, c.Request.Source)
	}
	pod := podTrades(samples)
	got := tap.Received(f.settings["TOPIC_ORDER_UPDATE"])
	require.Len(t, got, len(pod), "the orders with print lines, and only those, reach BatchStation")
	for no, r := range got {
		require.True(t, pod[no], "%s has print lines", no)
		require.Len(t, r.MessageIDs, 1, "%s reaches BatchStation once", no)
		var p china.BatchStationOrder
		require.NoError(t, json.Unmarshal(r.Payload, &p))
		require.Equal(t, "KH", p.SiteID)
		require.Equal(t, no, p.OrderID)
		require.Equal(t, "10000", p.OrderItems[0].OrderLineNumber)
		// The print flow reads order-update too: a Jackyun order is
		// BatchStation's, and its journey says so.
		steps, err := store.Journey(ctx, f.store.Pool, no)
		require.NoError(t, err)
		var forBatchStation bool
		for _, st := range steps {
			forBatchStation = forBatchStation || (st.State == print.StateNotForPrint && strings.Contains(st.Detail, "BatchStation batches jackyun orders"))
		}
		require.True(t, forBatchStation, "%s: print leaves it to BatchStation: %+v", no, steps)
	}
	for no, r := range tap.Received(f.settings["TOPIC_JACKYUN_ORDERS"]) {
		require.Len(t, r.MessageIDs, 1, "%s is published raw once", no)
	}

	// OMS routes an order on to XB through the fulfilment flow.
	omsID, status, err := f.partners.AskXB(ctx, samples[0].TradeNo)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, status)
	f.idle(t)
	var toXB bool
	for _, o := range f.partners.XB.Orders() {
		toXB = toXB || o.Order.OrderNo == omsID
	}
	require.True(t, toXB, "XB has the OMS order %s", omsID)
	require.Contains(t, journeyStates(t, f.store, omsID), china.StateCreatedInOMS)
	require.Contains(t, journeyStates(t, f.store, omsID), fulfillment.StateTPLOrderCreated)

	// The next poll reads the overlap again: nothing twice.
	require.True(t, runTimer(t, f, china.FnPoll).OK)
	f.idle(t)
	require.Len(t, f.partners.OMS.CreatedOrders(), 30)
	for no, r := range tap.Received(f.settings["TOPIC_ORDER_UPDATE"]) {
		require.Len(t, r.MessageIDs, 1, no)
	}
	require.Empty(t, f.host.DeadLetters())

	var out, errOut strings.Builder
	require.Equal(t, 0, run(ctx, []string{"trace", samples[0].TradeNo}, func(k string) string { return f.settings[k] }, nil, &out, &errOut), errOut.String())
	require.Contains(t, out.String(), china.StateReceivedFromJackyun)
	require.Contains(t, out.String(), china.StateCreatedInOMS)
}

func TestArenaItemRevisionReachesTheThreeSystems(t *testing.T) {
	t.Parallel()
	f, _ := chinaFlow(t, flowOptions{})
	ar := f.partners.China.Arena
	_, err := ar.AddItem(arenatest.ItemSpec{Number: "PS-GRIP-BLK", Name: "PopGrip, black", Revision: "A", Category: "Grips", UOM: "each",
		Attributes: map[string]any{"Image Type": "FG", "UPC": "840173700011"}})
	require.NoError(t, err)
	_, err = ar.AddItem(arenatest.ItemSpec{Number: "PS-CUSTOM-CYO", Name: "Custom PopGrip", Revision: "A", Category: "Custom", UOM: "each",
		Attributes: map[string]any{"Image Type": "CYO"}, BOM: []arenatest.BOMSpec{{Number: "PS-GRIP-BLK", Quantity: 1}}})
	require.NoError(t, err)
	// The component first, then the kit: OMS refuses a BOM naming a SKU it
	// does not know, and a topic keeps no order between two messages of one
	// poll (handlers/product/README.md, "A BOM before its component").
	_, err = ar.Publish("PS-GRIP-BLK")
	require.NoError(t, err)
	inv := runTimer(t, f, product.FnPoll)
	require.True(t, inv.OK, "%s\n%s", inv.Error, lastError(f.logs.String()))
	f.idle(t)
	_, ok := f.partners.OMS.Product("PS-GRIP-BLK")
	require.True(t, ok, "OMS has the component: %s", lastError(f.logs.String()))
	_, err = ar.Publish("PS-CUSTOM-CYO")
	require.NoError(t, err)
	inv = runTimer(t, f, product.FnPoll)
	require.True(t, inv.OK, "%s\n%s", inv.Error, lastError(f.logs.String()))
	f.idle(t)
	omsP, ok := f.partners.OMS.Product("PS-CUSTOM-CYO")
	require.True(t, ok, "OMS has it: %s", lastError(f.logs.String()))
	require.Equal(t, []string{"A"}, omsP.Applied)
	psP, ok := f.partners.China.PrintStation.Product("PS-CUSTOM-CYO")
	require.True(t, ok)
	require.Equal(t, "CYO", psP.Current.ImageType)
	_, ok = f.partners.China.PrintStation.Product("PS-GRIP-BLK")
	require.False(t, ok, "PrintStation takes only what it prints")
	g, ok := f.partners.China.Jackyun.Goods("PS-CUSTOM-CYO")
	require.True(t, ok)
	require.Equal(t, "A", g.Revision)
	require.Zero(t, ar.UnreconciledEvents())
	require.Equal(t, 1, ar.Logins())

	// The lookup other teams call, behind the function key.
	req, err := http.NewRequest(http.MethodGet, f.host.URL()+"/api/arena/item?item_number=PS-CUSTOM-CYO", nil)
	require.NoError(t, err)
	req.Header.Set("x-functions-key", f.settings["DEVHOST_FUNCTION_KEY"])
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var body struct {
		Item json.RawMessage `json:"item"`
		BOM  []struct {
			Item struct {
				Number string `json:"number"`
			} `json:"item"`
		} `json:"bom"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(body.Item), `"number":"PS-CUSTOM-CYO"`)
	require.Equal(t, "PS-GRIP-BLK", body.BOM[0].Item.Number)
	require.Equal(t, 1, ar.Logins(), "the lookup used the poll's session")
	resp, err = http.Get(f.host.URL() + "/api/arena/item?item_number=PS-CUSTOM-CYO")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "not without the function key")
}

// handlerProcess finds the handler the local host runs for f (exec mode):
// a child of this test process whose environment holds f's database.
func handlerProcess(t testing.TB, f *flow) int {
	t.Helper()
	want := []byte("DATABASE_URL=" + f.settings["DATABASE_URL"] + "\x00")
	dirs, err := os.ReadDir("/proc")
	require.NoError(t, err)
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		env, err := os.ReadFile("/proc/" + d.Name() + "/environ")
		if err == nil && bytes.Contains(env, want) {
			return pid
		}
	}
	t.Fatal("no handler process found for this flow")
	return 0
}

// peakRSSKB is a process's peak resident memory (VmHWM), in KiB.
func peakRSSKB(t testing.TB, pid int) int64 { return statusKB(t, pid, "VmHWM:") }

// relayLeftovers publishes what a dead process left in the outbox: its
// rows are made older than the relay's grace period (the post-crash state
// after 30 seconds), then the outbox-relay timer runs until nothing is left.
func relayLeftovers(t testing.TB, f *flow) {
	t.Helper()
	ctx := context.Background()
	_, err := f.store.Pool.Exec(ctx, `UPDATE outbox SET created_at = now() - interval '1 minute', next_attempt_at = now()`)
	require.NoError(t, err)
	for range 100 {
		require.True(t, runTimer(t, f, "outbox-relay").OK)
		n, err := f.store.PendingOutbox(ctx)
		require.NoError(t, err)
		if n == 0 {
			return
		}
	}
	t.Fatal("the outbox relay never emptied the outbox")
}

// assertOnceEach holds a run to "nothing lost, nothing doubled": every
// order in OMS once, published raw once (one MessageId per order reached
// its consumers), and the ones with print lines sent to BatchStation once.
// With a tap (in-process handler) what reached the broker is checked too;
// an exec'd handler is given the local host's own URL, so there the
// consumers' deliveries are the evidence.
func assertOnceEach(t testing.TB, f *flow, tap *localpartners.Tap, samples []jackyuntest.Sample) {
	t.Helper()
	created := f.partners.OMS.CreatedOrders()
	require.Len(t, created, len(samples), "every order in OMS")
	pod := podTrades(samples)
	for _, fn := range []string{china.FnToOMS, china.FnToBatchStation} {
		ids := map[string]bool{}
		for _, inv := range f.invocations(fn) {
			ids[inv.MessageID] = true
		}
		require.Len(t, ids, len(samples), "%s got each order under one MessageId", fn)
		for _, s := range samples {
			require.True(t, ids[s.TradeNo+"/jackyun-orders/1"], "%s got %s", fn, s.TradeNo)
		}
	}
	require.Equal(t, len(pod), storetest.Count(t, f.store, `SELECT * FROM jackyun_batchstation`), "sent to BatchStation once each")
	require.Equal(t, len(pod), storetest.Count(t, f.store, `SELECT * FROM order_journey WHERE state = $1`, china.StateSentToBatchStation))
	require.Equal(t, len(samples), storetest.Count(t, f.store, `SELECT * FROM processed_messages WHERE consumer = $1 AND status = 'done'`, china.FnToOMS))
	require.Empty(t, f.host.DeadLetters())
	// order-update as the print flow's subscription saw it: each order
	// with print lines under one MessageId (a second publish of it would
	// have a second id, or be dropped by duplicate detection).
	updates := map[string]bool{}
	for _, inv := range f.invocations(print.FnIntake) {
		updates[inv.MessageID] = true
	}
	require.Len(t, updates, len(pod), "each order with print lines on order-update once: %v", updates)
	if tap == nil {
		return
	}
	raw := tap.Received(f.settings["TOPIC_JACKYUN_ORDERS"])
	require.Len(t, raw, len(samples), "every order published raw")
	for no, r := range raw {
		require.Len(t, r.MessageIDs, 1, "%s published under one MessageId", no)
	}
	bs := tap.Received(f.settings["TOPIC_ORDER_UPDATE"])
	require.Len(t, bs, len(pod), "the orders with print lines at BatchStation")
	for no, r := range bs {
		require.True(t, pod[no])
		require.Len(t, r.MessageIDs, 1, "%s at BatchStation once", no)
	}
}

// TestJackyunPollKilledHalfWayLosesNothingAndDoublesNothing kills the real
// handler process (SIGKILL) while the poll is half-way through its pages
// and its consumers are busy, then runs it again.
func TestJackyunPollKilledHalfWayLosesNothingAndDoublesNothing(t *testing.T) {
	t.Parallel()
	f := startFlow(t, flowOptions{exec: true, redelivery: 50 * time.Millisecond, settings: func(v map[string]string) { v["JACKYUN_PAGE_SIZE"] = "100" }})
	jy := f.partners.China.Jackyun
	samples := jackyuntest.SampleOrders(2000, 17, time.Now().Add(-50*time.Minute), 1400*time.Millisecond, 30)
	jy.AddSamples(samples)
	ctx := context.Background()
	var killed atomic.Bool
	jy.OnPage(func(n int) {
		if n != 10 || killed.Swap(true) {
			return
		}
		require.NoError(t, syscall.Kill(handlerProcess(t, f), syscall.SIGKILL))
		// The post-crash state once the dead instance's leases have run out:
		// its poll lease and its consumers' claims.
		_, err := f.store.Pool.Exec(ctx, `UPDATE leases SET expires_at = now() - interval '1 second'`)
		require.NoError(t, err)
		_, err = f.store.Pool.Exec(ctx, `UPDATE processed_messages SET claimed_until = now() - interval '1 second' WHERE status = 'claimed'`)
		require.NoError(t, err)
	})
	inv := runTimer(t, f, china.FnPoll)
	require.False(t, inv.OK, "the poll died with its process")
	require.True(t, killed.Load())
	require.Less(t, storetest.Count(t, f.store, `SELECT * FROM jackyun_orders`), 2000, "it was half-way")
	wm, ok, err := store.GetWatermark(ctx, f.store.Pool, china.PollName)
	require.NoError(t, err)
	if ok { // earlier, empty windows of the first day may be done
		at, err := time.Parse(time.RFC3339Nano, wm)
		require.NoError(t, err)
		require.True(t, at.Before(samples[0].Modified), "the watermark (%s) never passed what was not durable", wm)
	}

	inv = runTimer(t, f, china.FnPoll) // the restarted handler
	require.True(t, inv.OK, "%s\n%s", inv.Error, lastError(f.logs.String()))
	relayLeftovers(t, f)
	f.idle(t)
	assertOnceEach(t, f, nil, samples)
}

// BenchmarkJackyunPoll10000Orders: 10,000 orders over 50 pages of 200
// through the Jackyun fake in one poll of the real handler process (exec'd
// by the local host, its consumers running at the same time), to OMS once
// each and to BatchStation once each for the 30% with print lines. Reports
// the poll's orders/s and seconds, the seconds until every consumer is
// done, and the handler's peak resident memory (VmHWM).
func BenchmarkJackyunPoll10000Orders(b *testing.B) {
	const orders = 10_000
	var pollTime, totalTime time.Duration
	var peakKB int64
	for i := range b.N {
		b.StopTimer()
		// One window (the first poll reads back an hour) holding every order.
		f := startFlow(b, flowOptions{exec: true, settings: func(v map[string]string) { v["JACKYUN_POLL_FIRST_HOURS"] = "1" }})
		samples := jackyuntest.SampleOrders(orders, int64(100+i), time.Now().Add(-55*time.Minute), 300*time.Millisecond, 30)
		f.partners.China.Jackyun.AddSamples(samples)
		b.StartTimer()
		start := time.Now()
		inv := runTimer(b, f, china.FnPoll)
		pollTime += time.Since(start)
		require.True(b, inv.OK, "%s\n%s", inv.Error, lastError(f.logs.String()))
		f.idle(b)
		totalTime += time.Since(start)
		b.StopTimer()
		require.Equal(b, 51, f.partners.China.Jackyun.PagesServed(), "50 full pages, then the empty one that ends the listing")
		peakKB = max(peakKB, peakRSSKB(b, handlerProcess(b, f)))
		assertOnceEach(b, f, nil, samples)
	}
	n := float64(b.N)
	b.ReportMetric(orders*n/pollTime.Seconds(), "orders/s")
	b.ReportMetric(pollTime.Seconds()/n, "s-poll")
	b.ReportMetric(totalTime.Seconds()/n, "s-to-all-consumed")
	b.ReportMetric(float64(peakKB)/1024, "MiB-peak-rss")
}

// TestJackyunRepushIsWired runs `handler jackyun repush` through the
// command line, against the local run's Jackyun fake and database.
func TestJackyunRepushIsWired(t *testing.T) {
	t.Parallel()
	f, _ := chinaFlow(t, flowOptions{})
	ctx := context.Background()
	smp := jackyuntest.SampleOrders(1, 17, time.Now().Add(-30*time.Minute), 0, 100)[0]
	f.partners.China.Jackyun.AddSamples([]jackyuntest.Sample{smp})
	getenv := func(k string) string { return f.settings[k] }
	var out, errOut strings.Builder
	require.Equal(t, 2, run(ctx, []string{"jackyun"}, getenv, nil, &out, &errOut))
	require.Contains(t, errOut.String(), "usage: handler jackyun repush <tradeNo>")
	out.Reset()
	errOut.Reset()
	require.Equal(t, 0, run(ctx, []string{"jackyun", "repush", smp.TradeNo}, getenv, nil, &out, &errOut), errOut.String())
	require.Contains(t, out.String(), "repushed "+smp.TradeNo+" as generation 1")
	f.idle(t)
	var created bool
	for _, c := range f.partners.OMS.CreatedOrders() {
		created = created || c.Request.SourceOrderID == smp.TradeNo
	}
	require.True(t, created, "jackyun-to-oms created it in OMS")
}
