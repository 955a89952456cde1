package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/handlers/fulfillment"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

// deadLetterNAVRelease makes NAV's release of orderID dead-letter: OMS
// throttles every delivery with a Retry-After longer than an invocation
// may wait, until maxDeliveryCount is spent.
func deadLetterNAVRelease(t *testing.T, f *flow, orderID string) {
	t.Helper()
	ctx := context.Background()
	f.partners.OMS.AddOrder(orderID, oms.StatePendingNAVRelease)
	f.partners.OMS.ThrottleOrder(orderID, catalog().MaxDeliveryCount(catalog().Topics[0].Subscriptions[0]), time.Hour)
	nav, err := bus.NewLocal(bus.LocalConfig{URL: f.host.URL(), Topics: map[string]string{
		fulfillment.TopicNAVOrderRelease: f.settings["TOPIC_NAV_ORDER_RELEASE"]}})
	require.NoError(t, err)
	env, err := bus.Request("", fulfillment.EventNAVOrderReleased, bus.ObjectOrder, orderID, fulfillment.NAVReleased{OrderID: orderID, NAVOrderNo: "SO-9"}, time.Now())
	require.NoError(t, err)
	require.NoError(t, nav.Publish(ctx, bus.Message{Topic: fulfillment.TopicNAVOrderRelease, Key: orderID + "/nav-release", Envelope: env}))
	f.idle(t)
	dl := f.host.DeadLetters()
	require.Len(t, dl, 1, "the release is dead-lettered")
	require.Equal(t, oms.StatePendingNAVRelease, f.partners.OMS.State(orderID))
}

func runCLI(t *testing.T, f *flow, args ...string) (int, string) {
	t.Helper()
	var out, errOut strings.Builder
	code := run(context.Background(), args, func(k string) string { return f.settings[k] }, nil, &out, &errOut)
	return code, out.String() + errOut.String()
}

// TestDeadLetteredMessageIsRecordedAlertedAndReplayedOnce: a message that
// exhausted its deliveries is recorded once by dead-letter-watch (one card
// with its replay command), listed by a dry run without being touched, and
// replayed once from the dead-letter queue: a second replay has no second
// effect.
func TestDeadLetteredMessageIsRecordedAlertedAndReplayedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := startFlow(t, flowOptions{})
	const id = "ORD-DLQ-1"
	deadLetterNAVRelease(t, f, id)

	for range 2 {
		inv, err := f.host.RunTimer(ctx, "dead-letter-watch")
		require.NoError(t, err)
		require.True(t, inv.OK, lastError(f.logs.String()))
	}
	recs, err := f.store.ListDeadLetters(ctx, store.DeadLetterFilter{Correlation: id})
	require.NoError(t, err)
	require.Len(t, recs, 1, "recorded once, however many runs see it")
	rec := recs[0]
	require.Equal(t, "MaxDeliveryCountExceeded", rec.Reason)
	require.Equal(t, id+"/nav-release", rec.MessageID)
	require.Equal(t, 1, strings.Count(f.logs.String(), `"msg":"dead-lettered message recorded"`))
	replayCmd := "handler replay -dead-letter " + strconv.FormatInt(rec.ID, 10)
	cards := waitCards(t, f, 2)
	var found bool
	for _, c := range cards {
		found = found || (strings.Contains(cardText(c), replayCmd) && strings.Contains(cardText(c), id))
	}
	require.True(t, found, "a card names the order and the replay command: %v", cards)

	code, out := runCLI(t, f, "replay", "-dead-letter", "-dry-run", "-topic", fulfillment.TopicNAVOrderRelease)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "would be replayed through nav-order-release")
	require.Len(t, f.host.DeadLetters(), 1, "a dry run changes nothing")
	require.Equal(t, oms.StatePendingNAVRelease, f.partners.OMS.State(id))

	code, out = runCLI(t, f, "replay", "-dead-letter", strconv.FormatInt(rec.ID, 10))
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "replayed through nav-order-release: succeeded")
	require.Equal(t, oms.StateReleasedFromNAV, f.partners.OMS.State(id))
	require.Empty(t, f.host.DeadLetters(), "the message left the dead-letter queue")

	code, out = runCLI(t, f, "replay", "-dead-letter", strconv.FormatInt(rec.ID, 10))
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "already replayed")
	code, out = runCLI(t, f, "replay", "-dead-letter", "-force", strconv.FormatInt(rec.ID, 10))
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "no longer in the dead-letter queue")
	require.Equal(t, []string{oms.StateReleasedFromNAV}, omsTransitions(f, id), "one effect in OMS")
	got, err := f.store.GetDeadLetter(ctx, rec.ID)
	require.NoError(t, err)
	require.Equal(t, 1, got.ReplayCount)
}

// TestReplayingADeadLetterByFilterTwiceHasNoSecondEffect: a filter replay
// records what the watch had not seen, and running the same dead letter
// again (as after a completion that was lost) is a duplicate for its
// consumer: OMS is not called again.
func TestReplayingADeadLetterByFilterTwiceHasNoSecondEffect(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := startFlow(t, flowOptions{})
	const id = "ORD-DLQ-2"
	deadLetterNAVRelease(t, f, id)
	l, err := bus.NewLocal(bus.LocalConfig{URL: f.host.URL()})
	require.NoError(t, err)
	peeked, err := l.PeekDeadLetters(ctx, f.settings["TOPIC_NAV_ORDER_RELEASE"], "oms", 10)
	require.NoError(t, err)
	require.Len(t, peeked, 1)

	code, out := runCLI(t, f, "replay", "-dead-letter", "-correlation", "ORD-NOBODY")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "no dead-lettered message matches")

	code, out = runCLI(t, f, "replay", "-dead-letter", "-subscription", "oms", "-correlation", id)
	require.Equal(t, 0, code, out)
	require.Regexp(t, regexp.MustCompile(`dead letter \d+ .*nav-order-release.*replayed through nav-order-release: succeeded`), out)
	require.Equal(t, oms.StateReleasedFromNAV, f.partners.OMS.State(id))
	require.Equal(t, 1, storetest.Count(t, f.store, `SELECT * FROM dead_letters WHERE correlation_id = $1 AND replayed_at IS NOT NULL`, id),
		"the replay recorded the dead letter the watch had not seen")

	calls := len(f.partners.OMS.Calls())
	srv, app := f.app(t, f.settings, nil)
	defer app.Close()
	res, err := redrive(ctx, srv, app.Store(), fulfillment.FnNAVOrderRelease, peeked[0])
	require.NoError(t, err)
	require.Contains(t, res, "succeeded")
	require.Len(t, f.partners.OMS.Calls(), calls, "the consumer's claim is done: OMS is not called again")
	require.Equal(t, []string{oms.StateReleasedFromNAV}, omsTransitions(f, id), "one effect in OMS")
}

// TestAStoppedPollerIsAlertedOnceAndClearedOnce: dead-letter-watch (every
// second here) stops succeeding because a hung run holds its lease; the
// watchdog alerts once after three missed runs, however often it runs,
// and clears once when the timer succeeds again.
func TestAStoppedPollerIsAlertedOnceAndClearedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := startFlow(t, flowOptions{settings: func(v map[string]string) { v["DEAD_LETTER_WATCH_SCHEDULE"] = "* * * * * *" }})
	runTimer := func(name string) bool {
		t.Helper()
		inv, err := f.host.RunTimer(ctx, name)
		require.NoError(t, err)
		return inv.OK
	}
	require.True(t, runTimer("dead-letter-watch"))
	require.True(t, runTimer("poller-watchdog"))
	runs, err := f.store.TimerRuns(ctx)
	require.NoError(t, err)
	schedules := map[string]string{}
	for _, r := range runs {
		schedules[r.Function] = r.Schedule
	}
	require.Equal(t, "* * * * * *", schedules["dead-letter-watch"], "the schedule comes from function.json and the app setting")
	require.Equal(t, "0 7,37 * * * *", schedules["sps-inbound-poll"], "every registered timer is watched, run or not")

	ok, err := f.store.AcquireLease(ctx, "dead-letter-watch", "a hung instance", time.Hour)
	require.NoError(t, err)
	require.True(t, ok)
	require.False(t, runTimer("dead-letter-watch"), "a run that cannot take the lease does nothing, and fails")
	stopped := func() int { return strings.Count(f.logs.String(), `"msg":"poller stopped"`) }
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for stopped() == 0 {
		select {
		case <-tick.C:
			require.True(t, runTimer("poller-watchdog"))
		case <-deadline:
			t.Fatal("the watchdog never noticed")
		}
	}
	require.True(t, runTimer("poller-watchdog"))
	require.True(t, runTimer("poller-watchdog"))
	require.Equal(t, 1, stopped(), "one alert")
	require.Contains(t, f.logs.String(), `another run holds its lease`)
	cards := waitCards(t, f, 1)
	require.Contains(t, cardText(cards[len(cards)-1]), "poller stopped: dead-letter-watch")

	require.NoError(t, f.store.ReleaseLease(ctx, "dead-letter-watch", "a hung instance"))
	require.True(t, runTimer("dead-letter-watch"))
	require.True(t, runTimer("poller-watchdog"))
	require.True(t, runTimer("poller-watchdog"))
	require.Equal(t, 1, strings.Count(f.logs.String(), `"msg":"poller recovered"`), "one clear")
	cards = waitCards(t, f, 2)
	require.Contains(t, cardText(cards[len(cards)-1]), "poller recovered: dead-letter-watch")
	require.Equal(t, 1, stopped())
}
