package platform_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/handlers/platform"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/messaging"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
	"github.com/popsockets/integration/shared/teams"
	"github.com/popsockets/integration/shared/teams/teamstest"
)

// opsParts is the kit's alerts, a migrated schema and a Teams fake.
func opsParts(t *testing.T) (*kit.Alerts, *store.Store, *teamstest.Server) {
	t.Helper()
	tm := teamstest.NewServer(teamstest.Config{})
	t.Cleanup(tm.Close)
	cfg := storetest.Schema(t)
	_, err := store.Migrate(context.Background(), cfg, nil)
	require.NoError(t, err)
	values := map[string]string{"DATABASE_URL": storetest.SchemaURL(cfg), "ENVIRONMENT": "test", "TEAMS_WORKFLOW_URL": tm.URL()}
	app, err := kit.New(kit.Config{Getenv: func(k string) string { return values[k] }, Catalog: &messaging.Catalog{}})
	require.NoError(t, err)
	t.Cleanup(app.Close)
	return app.Alerts(), app.Store(), tm
}

// broker is a hand-written dead-letter queue: counts and peeks.
type broker struct {
	mu   sync.Mutex
	msgs []bus.DeadLetter
}

func (b *broker) add(d bus.DeadLetter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs = append(b.msgs, d)
}

func (b *broker) DeadLetters(context.Context) ([]bus.DeadLetterCount, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	counts := map[string]int64{}
	for _, m := range b.msgs {
		counts[m.Topic+"|"+m.Subscription]++
	}
	var out []bus.DeadLetterCount
	for k, n := range counts {
		topic, sub, _ := strings.Cut(k, "|")
		out = append(out, bus.DeadLetterCount{Topic: topic, Subscription: sub, Count: n})
	}
	return out, nil
}

func (b *broker) PeekDeadLetters(_ context.Context, topic, sub string, max int) ([]bus.DeadLetter, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []bus.DeadLetter
	for _, m := range b.msgs {
		if m.Topic == topic && m.Subscription == sub && len(out) < max {
			out = append(out, m)
		}
	}
	return out, nil
}

func deadLetter(seq int64, order, reason string) bus.DeadLetter {
	return bus.DeadLetter{Topic: "int-test-nav-order-release", Subscription: "oms", SequenceNumber: seq,
		MessageID: order + "/nav-release", CorrelationID: order, Reason: reason, DeliveryCount: 10,
		Description: "Message could not be consumed after 10 delivery attempts.",
		EnqueuedAt:  time.Date(2026, 11, 25, 17, 0, 0, 0, time.UTC), ContentType: "application/json",
		Body: []byte(`{"order_id":"` + order + `"}`)}
}

func cardTitles(tm *teamstest.Server) []string {
	var out []string
	for _, c := range tm.Cards() {
		out = append(out, c.Body[0].Text)
	}
	return out
}

func TestDeadLetterWatchRecordsEachMessageOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alerts, s, tm := opsParts(t)
	archive, err := blob.NewFS(blob.FSConfig{Root: t.TempDir()})
	require.NoError(t, err)
	b := &broker{}
	b.add(deadLetter(11, "ORD-1", "MaxDeliveryCountExceeded"))
	b.add(deadLetter(12, "ORD-2", "MaxDeliveryCountExceeded"))
	b.add(deadLetter(13, "ORD-3", "TTLExpiredException"))
	w := &platform.DeadLetterWatch{Parked: alerts, DeadLetters: b, Reader: b, Records: s, Leases: s, Environment: "test",
		Recorder: &platform.DeadLetterRecorder{Records: s, Archive: archive}, AlertWindow: time.Hour}
	hs, logs := server(t, func(srv *azfunc.Server) { srv.Timer("dead-letter-watch", "timer", w.Run) })

	t.Run("EachNewMessageIsRecordedWithItsBodyArchived", func(t *testing.T) {
		require.Equal(t, 200, invokeTimer(t, hs.URL, "dead-letter-watch"))
		require.Equal(t, 3, strings.Count(logs.String(), `"msg":"dead-lettered message recorded"`))
		require.Contains(t, logs.String(), `"correlation_id":"ORD-2"`, "the order's journey shows its dead letter")
		recs, err := s.ListDeadLetters(ctx, store.DeadLetterFilter{})
		require.NoError(t, err)
		require.Len(t, recs, 3)
		r := recs[0]
		require.Equal(t, "ORD-1/nav-release", r.MessageID)
		require.Equal(t, "MaxDeliveryCountExceeded", r.Reason)
		require.Equal(t, time.Date(2026, 11, 25, 17, 0, 0, 0, time.UTC), r.EnqueuedAt.UTC())
		container, name, _ := strings.Cut(r.BodyRef, "/")
		body, _, err := archive.Get(ctx, container, name)
		require.NoError(t, err)
		require.Equal(t, `{"order_id":"ORD-1"}`, string(body))
	})

	t.Run("OneCardPerKindCarryingTheReplayCommand", func(t *testing.T) {
		titles := cardTitles(tm)
		require.Len(t, titles, 3, "the queue, and one per reason: %v", titles)
		require.Contains(t, titles, "[test] 2 new dead-lettered messages on int-test-nav-order-release/oms")
		require.Contains(t, titles, "[test] message dead-lettered on int-test-nav-order-release/oms")
		var single teams.Card
		for _, c := range tm.Cards() {
			if c.Body[0].Text == "[test] message dead-lettered on int-test-nav-order-release/oms" {
				single = c
			}
		}
		facts := map[string]string{}
		for _, f := range single.Body[len(single.Body)-1].Facts {
			facts[f.Title] = f.Value
		}
		require.Equal(t, "ORD-3", facts["Correlation id"])
		require.Regexp(t, `^handler replay -dead-letter \d+$`, facts["Replay"])
	})

	t.Run("ASecondRunRecordsNothingAndPostsNothing", func(t *testing.T) {
		require.Equal(t, 200, invokeTimer(t, hs.URL, "dead-letter-watch"))
		require.Equal(t, 3, strings.Count(logs.String(), `"msg":"dead-lettered message recorded"`))
		require.Len(t, tm.Cards(), 3)
		require.Equal(t, 2, strings.Count(logs.String(), `"msg":"dead-lettered messages need attention"`),
			"the queue's line is written while it is not empty")
	})

	t.Run("AnotherOfTheSameKindWaitsForTheWindow", func(t *testing.T) {
		b.add(deadLetter(14, "ORD-4", "MaxDeliveryCountExceeded"))
		require.Equal(t, 200, invokeTimer(t, hs.URL, "dead-letter-watch"))
		require.Equal(t, 4, strings.Count(logs.String(), `"msg":"dead-lettered message recorded"`), "its line goes out at once")
		require.Len(t, tm.Cards(), 3, "its card waits")
		storetest.Exec(t, s, `UPDATE alert_kinds SET last_sent_at = now() - interval '2 hours'`)
		require.Equal(t, 200, invokeTimer(t, hs.URL, "dead-letter-watch"))
		titles := cardTitles(tm)
		require.Contains(t, titles[3:], "[test] message dead-lettered on int-test-nav-order-release/oms", "the next window's card has it")
		open, err := s.UnalertedDeadLetters(ctx, 0)
		require.NoError(t, err)
		require.Empty(t, open)
	})

	t.Run("AHeldLeaseFailsTheRun", func(t *testing.T) {
		ok, err := s.AcquireLease(ctx, "dead-letter-watch", "a hung instance", time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, 500, invokeTimer(t, hs.URL, "dead-letter-watch"))
		require.Contains(t, logs.String(), "another run holds its lease")
		require.NoError(t, s.ReleaseLease(ctx, "dead-letter-watch", "a hung instance"))
	})
}

func TestDeadLetterWatchSaysWhenAQueueHoldsMoreThanOneRunLooksAt(t *testing.T) {
	t.Parallel()
	alerts, s, _ := opsParts(t)
	archive, err := blob.NewFS(blob.FSConfig{Root: t.TempDir()})
	require.NoError(t, err)
	b := &broker{}
	for i := range 3 {
		b.add(deadLetter(int64(21+i), fmt.Sprintf("ORD-%d", 21+i), "MaxDeliveryCountExceeded"))
	}
	w := &platform.DeadLetterWatch{Parked: alerts, DeadLetters: b, Reader: b, Records: s, Leases: s, Environment: "test",
		Recorder: &platform.DeadLetterRecorder{Records: s, Archive: archive}, AlertWindow: time.Hour, PeekMax: 2}
	hs, logs := server(t, func(srv *azfunc.Server) { srv.Timer("dead-letter-watch", "timer", w.Run) })
	require.Equal(t, 200, invokeTimer(t, hs.URL, "dead-letter-watch"))
	require.Equal(t, 2, strings.Count(logs.String(), `"msg":"dead-lettered message recorded"`), "the first two")
	require.Contains(t, logs.String(), `"msg":"dead-letter queue holds more than one run looks at"`)
	require.Contains(t, logs.String(), `"looked_at":2`)
}

func TestMissed(t *testing.T) {
	t.Parallel()
	at := func(hm string) time.Time {
		tm, err := time.Parse("2006-01-02 15:04:05", "2026-11-25 "+hm)
		require.NoError(t, err)
		return tm
	}
	cases := []struct {
		name, schedule string
		since, now     time.Time
		want           int
	}{
		{"JustRan", "0 */5 * * * *", at("10:00:02"), at("10:01:00"), 0},
		{"TheNextRunIsStillRunning", "0 */5 * * * *", at("10:00:02"), at("10:05:30"), 0},
		{"OneMissedAfterItsGrace", "0 */5 * * * *", at("10:00:02"), at("10:06:01"), 1},
		{"ThreeMissed", "0 */5 * * * *", at("10:00:02"), at("10:16:30"), 3},
		{"CountingStopsAtTheLimit", "0 */5 * * * *", at("10:00:02"), at("23:00:00"), 4},
		{"EveryMinuteHasHalfAMinuteOfGrace", "0 * * * * *", at("10:00:01"), at("10:03:31"), 3},
		{"ADailyTimerIsNotLateBeforeItsHour", "0 0 6 * * *", at("06:00:05"), at("23:59:00"), 0},
		{"WeekdaysOnlySkipTheWeekend", "0 0 9 * * 1-5", time.Date(2026, 11, 27, 9, 0, 5, 0, time.UTC), time.Date(2026, 11, 30, 9, 0, 20, 0, time.UTC), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sched, err := platform.ParseSchedule(tc.schedule)
			require.NoError(t, err)
			require.Equal(t, tc.want, platform.Missed(sched, tc.since, tc.now, 4))
		})
	}
	_, err := platform.ParseSchedule("00:05:00")
	require.Error(t, err, "a TimeSpan is not NCRONTAB")
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func TestPollerWatchdogAlertsOnceAndClearsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alerts, s, tm := opsParts(t)
	t0 := time.Date(2026, 11, 25, 10, 0, 1, 0, time.UTC)
	c := &clock{t: t0}
	record := func(at time.Time, err error) {
		t.Helper()
		require.NoError(t, s.RecordTimerRun(ctx, store.TimerOutcome{Function: "sps-inbound-poll", Schedule: "0 */5 * * * *", StartedAt: at, Err: err}))
	}
	record(t0, nil)
	w := &platform.Watchdog{Runs: s, Leases: s, Alerts: alerts, Missed: 3, Now: c.now, Environment: "test"}
	hs, logs := server(t, func(srv *azfunc.Server) { srv.Timer("poller-watchdog", "timer", w.Run) })
	run := func(at time.Time) int {
		t.Helper()
		c.set(at)
		return invokeTimer(t, hs.URL, "poller-watchdog")
	}

	require.Equal(t, 200, run(t0.Add(11*time.Minute)))
	require.Regexp(t, `"msg":"poller status".*"timer":"sps-inbound-poll".*"missed_runs":2,"stale":false`, logs.String())
	require.NotContains(t, logs.String(), "poller stopped", "two missed runs are within N")

	record(t0.Add(10*time.Minute), errors.New("SFTP: connection refused"))
	tm.FailNext(http.StatusServiceUnavailable, 1)
	require.Equal(t, 500, run(t0.Add(16*time.Minute)), "the card could not go out: the run fails")
	require.Equal(t, 200, run(t0.Add(21*time.Minute)), "the next run sends it")
	require.Equal(t, 200, run(t0.Add(26*time.Minute)))
	require.Equal(t, 2, strings.Count(logs.String(), `"msg":"poller stopped"`), "one line per attempt to alert")
	titles := cardTitles(tm)
	require.Equal(t, []string{"[test] poller stopped: sps-inbound-poll"}, titles, "one alert")
	require.Contains(t, logs.String(), `"last_error":"SFTP: connection refused"`)

	record(t0.Add(30*time.Minute), nil)
	require.Equal(t, 200, run(t0.Add(31*time.Minute)))
	require.Equal(t, 200, run(t0.Add(36*time.Minute)))
	require.Equal(t, []string{"[test] poller stopped: sps-inbound-poll", "[test] poller recovered: sps-inbound-poll"}, cardTitles(tm),
		"one clear")
	require.Equal(t, 1, strings.Count(logs.String(), `"msg":"poller recovered"`))
}

// TestPollerWatchdogRacesAlertOnce: two watchdog runs at once (two
// instances) alert a stopped timer once.
func TestPollerWatchdogRacesAlertOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alerts, s, tm := opsParts(t)
	t0 := time.Date(2026, 11, 25, 10, 0, 1, 0, time.UTC)
	require.NoError(t, s.RecordTimerRun(ctx, store.TimerOutcome{Function: "arena-item-poll", Schedule: "0 */5 * * * *", StartedAt: t0}))
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &platform.Watchdog{Runs: s, Alerts: alerts, Missed: 3, Now: func() time.Time { return t0.Add(time.Hour) }, Environment: "test"}
			_ = w.Run(azfunc.WithLogger(ctx, slog.New(slog.DiscardHandler)), &azfunc.Timer{})
		}()
	}
	wg.Wait()
	require.Equal(t, []string{"[test] poller stopped: arena-item-poll"}, cardTitles(tm))
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"MaxDeliveryCountExceeded": "MaxDeliveryCountExceeded",
		"TTLExpiredException":      "TTLExpiredException",
		"":                         "''",
		"Session id is invalid":    "'Session id is invalid'",
		"it's; rm -rf /":           `'it'\''s; rm -rf /'`,
	} {
		require.Equal(t, want, platform.ShellQuote(in), in)
	}
}

// TestPollerWatchdogWatchesATimerThatNeverRan: a timer the host never
// triggers after a deploy has no run to record; the watchdog counts it
// from when it first saw it registered.
func TestPollerWatchdogWatchesATimerThatNeverRan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alerts, s, tm := opsParts(t)
	t0 := time.Date(2026, 11, 25, 10, 0, 1, 0, time.UTC)
	c := &clock{t: t0}
	w := &platform.Watchdog{Runs: s, Leases: s, Alerts: alerts, Missed: 3, Now: c.now, Environment: "test",
		Timers: func() map[string]string { return map[string]string{"nav-outbound-poll": "0 */5 * * * *"} }}
	hs, logs := server(t, func(srv *azfunc.Server) { srv.Timer("poller-watchdog", "timer", w.Run) })
	require.Equal(t, 200, invokeTimer(t, hs.URL, "poller-watchdog"))
	runs, err := s.TimerRuns(ctx)
	require.NoError(t, err)
	require.Len(t, runs, 1, "registered at its first sighting, with no run")
	require.Nil(t, runs[0].LastSuccessAt)
	require.Empty(t, cardTitles(tm))
	c.set(t0.Add(16 * time.Minute))
	require.Equal(t, 200, invokeTimer(t, hs.URL, "poller-watchdog"))
	require.Equal(t, []string{"[test] poller stopped: nav-outbound-poll"}, cardTitles(tm), "three runs missed since it was first seen")
	require.Contains(t, logs.String(), `"msg":"poller stopped"`)
}
