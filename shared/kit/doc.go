// Package kit is how a flow wires itself into the Function App: it declares
// the app settings it reads and registers its functions, building each one
// from a small set of shared parts (the database, the outbox, blob storage,
// alerts, a logger, the clock, an HTTP client).
//
// A flow is a value:
//
//	var Flow = kit.Flow{
//		Name:     "fulfillment",
//		Settings: []kit.Setting{{Name: "OMS_BASE_URL", Description: "...", Functions: []string{"oms-ship-confirm"}}},
//		Register: func(r *kit.Registry) {
//			r.ServiceBus("oms-ship-confirm", "msg", func(p *kit.Parts) (kit.MessageFunc, error) {
//				client, err := oms.New(oms.Config{BaseURL: p.Setting("OMS_BASE_URL")})
//				...
//			})
//		},
//	}
//
// and the root of the repository lists the flows in one place.
//
// What it guarantees:
//
//   - A missing or malformed setting stops only the functions that read it:
//     such a function is registered as a stub that fails every invocation
//     (as transient, so messages wait) with an error naming the setting,
//     and [App.Status] reports it. Nothing else is affected.
//   - Which settings a function needs is what its build function reads
//     through [Parts]; the declaration says the same, and a test holds the
//     two equal. A setting a flow reads without declaring it panics.
//   - Secrets (every setting declared Secret, whatever its state) are
//     redacted from every log line; redaction never depends on the rest of
//     the configuration being valid.
//   - Building does no network I/O; the database and partners are reached
//     on first use.
//   - Messages written to the outbox are published by a background
//     publisher right after the commit that wrote them, and by the
//     outbox-relay timer if the process died first. Alerts about parked
//     messages are sent by a background sender, never inside an invocation.
//   - Every timer's runs are recorded (timer_runs: its last successful
//     run, its last failure, the schedule its function.json names), for
//     the poller watchdog; a flow registers its timers as before.
//   - Alerts.Raise posts a kind of alert once per window, claimed in the
//     database so instances never post it twice; cards carry the
//     correlation id and the replay command, are redacted like log lines,
//     cut under 20 KB and sent at most 4 a second.
package kit
