package platform

import (
	"net/http"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/kit"
)

// Flow is the platform's own functions: the health check, the dead-letter
// watch and the outbox relay.
var Flow = kit.Flow{
	Name: "platform",
	Settings: []kit.Setting{
		{Name: "DEAD_LETTER_WATCH_SCHEDULE", Description: "NCRONTAB schedule of dead-letter-watch", Default: "0 */5 * * * *", Host: true},
		{Name: "OUTBOX_RELAY_SCHEDULE", Description: "NCRONTAB schedule of outbox-relay", Default: "0 */1 * * * *", Host: true},
	},
	Register: func(r *kit.Registry) {
		r.HTTP("health", http.MethodGet, "health", func(p *kit.Parts) (http.Handler, error) {
			app := p.Readiness()
			h := &Health{Flows: app, Version: p.Version(), Environment: app.EnvironmentName()}
			if s := app.Store(); s != nil {
				h.DB = s
			}
			return h, nil
		}, azfunc.SkipGate())
		r.Timer("dead-letter-watch", "timer", func(p *kit.Parts) (kit.TimerFunc, error) {
			w := &DeadLetterWatch{Parked: p.Alerts(), Environment: p.Environment()}
			if dl := p.DeadLetters(); dl != nil {
				w.DeadLetters = dl
			}
			return w.Run, nil
		})
		r.Timer("outbox-relay", "timer", func(p *kit.Parts) (kit.TimerFunc, error) {
			return (&OutboxRelay{Outbox: p.Outbox(), Pending: p.Store()}).Run, nil
		})
	},
}
