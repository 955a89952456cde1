package china

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/jackyun"
	"github.com/popsockets/integration/shared/jackyun/jackyuntest"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

// chinaNoon is 12:00 in China.
var chinaNoon = time.Date(2026, 3, 2, 4, 0, 0, 0, time.UTC)

type pollBundle struct {
	store  *store.Store
	fake   *jackyuntest.Server
	clock  *clock
	outbox *outbox
	poll   *Poll
	h      *harness
}

func setupPoll(t *testing.T, cfg jackyuntest.Config) *pollBundle {
	t.Helper()
	b := &pollBundle{store: storetest.Store(t), clock: newClock(chinaNoon), outbox: &outbox{}}
	cfg.Now = b.clock.Now
	b.fake = jackyuntest.NewServer(cfg)
	t.Cleanup(b.fake.Close)
	c, err := jackyun.New(jackyun.Config{URL: b.fake.URL(), AppKey: b.fake.AppKey(), Secret: b.fake.Secret(), Now: b.clock.Now})
	require.NoError(t, err)
	b.poll = &Poll{Store: b.store, Jackyun: c, Outbox: b.outbox, Parker: b.store, Now: b.clock.Now,
		Rules: WindowRules{FirstLookback: time.Hour}, PageSize: 100}
	b.h = newHarness(t, b.store, func(srv *azfunc.Server) { srv.Timer(FnPoll, "timer", b.poll.Run) })
	return b
}

func (b *pollBundle) run(t *testing.T) int {
	t.Helper()
	return b.h.Fire(t, FnPoll)
}

func (b *pollBundle) watermark(t *testing.T) time.Time {
	t.Helper()
	v, ok, err := store.GetWatermark(context.Background(), b.store.Pool, PollName)
	require.NoError(t, err)
	if !ok {
		return time.Time{}
	}
	at, err := time.Parse(time.RFC3339Nano, v)
	require.NoError(t, err)
	return at
}

// published are the trade numbers published to jackyun-orders, sorted.
func (b *pollBundle) published() []string {
	var out []string
	for _, m := range b.outbox.All() {
		if m.Topic == TopicJackyunOrders {
			out = append(out, m.Envelope.RefeID)
		}
	}
	sort.Strings(out)
	return out
}

func tradeNos(s []jackyuntest.Sample) []string {
	var out []string
	for _, x := range s {
		out = append(out, x.TradeNo)
	}
	sort.Strings(out)
	return out
}

func TestPoll(t *testing.T) {
	t.Parallel()
	t.Run("PublishesEachOrderOfTheWindowOnceRawAndMovesTheWatermark", func(t *testing.T) {
		t.Parallel()
		b := setupPoll(t, jackyuntest.Config{Data: jackyuntest.DataAlternate})
		samples := jackyuntest.SampleOrders(250, 1, b.clock.Since(50*time.Minute), 10*time.Second, 30)
		b.fake.AddSamples(samples)
		require.Equal(t, http.StatusOK, b.run(t))
		require.Equal(t, tradeNos(samples), b.published())
		require.Equal(t, chinaNoon.Add(-time.Minute), b.watermark(t), "to the window's end, once every order is durable")
		w := b.fake.Windows()
		require.Len(t, w, 1)
		require.Equal(t, "2026-03-02 10:59:00", w[0].Start, "asked in China time")
		require.Equal(t, "2026-03-02 11:59:00", w[0].End)
		require.Equal(t, 3, b.fake.PagesServed(), "100 + 100 + 50")

		byNo := map[string][]byte{}
		for _, s := range samples {
			byNo[s.TradeNo] = s.Raw
		}
		for _, m := range b.outbox.All() {
			require.Equal(t, EventJackyunOrder, m.Envelope.EventType)
			require.Equal(t, string(byNo[m.Envelope.RefeID]), string(m.Envelope.RequestedPayload), "published raw, byte for byte")
			require.Equal(t, m.Envelope.RefeID+"/jackyun-orders/1", m.Key)
			require.Equal(t, "1", m.Properties[PropGeneration])
		}
		var raw []byte
		require.NoError(t, b.store.Pool.QueryRow(context.Background(), `SELECT raw FROM jackyun_orders WHERE trade_no = $1`, samples[7].TradeNo).Scan(&raw))
		require.Equal(t, samples[7].Raw, raw, "kept as Jackyun sent it, for audit")
		require.Equal(t, 250, count(t, b.store, `SELECT count(*) FROM order_journey WHERE state = $1`, StateReceivedFromJackyun))
	})
	t.Run("TheNextPollReadsTheOverlapAndPublishesNothingTwice", func(t *testing.T) {
		t.Parallel()
		b := setupPoll(t, jackyuntest.Config{})
		first := jackyuntest.SampleOrders(40, 2, b.clock.Since(20*time.Minute), 20*time.Second, 50)
		b.fake.AddSamples(first)
		require.Equal(t, http.StatusOK, b.run(t))
		b.clock.Add(5 * time.Minute)
		second := jackyuntest.SampleOrders(10, 3, b.clock.Since(4*time.Minute), 10*time.Second, 50)
		b.fake.AddSamples(second)
		require.Equal(t, http.StatusOK, b.run(t))
		require.Equal(t, tradeNos(append(first, second...)), b.published(), "each order once")
		w := b.fake.Windows()
		require.Len(t, w, 2)
		require.Equal(t, "2026-03-02 11:49:00", w[1].Start, "the watermark (11:59) less the 10-minute overlap")
		require.Equal(t, "2026-03-02 12:04:00", w[1].End)
		require.Positive(t, count(t, b.store, `SELECT count(*) FROM jackyun_orders WHERE times_seen > 1`), "the overlap saw some again")
	})
	t.Run("ALateArrivingOrderIsCaughtByTheOverlap", func(t *testing.T) {
		t.Parallel()
		b := setupPoll(t, jackyuntest.Config{})
		late := jackyuntest.SampleOrders(1, 4, b.clock.Since(3*time.Minute), 0, 100)[0]
		// Modified three minutes ago, but Jackyun shows it only in two minutes.
		require.NoError(t, b.fake.AddOrder(late.Raw, late.Modified, b.clock.Now().Add(2*time.Minute)))
		require.Equal(t, http.StatusOK, b.run(t))
		require.Empty(t, b.published())
		b.clock.Add(5 * time.Minute)
		require.Equal(t, http.StatusOK, b.run(t))
		require.Equal(t, []string{late.TradeNo}, b.published(), "its modification time is inside the next window's overlap")
	})
	t.Run("RepeatsAcrossPagesArePublishedOnce", func(t *testing.T) {
		t.Parallel()
		b := setupPoll(t, jackyuntest.Config{RepeatAcrossPages: true})
		samples := jackyuntest.SampleOrders(299, 5, b.clock.Since(30*time.Minute), 5*time.Second, 20)
		b.fake.AddSamples(samples)
		require.Equal(t, http.StatusOK, b.run(t))
		require.Equal(t, tradeNos(samples), b.published())
		for k, n := range b.outbox.Keys() {
			require.Equal(t, 1, n, k)
		}
	})
	t.Run("ARefusalInsideHTTP200StopsTheRunAndKeepsTheWatermark", func(t *testing.T) {
		t.Parallel()
		b := setupPoll(t, jackyuntest.Config{Data: jackyuntest.DataString})
		samples := jackyuntest.SampleOrders(30, 6, b.clock.Since(30*time.Minute), time.Second, 20)
		b.fake.AddSamples(samples)
		b.fake.RefuseNext(500, "isp.service-unavailable", "service unavailable", 1)
		require.Equal(t, http.StatusInternalServerError, b.run(t), "the timer run fails; it is never an empty page")
		require.True(t, b.watermark(t).IsZero())
		require.Empty(t, b.published())
		require.Contains(t, b.h.Logs.String(), "service unavailable")
		require.Equal(t, http.StatusOK, b.run(t))
		require.Equal(t, tradeNos(samples), b.published())
	})
	t.Run("AFailedWindowIsNeverPassedByTheWatermark", func(t *testing.T) {
		t.Parallel()
		b := setupPoll(t, jackyuntest.Config{})
		b.poll.Rules = WindowRules{FirstLookback: 3 * time.Hour, MaxSpan: time.Hour}
		samples := jackyuntest.SampleOrders(300, 7, b.clock.Since(170*time.Minute), 30*time.Second, 20)
		b.fake.AddSamples(samples)
		// Window 1 is one page; the request after window 2's first page fails.
		b.fake.OnPage(func(n int) {
			if n == 2 {
				b.fake.FailNext(http.StatusBadGateway, 1)
			}
		})
		require.Equal(t, http.StatusInternalServerError, b.run(t))
		first := b.fake.Windows()[0]
		require.Equal(t, first.EndAt.UTC(), b.watermark(t), "the watermark is at the end of the last window read whole")
		b.fake.OnPage(nil)
		require.Equal(t, http.StatusOK, b.run(t))
		require.Equal(t, tradeNos(samples), b.published(), "nothing lost, nothing twice")
		for k, n := range b.outbox.Keys() {
			require.Equal(t, 1, n, k)
		}
		require.Equal(t, chinaNoon.Add(-time.Minute), b.watermark(t))
	})
	t.Run("AnOrderWithoutTradeNoIsParkedAndThePageGoesOn", func(t *testing.T) {
		t.Parallel()
		b := setupPoll(t, jackyuntest.Config{})
		samples := jackyuntest.SampleOrders(5, 8, b.clock.Since(10*time.Minute), time.Second, 20)
		b.fake.AddSamples(samples)
		bad, _ := json.Marshal(map[string]any{"orderNo": "XSDD-BROKEN", "gmtModified": jackyun.FormatChina(b.clock.Since(5 * time.Minute))})
		require.NoError(t, b.fake.AddOrder(bad, b.clock.Since(5*time.Minute), time.Time{}))
		require.Equal(t, http.StatusOK, b.run(t))
		require.Equal(t, tradeNos(samples), b.published())
		require.Equal(t, 1, count(t, b.store, `SELECT count(*) FROM parked_messages WHERE function = $1 AND reason LIKE '%tradeNo is missing%'`, FnPoll))
		b.clock.Add(5 * time.Minute)
		require.Equal(t, http.StatusOK, b.run(t))
		require.Equal(t, 1, count(t, b.store, `SELECT count(*) FROM parked_messages`), "read again in the overlap: the same parked row")
		require.Equal(t, 2, count(t, b.store, `SELECT times_seen FROM parked_messages`))
	})
	t.Run("OneInstancePollsAtATime", func(t *testing.T) {
		t.Parallel()
		b := setupPoll(t, jackyuntest.Config{})
		b.fake.AddSamples(jackyuntest.SampleOrders(5, 9, b.clock.Since(10*time.Minute), time.Second, 20))
		got, err := b.store.AcquireLease(context.Background(), PollName, "another-instance", time.Minute)
		require.NoError(t, err)
		require.True(t, got)
		require.Equal(t, http.StatusOK, b.run(t))
		require.Empty(t, b.fake.Calls(), "the other instance is polling")
		require.Contains(t, b.h.Logs.String(), "another instance is polling")
		require.NoError(t, b.store.ReleaseLease(context.Background(), PollName, "another-instance"))
		require.Equal(t, http.StatusOK, b.run(t))
		require.Len(t, b.published(), 5)
	})
	t.Run("StoppedHalfWayAndRunAgainNothingLostNothingDoubled", func(t *testing.T) {
		t.Parallel()
		b := setupPoll(t, jackyuntest.Config{})
		samples := jackyuntest.SampleOrders(1000, 10, b.clock.Since(50*time.Minute), 2*time.Second, 30)
		b.fake.AddSamples(samples)
		ctx, cancel := context.WithCancel(context.Background())
		b.fake.OnPage(func(n int) {
			if n == 5 {
				cancel() // the instance stops while page 5 is on its way
			}
		})
		err := b.poll.Run(ctx, nil)
		require.Error(t, err)
		require.Less(t, len(b.published()), 1000)
		require.True(t, b.watermark(t).IsZero())
		b.fake.OnPage(nil)
		require.Equal(t, http.StatusOK, b.run(t))
		require.Equal(t, tradeNos(samples), b.published())
		for k, n := range b.outbox.Keys() {
			require.Equal(t, 1, n, k)
		}
		require.Equal(t, 1000, count(t, b.store, `SELECT count(*) FROM outbox WHERE topic = $1`, TopicJackyunOrders), "one outbox row per order")
	})
}
