package platform

import (
	"net/http"
	"time"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/kit"
)

// Function names (the folders under functions/).
const (
	FnHealth          = "health"
	FnDeadLetterWatch = "dead-letter-watch"
	FnOutboxRelay     = "outbox-relay"
	FnPollerWatchdog  = "poller-watchdog"
)

// Flow is the platform's own functions: the health check, the dead-letter
// watch, the outbox relay and the poller watchdog.
var Flow = kit.Flow{
	Name: "platform",
	Settings: []kit.Setting{
		{Name: "DEAD_LETTER_WATCH_SCHEDULE", Description: "NCRONTAB schedule of dead-letter-watch", Default: "0 */5 * * * *", Host: true},
		{Name: "OUTBOX_RELAY_SCHEDULE", Description: "NCRONTAB schedule of outbox-relay", Default: "0 */1 * * * *", Host: true},
		{Name: "POLLER_WATCHDOG_SCHEDULE", Description: "NCRONTAB schedule of poller-watchdog", Default: "30 */5 * * * *", Host: true},
		{Name: "POLLER_WATCHDOG_MISSED_RUNS", Description: "how many scheduled runs of a timer may pass without a success before poller-watchdog alerts",
			Default: "3", Check: kit.PositiveInt, Functions: []string{FnPollerWatchdog}},
		{Name: "ALERT_REPEAT_MINUTES", Description: "a kind of alert (the dead letters of one subscription and reason, a queue that stays non-empty) is posted to Teams at most once in this many minutes",
			Default: "60", Check: kit.PositiveInt, Functions: []string{FnDeadLetterWatch}},
	},
	Register: func(r *kit.Registry) {
		r.HTTP(FnHealth, http.MethodGet, "health", func(p *kit.Parts) (http.Handler, error) {
			app := p.Readiness()
			h := &Health{Flows: app, Version: p.Version(), Environment: app.EnvironmentName()}
			if s := app.Store(); s != nil {
				h.DB = s
			}
			return h, nil
		}, azfunc.SkipGate())
		r.Timer(FnDeadLetterWatch, "timer", func(p *kit.Parts) (kit.TimerFunc, error) {
			s := p.Store()
			w := &DeadLetterWatch{Parked: p.Alerts(), Environment: p.Environment(), Records: s, Leases: s,
				AlertWindow: time.Duration(p.Int("ALERT_REPEAT_MINUTES")) * time.Minute,
				Recorder:    &DeadLetterRecorder{Records: s, Archive: p.Blobs()}}
			if dl := p.DeadLetters(); dl != nil {
				w.DeadLetters = dl
				// Both brokers (Service Bus, the local one) can be peeked.
				if rd, ok := dl.(bus.DeadLetterReader); ok {
					w.Reader = rd
				}
			}
			return w.Run, nil
		})
		r.Timer(FnOutboxRelay, "timer", func(p *kit.Parts) (kit.TimerFunc, error) {
			return (&OutboxRelay{Outbox: p.Outbox(), Pending: p.Store()}).Run, nil
		})
		r.Timer(FnPollerWatchdog, "timer", func(p *kit.Parts) (kit.TimerFunc, error) {
			s := p.Store()
			return (&Watchdog{Runs: s, Leases: s, Alerts: p.Alerts(), Missed: p.Int("POLLER_WATCHDOG_MISSED_RUNS"), Timers: p.Timers(),
				Now: p.Now(), Environment: p.Environment()}).Run, nil
		})
	},
}
