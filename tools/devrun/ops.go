package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/popsockets/integration/handlers/fulfillment"
	"github.com/popsockets/integration/infra"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/devhost"
	"github.com/popsockets/integration/shared/devhost/localpartners"
	"github.com/popsockets/integration/shared/messaging"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/store"
)

// Local schedules of the operations timers, so that the local run shows
// the watchdog at work within a minute (Azure's are every 5 minutes). A
// schedule set in local.settings.json wins.
var localSchedules = map[string]struct{ sample, local string }{
	"DEAD_LETTER_WATCH_SCHEDULE": {"0 */5 * * * *", "*/15 * * * * *"},
	"POLLER_WATCHDOG_SCHEDULE":   {"30 */5 * * * *", "5/15 * * * * *"},
}

// opsSchedules makes the operations timers run often locally; dev()
// calls it before the host starts.
func opsSchedules(values map[string]string) {
	for k, s := range localSchedules {
		if values[k] == s.sample {
			values[k] = s.local
		}
	}
}

// seedOps shows the operations side, then Gladly's lookups (gladly.go):
// a NAV release that OMS keeps throttling is dead-lettered, recorded by
// dead-letter-watch, listed by a dry run, replayed once (and refused the
// second time); then a hung instance holds dead-letter-watch's lease, and
// the watchdog notices the timer stopped and, once the lease runs out,
// that it recovered (in the background, while the local run goes on).
func seedOps(ctx context.Context, h *devhost.Host, p *localpartners.Partners, values map[string]string, handler string, out io.Writer) {
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	seedGladly(ctx, p, say)
	s, err := store.Open(store.Config{URL: values["DATABASE_URL"], MaxConns: 2})
	if err != nil {
		say("ops demo: %v", err)
		return
	}
	cat, err := messaging.Parse(infra.MessagingJSON)
	if err != nil {
		say("ops demo: %v", err)
		s.Close()
		return
	}
	const orderID = "ORD-DLQ-0001"
	say("")
	say("dead letters: OMS throttles NAV's release of %s on every delivery (Retry-After 1 h) ...", orderID)
	p.OMS.AddOrder(orderID, oms.StatePendingNAVRelease)
	p.OMS.ThrottleOrder(orderID, cat.MaxDeliveryCount(cat.Topics[0].Subscriptions[0]), time.Hour)
	nav, err := bus.NewLocal(bus.LocalConfig{URL: h.URL(), Topics: map[string]string{fulfillment.TopicNAVOrderRelease: values["TOPIC_NAV_ORDER_RELEASE"]}})
	if err == nil {
		var env bus.Envelope
		env, err = bus.Request("", fulfillment.EventNAVOrderReleased, bus.ObjectOrder, orderID, fulfillment.NAVReleased{OrderID: orderID}, time.Now())
		if err == nil {
			err = nav.Publish(ctx, bus.Message{Topic: fulfillment.TopicNAVOrderRelease, Key: orderID + "/nav-release", Envelope: env})
		}
	}
	if err != nil {
		say("ops demo: %v", err)
		s.Close()
		return
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	waitQuiet(wctx, h, values["DATABASE_URL"])
	if _, err := h.RunTimer(ctx, "dead-letter-watch"); err != nil {
		say("ops demo: %v", err)
	}
	recs, err := s.ListDeadLetters(ctx, store.DeadLetterFilter{Correlation: orderID})
	if err != nil || len(recs) == 0 {
		say("ops demo: the dead letter was not recorded (%v); see .run/handler.log", err)
		s.Close()
		return
	}
	say("dead-letter-watch recorded it as dead letter %d (%s, %s) and told Teams; listed and replayed:", recs[0].ID, recs[0].Reason, recs[0].BodyRef)
	cli := func(args ...string) {
		say("  $ handler %s", strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, handler, args...)
		cmd.Env = os.Environ()
		for k, v := range values {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Stdout, cmd.Stderr = out, io.Discard
		_ = cmd.Run()
	}
	id := strconv.FormatInt(recs[0].ID, 10)
	cli("replay", "-dead-letter", "-dry-run", "-correlation", orderID)
	cli("replay", "-dead-letter", id)
	cli("replay", "-dead-letter", id)
	say("OMS now has %s %s; the dead-letter queue holds %d messages", orderID, p.OMS.State(orderID), len(h.DeadLetters()))

	go watchdogDemo(ctx, s, say)
}

// watchdogDemo plays a hung instance holding dead-letter-watch's lease for
// 90 s, and says when the watchdog alerts and clears.
func watchdogDemo(ctx context.Context, s *store.Store, say func(string, ...any)) {
	defer s.Close()
	const holder = "devrun (a hung instance)"
	if ok, err := s.AcquireLease(ctx, "dead-letter-watch", holder, 90*time.Second); err != nil || !ok {
		say("watchdog demo: could not take the lease (%v)", err)
		return
	}
	say("")
	say("poller watchdog: a hung instance holds dead-letter-watch's lease for 90 s; its runs now fail ...")
	stale := func() (bool, *store.TimerRun) {
		runs, err := s.TimerRuns(ctx)
		if err != nil {
			return false, nil
		}
		for _, r := range runs {
			if r.Function == "dead-letter-watch" {
				return r.StaleSince != nil, &r
			}
		}
		return false, nil
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	deadline := time.After(5 * time.Minute)
	for want := true; ; {
		select {
		case <-ctx.Done():
			return
		case <-deadline:
			say("watchdog demo: nothing happened within 5 minutes; see .run/handler.log")
			return
		case <-tick.C:
		}
		got, r := stale()
		if got != want || r == nil {
			continue
		}
		if want {
			last := "never"
			if r.LastSuccessAt != nil {
				last = r.LastSuccessAt.Local().Format("15:04:05")
			}
			say("poller-watchdog: dead-letter-watch stopped (schedule %q, last success %s, last error: %s); one alert to Teams",
				r.Schedule, last, r.LastError)
			want = false
			continue
		}
		say("poller-watchdog: dead-letter-watch recovered; one clear to Teams")
		return
	}
}
