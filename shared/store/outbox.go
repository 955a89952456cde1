package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/fault"
)

// Enqueue writes m to the outbox inside tx, the transaction of the effect
// that caused it, so the message exists if and only if the effect does. A
// message with the same topic and key is already there: nothing is added.
func Enqueue(ctx context.Context, tx Querier, m bus.Message) (id int64, err error) {
	env, err := json.Marshal(m.Envelope)
	if err != nil {
		return 0, fmt.Errorf("encoding outbox envelope: %w", err)
	}
	props, err := json.Marshal(m.Properties)
	if err != nil {
		return 0, fmt.Errorf("encoding outbox properties: %w", err)
	}
	err = tx.QueryRow(ctx, `
		INSERT INTO outbox (topic, message_key, envelope, properties) VALUES ($1, $2, $3, $4)
		ON CONFLICT (topic, message_key) DO UPDATE SET topic = excluded.topic
		RETURNING id`, m.Topic, m.Key, env, props).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("enqueuing %s to %s: %w", m.Key, m.Topic, err)
	}
	return id, nil
}

// OutboxRow is an outbox message to publish.
type OutboxRow struct {
	ID      int64
	Message bus.Message
}

// ClaimOutbox claims up to limit due messages (all due ones when ids is
// empty, else only those ids) for lease, so that two relays never send the
// same row at once. Due means not parked, past its back-off, not claimed by
// a relay whose lease is still running, and, unless ids are named, either
// older than grace or already tried: the in-process publisher sends fresh
// rows itself. Rows are taken oldest due first, so a row backing off never
// blocks newer ones.
func (s *Store) ClaimOutbox(ctx context.Context, ids []int64, limit int, lease, grace time.Duration) ([]OutboxRow, error) {
	if limit <= 0 {
		limit = 500
	}
	if ids == nil {
		ids = []int64{} // a nil slice is NULL, which matches nothing
	}
	rows, err := s.Pool.Query(ctx, `
		UPDATE outbox SET claimed_until = now() + make_interval(secs => $3)
		 WHERE id IN (
		       SELECT id FROM outbox
		        WHERE parked_at IS NULL AND next_attempt_at <= now()
		          AND (claimed_until IS NULL OR claimed_until < now())
		          AND (CASE WHEN cardinality($1::bigint[]) = 0
		                    THEN attempts > 0 OR created_at < now() - make_interval(secs => $4)
		                    ELSE id = ANY($1) END)
		        ORDER BY next_attempt_at, id LIMIT $2
		          FOR UPDATE SKIP LOCKED)
		RETURNING id, topic, message_key, envelope, properties`, ids, limit, lease.Seconds(), grace.Seconds())
	if err != nil {
		return nil, fmt.Errorf("claiming outbox messages: %w", err)
	}
	defer rows.Close()
	var out []OutboxRow
	for rows.Next() {
		var r OutboxRow
		var env, props []byte
		if err := rows.Scan(&r.ID, &r.Message.Topic, &r.Message.Key, &env, &props); err != nil {
			return nil, fmt.Errorf("reading the outbox: %w", err)
		}
		if err := json.Unmarshal(env, &r.Message.Envelope); err != nil {
			return nil, fmt.Errorf("decoding outbox message %d: %w", r.ID, err)
		}
		if err := json.Unmarshal(props, &r.Message.Properties); err != nil {
			return nil, fmt.Errorf("decoding outbox message %d: %w", r.ID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claiming outbox messages: %w", err)
	}
	return out, nil
}

// DeletePublished removes messages that were published: the outbox holds
// only what is still to send. It runs even when ctx is cancelled.
func (s *Store) DeletePublished(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.Pool.Exec(context.WithoutCancel(ctx), `DELETE FROM outbox WHERE id = ANY($1)`, ids); err != nil {
		return fmt.Errorf("removing %d published outbox messages: %w", len(ids), err)
	}
	return nil
}

// OutboxPolicy says how failed publishes are retried.
type OutboxPolicy struct {
	// MaxAttempts is how many publishes a message gets before it is parked
	// (default 12).
	MaxAttempts int
	// Backoff is the wait after the n-th failed attempt (default 5 s
	// doubling, at most 15 minutes).
	Backoff func(attempt int) time.Duration
	// Grace is how long a fresh row is left to the in-process publisher
	// before a relay takes it (default 30 s).
	Grace time.Duration
}

// WithDefaults fills the zero fields.
func (p OutboxPolicy) WithDefaults() OutboxPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 12
	}
	if p.Backoff == nil {
		p.Backoff = func(n int) time.Duration {
			d := 5 * time.Second << min(max(n-1, 0), 10)
			return min(d, 15*time.Minute)
		}
	}
	if p.Grace <= 0 {
		p.Grace = 30 * time.Second
	}
	return p
}

// OutboxFunction is the function name parked outbox messages carry.
const OutboxFunction = "outbox-relay"

// TriggerOutbox is the trigger of parked outbox messages.
const TriggerOutbox = "outbox"

// FailOutbox records a failed publish: the row backs off, or, when the
// failure is permanent or the row has used its attempts, it is parked
// (parked_messages, function outbox-relay) so a person is told and can
// requeue it. parked reports which happened.
func (s *Store) FailOutbox(ctx context.Context, r OutboxRow, cause error, policy OutboxPolicy) (parked bool, res azfunc.ParkResult, err error) {
	policy = policy.WithDefaults()
	ctx = context.WithoutCancel(ctx)
	reason := Text(cause.Error(), 2000)
	var attempts int
	if err := s.Pool.QueryRow(ctx, `
		UPDATE outbox SET claimed_until = NULL, last_error = $2, attempts = attempts + 1
		 WHERE id = $1 RETURNING attempts`, r.ID, reason).Scan(&attempts); err != nil {
		return false, res, fmt.Errorf("recording the failed publish of outbox message %d: %w", r.ID, err)
	}
	if fault.ClassOf(cause) == fault.ClassTransient && attempts < policy.MaxAttempts {
		if _, err := s.Pool.Exec(ctx, `UPDATE outbox SET next_attempt_at = now() + make_interval(secs => $2) WHERE id = $1`,
			r.ID, policy.Backoff(attempts).Seconds()); err != nil {
			return false, res, fmt.Errorf("backing off outbox message %d: %w", r.ID, err)
		}
		return false, res, nil
	}
	env, _ := json.Marshal(r.Message.Envelope)
	meta, _ := json.Marshal(map[string]any{"topic": r.Message.Topic, "key": r.Message.Key, "properties": r.Message.Properties, "outbox_id": r.ID})
	err = s.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE outbox SET parked_at = now() WHERE id = $1`, r.ID); err != nil {
			return err
		}
		var perr error
		res, perr = park(ctx, tx, azfunc.Parked{
			Function: OutboxFunction, Trigger: TriggerOutbox, Binding: r.Message.Topic,
			MessageID: r.Message.Topic + "/" + r.Message.Key, CorrelationID: r.Message.Envelope.RefeID,
			DeliveryCount: attempts,
			Reason:        fmt.Sprintf("publishing to %s failed %d times: %s", r.Message.Topic, attempts, reason),
			Payload:       env, Metadata: meta,
		})
		return perr
	})
	if err != nil {
		return false, res, fmt.Errorf("parking outbox message %d: %w", r.ID, err)
	}
	return true, res, nil
}

// RequeueOutbox makes a parked outbox message due again (handler replay).
func (s *Store) RequeueOutbox(ctx context.Context, outboxID int64) error {
	tag, err := s.Pool.Exec(ctx, `
		UPDATE outbox SET parked_at = NULL, attempts = 0, next_attempt_at = now(), claimed_until = NULL
		 WHERE id = $1`, outboxID)
	if err != nil {
		return fmt.Errorf("requeueing outbox message %d: %w", outboxID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("outbox message %d: %w (or already published)", outboxID, ErrNotFound)
	}
	return nil
}

// PublishOutbox is what a relay does: claim due messages (the given ids,
// or every due one up to limit), publish them (in batches when pub can),
// remove the published ones, back off or park the rest (parkedRows lists
// those, for alerting). Message ids come from the business key, so a
// message published twice (a crash between publishing and removing) is
// absorbed by Service Bus duplicate detection and by the consumers.
func (s *Store) PublishOutbox(ctx context.Context, pub bus.Publisher, ids []int64, limit int, policy OutboxPolicy) (published int, parkedRows []azfunc.ParkResult, err error) {
	policy = policy.WithDefaults()
	todo, err := s.ClaimOutbox(ctx, ids, limit, 30*time.Second, policy.Grace)
	if err != nil {
		return 0, nil, err
	}
	return s.SendOutbox(ctx, pub, todo, policy)
}

// SendOutbox publishes rows (claimed, or just committed by this process),
// removes the published ones and backs off or parks the rest.
func (s *Store) SendOutbox(ctx context.Context, pub bus.Publisher, rows []OutboxRow, policy OutboxPolicy) (published int, parkedRows []azfunc.ParkResult, err error) {
	if len(rows) == 0 {
		return 0, nil, nil
	}
	errs := Send(ctx, pub, rows)
	var all []error
	done := make([]int64, 0, len(rows))
	for i, r := range rows {
		if errs[i] == nil {
			done = append(done, r.ID)
			continue
		}
		all = append(all, fmt.Errorf("outbox message %d (%s): %w", r.ID, r.Message.Key, errs[i]))
		parked, res, ferr := s.FailOutbox(ctx, r, errs[i], policy)
		if ferr != nil {
			all = append(all, ferr)
		}
		if parked {
			parkedRows = append(parkedRows, res)
		}
	}
	if err := s.DeletePublished(ctx, done); err != nil {
		return 0, parkedRows, errors.Join(append(all, err)...)
	}
	return len(done), parkedRows, errors.Join(all...)
}

// Send publishes rows and returns one error (or nil) per row: in one
// exchange per batch when pub can batch, else one message at a time.
func Send(ctx context.Context, pub bus.Publisher, rows []OutboxRow) []error {
	msgs := make([]bus.Message, len(rows))
	for i, r := range rows {
		msgs[i] = r.Message
	}
	if bp, ok := pub.(bus.BatchPublisher); ok {
		return bp.PublishBatch(ctx, msgs)
	}
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		errs[i] = pub.Publish(ctx, m)
	}
	return errs
}

// PendingOutbox counts messages not yet published (parked ones excluded).
func (s *Store) PendingOutbox(ctx context.Context) (int, error) {
	var n int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE parked_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting the outbox: %w", err)
	}
	return n, nil
}
