package kit

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/popsockets/integration/shared/audit"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/teams"
)

// AuditSettings are the audit trail's settings. Without ADX_CLUSTER_URI
// the trail goes to PostgreSQL (audit_events), as on a developer machine.
var AuditSettings = []Setting{
	{Name: "ADX_CLUSTER_URI", Description: "Azure Data Explorer cluster URI of the audit trail (empty: audit_events in PostgreSQL)",
		Optional: true, Check: HTTPSURL},
	{Name: "ADX_INGEST_URI", Description: "ADX data-management (ingest) URI (empty: the cluster's ingest- endpoint)", Optional: true, Check: HTTPSURL},
	{Name: "ADX_DATABASE", Description: "ADX database of the audit table (needed with ADX_CLUSTER_URI)", Optional: true},
	{Name: "ADX_AUDIT_TABLE", Description: "ADX table of the audit events", Default: "AuditEvents", Optional: true},
	{Name: "ADX_AUDIT_MAPPING", Description: "JSON ingestion mapping of the audit table", Default: audit.DefaultMapping, Optional: true},
	{Name: "ADX_INGESTION", Description: "managed (streams small batches when the table allows streaming, else queues) or queued (batched by ADX, deduplicated by ingest-by tags)",
		Default: "managed", Optional: true, Check: OneOf("managed", "queued")},
}

// auditAlertWindow is how often a broken audit trail is alerted at most.
const auditAlertWindow = 6 * time.Hour

// buildAudit chooses the audit sink: ADX when a cluster is set, else
// PostgreSQL when there is a database, else none.
func (a *App) buildAudit() {
	var sink audit.Sink
	switch uri := a.value(a.settings["ADX_CLUSTER_URI"]); {
	case uri != "":
		cfg := audit.KustoConfig{Endpoint: uri, IngestEndpoint: a.value(a.settings["ADX_INGEST_URI"]), Database: a.value(a.settings["ADX_DATABASE"]),
			Table: a.value(a.settings["ADX_AUDIT_TABLE"]), Mapping: a.value(a.settings["ADX_AUDIT_MAPPING"]),
			Queued: a.value(a.settings["ADX_INGESTION"]) == "queued", HTTPClient: a.cfg.AuditHTTPClient}
		if err := a.settings["ADX_INGESTION"].problem(a.value(a.settings["ADX_INGESTION"])); err != nil {
			a.problems = append(a.problems, err)
		}
		cfg.Credential = a.cfg.AuditCredential
		if cfg.Credential == nil {
			cred, err := a.azureCredential()
			if err != nil {
				a.problems = append(a.problems, fmt.Errorf("audit trail: %w (events are not kept)", err))
				return
			}
			cfg.Credential = cred
		}
		k, err := audit.NewKusto(cfg)
		if err != nil {
			a.problems = append(a.problems, fmt.Errorf("audit trail: %w (events are not kept)", err))
			return
		}
		sink = k
	case a.store != nil:
		sink = &audit.Postgres{Store: a.store}
	default:
		return
	}
	a.audit = audit.New(audit.Config{Sink: sink, Logger: a.log, Now: a.cfg.Now, Broken: a.auditBroken})
}

// auditBroken raises one alert when audit events are being dropped.
func (a *App) auditBroken(err error) {
	a.log.Error("audit trail not written; events are being dropped", "error", err, "dropped_total", a.audit.Dropped())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, rerr := a.alerts.Raise(ctx, Notice{Kind: "audit/broken", Alert: teams.Alert{
		Title:    fmt.Sprintf("[%s] audit trail not written", a.alerts.Environment()),
		Text:     "Audit events could not be written and are being dropped; the business flows go on. Check the audit sink (ADX ingestion rights, the cluster) and the logs.",
		Severity: teams.SeverityWarning,
		Facts:    []teams.Fact{{Name: "Error", Value: err.Error()}, {Name: "Dropped so far", Value: fmt.Sprint(a.audit.Dropped())}},
	}}, auditAlertWindow)
	if rerr != nil {
		a.log.Warn("audit alert not posted", "error", rerr)
	}
}

// FlushAudit writes the audit events recorded so far, for a command that
// ends without App.Run (handler replay, handler jackyun repush). Call it
// once, last.
func (a *App) FlushAudit(ctx context.Context) error {
	if a.audit == nil {
		return nil
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); a.audit.Run(rctx) }()
	err := a.audit.Flush(ctx)
	cancel()
	<-done
	return err
}

// Audit is the audit recorder (nil: no audit trail).
func (a *App) Audit() *audit.Recorder { return a.audit }

// auditMessage wraps a Service Bus handler so its invocation is audited.
func (a *App) auditMessage(h MessageFunc) MessageFunc {
	return func(ctx context.Context, m *azfunc.Message) error {
		return audit.Invocation(ctx, a.audit, azfunc.KindServiceBus, int64(len(m.Body)), func(ctx context.Context) (int, error) { return 0, h(ctx, m) })
	}
}

func (a *App) auditTimer(h TimerFunc) TimerFunc {
	return func(ctx context.Context, t *azfunc.Timer) error {
		return audit.Invocation(ctx, a.audit, azfunc.KindTimer, 0, func(ctx context.Context) (int, error) { return 0, h(ctx, t) })
	}
}

func (a *App) auditBlob(h BlobFunc) BlobFunc {
	return func(ctx context.Context, b *azfunc.Blob) error {
		return audit.Invocation(ctx, a.audit, azfunc.KindBlob, int64(len(b.Data)), func(ctx context.Context) (int, error) { return 0, h(ctx, b) })
	}
}

// auditHTTP wraps a forwarded HTTP handler; its status is the outcome.
func (a *App) auditHTTP(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = audit.Invocation(r.Context(), a.audit, azfunc.KindHTTP, max(r.ContentLength, 0), func(ctx context.Context) (int, error) {
			h.ServeHTTP(w, r.WithContext(ctx))
			status := azfunc.WrittenStatus(w)
			if status == 0 {
				status = http.StatusOK // net/http answers 200 for a handler that wrote nothing
			}
			return status, nil
		})
	})
}
