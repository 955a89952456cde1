package platform

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/teams"
)

// TimerRunStore is what the watchdog reads and marks of timer_runs.
type TimerRunStore interface {
	WatchTimers(ctx context.Context, schedules map[string]string, now time.Time) error
	TimerRuns(ctx context.Context) ([]store.TimerRun, error)
	MarkTimerStale(ctx context.Context, function string, since time.Time) (bool, error)
	ClearTimerStale(ctx context.Context, function string) (bool, time.Time, error)
	RestoreTimerStale(ctx context.Context, function string, since time.Time) error
}

// Poster posts alerts to people.
type Poster interface {
	Post(ctx context.Context, a teams.Alert) error
}

var _ TimerRunStore = (*store.Store)(nil)

// ncrontab parses the six-field schedules of timerTrigger, as the host does.
var ncrontab = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// ParseSchedule reads an NCRONTAB schedule ({second} {minute} {hour}
// {day} {month} {day-of-week}, UTC).
func ParseSchedule(s string) (cron.Schedule, error) {
	if n := len(strings.Fields(s)); n != 6 {
		return nil, fmt.Errorf("schedule %q has %d fields; NCRONTAB has 6", s, n)
	}
	return ncrontab.Parse(s)
}

// maxGrace bounds how long a run may take before its occurrence counts as missed.
const maxGrace = time.Minute

// Missed counts the occurrences of sched after since that are over by
// now: scheduled at or before now minus a grace for the run itself (half
// an interval, at most a minute). It stops counting at limit.
func Missed(sched cron.Schedule, since, now time.Time, limit int) int {
	first := sched.Next(since)
	grace := min(sched.Next(first).Sub(first)/2, maxGrace)
	until := now.Add(-grace)
	n := 0
	for t := first; !t.After(until) && n < limit; t = sched.Next(t) {
		n++
	}
	return n
}

// Watchdog is the poller-watchdog timer. Each run it reads every timer's
// last successful run (the kit records them in timer_runs) and counts the
// occurrences of its schedule that passed since without a success: from
// Missed of them it is stopped. A timer that stops is alerted once (a
// "poller stopped" error line, which an alert rule watches, and a Teams
// card), and cleared
// once when it succeeds again (an info line and a card); the mark lives in
// timer_runs, so two runs or two instances never alert or clear twice. A
// card that cannot be sent undoes its mark and fails the run, so the next
// run sends it. Every run also writes one "poller status" line per timer
// (its schedule, last success and age), which the workbook shows.
type Watchdog struct {
	Runs   TimerRunStore
	Alerts Poster
	Leases Leaser
	// Missed is N: how many occurrences may pass without a success (POLLER_WATCHDOG_MISSED_RUNS).
	Missed      int
	Now         func() time.Time
	Environment string
	// Timers lists every timer function with its schedule (kit's
	// Parts.Timers); each is watched from its first sighting, so one the
	// host never triggers is alerted too. Nil: only timers that have run.
	Timers func() map[string]string
}

// Run implements the timer.
func (w *Watchdog) Run(ctx context.Context, _ *azfunc.Timer) error {
	log := azfunc.Logger(ctx)
	release, err := hold(ctx, w.Leases, "poller-watchdog")
	if err != nil {
		return err
	}
	defer release()
	n := max(w.Missed, 1)
	now := w.Now()
	if w.Timers != nil {
		if err := w.Runs.WatchTimers(ctx, w.Timers(), now); err != nil {
			return err
		}
	}
	runs, err := w.Runs.TimerRuns(ctx)
	if err != nil {
		return err
	}
	var errs []error
	stale := 0
	for _, r := range runs {
		sched, err := ParseSchedule(r.Schedule)
		if err != nil {
			log.Warn("poller status", "timer", r.Function, "schedule", r.Schedule, "error", "schedule unknown or unreadable: not watched")
			continue
		}
		since := r.Baseline()
		missed := Missed(sched, since, now, n)
		isStale := missed >= n
		log.Info("poller status", "timer", r.Function, "schedule", r.Schedule, "last_success", r.LastSuccessAt,
			"age_seconds", int64(now.Sub(since).Seconds()), "missed_runs", missed, "stale", isStale)
		switch {
		case isStale && r.StaleSince == nil:
			stale++
			if err := w.alert(ctx, r, n, now); err != nil {
				errs = append(errs, err)
			}
		case isStale:
			stale++
		case r.StaleSince != nil:
			if err := w.clear(ctx, r, now); err != nil {
				errs = append(errs, err)
			}
		}
	}
	log.Info("poller watchdog finished", "timers", len(runs), "stale", stale)
	return errors.Join(errs...)
}

func (w *Watchdog) alert(ctx context.Context, r store.TimerRun, n int, now time.Time) error {
	marked, err := w.Runs.MarkTimerStale(ctx, r.Function, now)
	if err != nil || !marked {
		return err
	}
	last := "never"
	if r.LastSuccessAt != nil {
		last = r.LastSuccessAt.UTC().Format(time.RFC3339)
	}
	lastErr := azfunc.Clip(r.LastError, 300)
	azfunc.Logger(ctx).Error("poller stopped", "timer", r.Function, "schedule", r.Schedule,
		"last_success", r.LastSuccessAt, "missed_runs", n, "last_error", lastErr)
	facts := []teams.Fact{
		{Name: "Timer", Value: r.Function},
		{Name: "Schedule", Value: r.Schedule},
		{Name: "Last success", Value: last},
		{Name: "Missed runs", Value: fmt.Sprintf("%d or more", n)},
	}
	if lastErr != "" {
		facts = append(facts, teams.Fact{Name: "Last error", Value: lastErr})
	}
	if err := w.post(ctx, teams.Alert{
		Title:    fmt.Sprintf("[%s] poller stopped: %s", w.Environment, r.Function),
		Text:     fmt.Sprintf("%s has not succeeded for %d of its runs. Its log lines say why (the README's \"What failed\" query); it is cleared here when it succeeds again.", r.Function, n),
		Severity: teams.SeverityError, Facts: facts,
	}); err != nil {
		return errors.Join(fmt.Errorf("alerting that %s stopped: %w", r.Function, err), w.Runs.RestoreTimerStale(ctx, r.Function, time.Time{}))
	}
	return nil
}

func (w *Watchdog) clear(ctx context.Context, r store.TimerRun, now time.Time) error {
	cleared, since, err := w.Runs.ClearTimerStale(ctx, r.Function)
	if err != nil || !cleared {
		return err
	}
	down := now.Sub(since).Round(time.Second)
	azfunc.Logger(ctx).Info("poller recovered", "timer", r.Function, "schedule", r.Schedule, "last_success", r.LastSuccessAt,
		"stale_since", since, "stale_seconds", int64(down.Seconds()))
	last := "unknown"
	if r.LastSuccessAt != nil {
		last = r.LastSuccessAt.UTC().Format(time.RFC3339)
	}
	if err := w.post(ctx, teams.Alert{
		Title:    fmt.Sprintf("[%s] poller recovered: %s", w.Environment, r.Function),
		Text:     fmt.Sprintf("%s succeeds again.", r.Function),
		Severity: teams.SeverityInfo,
		Facts: []teams.Fact{{Name: "Timer", Value: r.Function}, {Name: "Alerted at", Value: since.UTC().Format(time.RFC3339)},
			{Name: "Last success", Value: last}, {Name: "Stale for", Value: down.String()}},
	}); err != nil {
		return errors.Join(fmt.Errorf("telling that %s recovered: %w", r.Function, err), w.Runs.RestoreTimerStale(ctx, r.Function, since))
	}
	return nil
}

func (w *Watchdog) post(ctx context.Context, a teams.Alert) error {
	if w.Alerts == nil {
		return nil
	}
	return w.Alerts.Post(ctx, a)
}
