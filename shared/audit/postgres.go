package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/store"
)

// Postgres writes events to the audit_events table (the local run's audit
// trail); an event already there (same id) is left as it is.
type Postgres struct {
	Store *store.Store
}

var _ Sink = (*Postgres)(nil)

// Write inserts the batch in one statement.
func (p *Postgres) Write(ctx context.Context, batch []Event) error {
	if len(batch) == 0 {
		return nil
	}
	n := len(batch)
	ids, kinds, systems, ops, fns, invs, corrs, outs, errs, archives := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	ats := make([]time.Time, n)
	statuses := make([]int32, n)
	sizes, durs := make([]int64, n), make([]int64, n)
	for i, e := range batch {
		ids[i], ats[i], kinds[i], systems[i], ops[i], fns[i] = e.ID, e.Time, e.Kind, e.System, e.Operation, e.Function
		invs[i], corrs[i], outs[i], statuses[i], sizes[i], durs[i] = e.InvocationID, e.CorrelationID, e.Outcome, int32(e.Status), e.Bytes, e.DurationMS
		archives[i], errs[i] = e.Archive, e.Error
	}
	_, err := p.Store.Pool.Exec(ctx, `
		INSERT INTO audit_events (id, at, kind, system, operation, function, invocation_id, correlation_id,
		                          outcome, status, bytes, duration_ms, archive, error)
		SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
		                     $8::text[], $9::text[], $10::int[], $11::bigint[], $12::bigint[], $13::text[], $14::text[])
		ON CONFLICT (id) DO NOTHING`,
		ids, ats, kinds, systems, ops, fns, invs, corrs, outs, statuses, sizes, durs, archives, errs)
	if err != nil {
		return fmt.Errorf("writing %d audit events: %w", n, err)
	}
	return nil
}

// Trail returns the events of one order or document (correlation id), and
// of every invocation that worked on it, oldest first.
func (p *Postgres) Trail(ctx context.Context, correlationID string) ([]Event, error) {
	rows, err := p.Store.Pool.Query(ctx, `
		SELECT id, at, kind, system, operation, function, invocation_id, correlation_id, outcome, status, bytes, duration_ms, archive, error
		  FROM audit_events
		 WHERE correlation_id = $1
		    OR invocation_id IN (SELECT invocation_id FROM audit_events WHERE correlation_id = $1 AND invocation_id <> '')
		 ORDER BY at, kind DESC, id`, correlationID)
	if err != nil {
		return nil, fmt.Errorf("reading the audit trail of %s: %w", correlationID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		var e Event
		err := r.Scan(&e.ID, &e.Time, &e.Kind, &e.System, &e.Operation, &e.Function, &e.InvocationID, &e.CorrelationID,
			&e.Outcome, &e.Status, &e.Bytes, &e.DurationMS, &e.Archive, &e.Error)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the audit trail of %s: %w", correlationID, err)
	}
	return out, nil
}
