package devhost

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// ncrontab parses the six-field schedules of timerTrigger:
// {second} {minute} {hour} {day} {month} {day-of-week}, in UTC.
var ncrontab = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// ParseSchedule reads a timerTrigger schedule. TimeSpan schedules
// ("00:05:00") run only on App Service plans, not on Flex Consumption, so
// they are refused.
func ParseSchedule(s string) (cron.Schedule, error) {
	if strings.Count(s, ":") == 2 && !strings.Contains(s, " ") {
		return nil, fmt.Errorf("schedule %q is a TimeSpan; Flex Consumption needs an NCRONTAB expression like \"0 */5 * * * *\"", s)
	}
	if n := len(strings.Fields(s)); n != 6 {
		return nil, fmt.Errorf("schedule %q has %d fields; NCRONTAB needs 6 ({second} {minute} {hour} {day} {month} {day-of-week})", s, n)
	}
	sched, err := ncrontab.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", s, err)
	}
	return sched, nil
}

type tick struct {
	scheduled time.Time
}

type timerFn struct {
	fn      *Function
	sched   cron.Schedule
	monitor bool
	kick    chan tick
	running sync.Mutex // a timer is a singleton: runs never overlap
	last    time.Time
}

type timers struct {
	h  *Host
	by map[string]*timerFn
}

func newTimers(h *Host) (*timers, error) {
	t := &timers{h: h, by: map[string]*timerFn{}}
	var errs []error
	for _, fn := range h.functions {
		trig := fn.Trigger()
		if trig.Type != "timerTrigger" {
			continue
		}
		sched, err := ParseSchedule(trig.Schedule)
		if err != nil {
			errs = append(errs, fmt.Errorf("function %s: %w", fn.Name, err))
			continue
		}
		// useMonitor defaults to true for schedules of a minute or more.
		now := h.cfg.Now()
		first := sched.Next(now)
		monitor := sched.Next(first).Sub(first) >= time.Minute
		if trig.UseMonitor != nil {
			monitor = *trig.UseMonitor
		}
		t.by[fn.Name] = &timerFn{fn: fn, sched: sched, monitor: monitor, kick: make(chan tick, 1)}
	}
	return t, errors.Join(errs...)
}

func (t *timers) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, tf := range t.by {
		wg.Add(2)
		go func() { defer wg.Done(); t.schedule(ctx, tf) }()
		go func() { defer wg.Done(); t.consume(ctx, tf) }()
		if tf.fn.Trigger().RunOnStartup {
			tf.kick <- tick{scheduled: t.h.cfg.Now()}
		}
	}
	wg.Wait()
}

// schedule sends a tick at every occurrence. A tick that finds the previous
// run still going waits for it (the channel holds one), so runs are delayed,
// never doubled.
func (t *timers) schedule(ctx context.Context, tf *timerFn) {
	for {
		next := tf.sched.Next(t.h.cfg.Now())
		timer := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		select {
		case tf.kick <- tick{scheduled: next}:
		default: // one run is already waiting; this occurrence folds into it
		}
	}
}

func (t *timers) consume(ctx context.Context, tf *timerFn) {
	for {
		select {
		case <-ctx.Done():
			return
		case tk := <-tf.kick:
			t.fire(ctx, tf, tk.scheduled)
		}
	}
}

func (t *timers) fire(ctx context.Context, tf *timerFn, scheduled time.Time) Invocation {
	tf.running.Lock()
	defer tf.running.Unlock()
	now := t.h.cfg.Now()
	last := tf.last
	if last.IsZero() {
		last = scheduled
	}
	pastDue := now.Sub(scheduled) > time.Second
	body := timerInvocation(tf.fn, tf.fn.Trigger(), last, tf.sched.Next(now), pastDue, tf.monitor, now)
	var inv Invocation
	t.h.invoke(ctx, tf.fn, body, &inv)
	tf.last = scheduled
	return inv
}

// RunTimer fires a timer function now and waits for the invocation, as
// POST /admin/functions/{name} does on the real host.
func (h *Host) RunTimer(ctx context.Context, name string) (Invocation, error) {
	tf, ok := h.timers.by[name]
	if !ok {
		return Invocation{}, fmt.Errorf("%s is not a timer function", name)
	}
	return h.timers.fire(ctx, tf, h.cfg.Now()), nil
}
