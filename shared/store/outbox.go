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

// OutboxRow is a claimed outbox message.
type OutboxRow struct {
	ID       int64
	Message  bus.Message
	Attempts int
}

// ClaimOutbox claims up to limit due messages (all due ones when ids is
// empty, else only those ids) for lease, so that two publishers never send
// the same row at once. Due means unpublished, not parked, past its
// back-off, and not claimed by a publisher whose lease is still running.
// Rows are taken oldest due first, so a row backing off never blocks newer
// ones.
func (s *Store) ClaimOutbox(ctx context.Context, ids []int64, limit int, lease time.Duration) ([]OutboxRow, error) {
	if limit <= 0 {
		limit = 500
	}
	if ids == nil {
		ids = []int64{} // a nil slice is NULL, which matches nothing
	}
	rows, err := s.Pool.Query(ctx, `
		UPDATE outbox SET claimed_until = now() + make_interval(secs => $3), attempts = attempts + 1
		 WHERE id IN (
		       SELECT id FROM outbox
		        WHERE published_at IS NULL AND parked_at IS NULL AND next_attempt_at <= now()
		          AND (claimed_until IS NULL OR claimed_until < now())
		          AND (cardinality($1::bigint[]) = 0 OR id = ANY($1))
		        ORDER BY next_attempt_at, id LIMIT $2
		          FOR UPDATE SKIP LOCKED)
		RETURNING id, topic, message_key, envelope, properties, attempts`, ids, limit, lease.Seconds())
	if err != nil {
		return nil, fmt.Errorf("claiming outbox messages: %w", err)
	}
	defer rows.Close()
	var out []OutboxRow
	for rows.Next() {
		var r OutboxRow
		var env, props []byte
		if err := rows.Scan(&r.ID, &r.Message.Topic, &r.Message.Key, &env, &props, &r.Attempts); err != nil {
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

// MarkPublished records that these claimed messages were published.
func (s *Store) MarkPublished(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.Pool.Exec(context.WithoutCancel(ctx),
		`UPDATE outbox SET published_at = now(), claimed_until = NULL, last_error = '' WHERE id = ANY($1)`, ids); err != nil {
		return fmt.Errorf("marking %d outbox messages published: %w", len(ids), err)
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
}

func (p OutboxPolicy) withDefaults() OutboxPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 12
	}
	if p.Backoff == nil {
		p.Backoff = func(n int) time.Duration {
			d := 5 * time.Second << min(max(n-1, 0), 10)
			return min(d, 15*time.Minute)
		}
	}
	return p
}

// OutboxFunction is the function name parked outbox messages carry.
const OutboxFunction = "outbox-relay"

// FailOutbox records a failed publish of a claimed row: it backs off, or,
// when the failure is permanent or the row has used its attempts, parks it
// (parked_messages, function outbox-relay) so a person is told and can
// requeue it. parked reports which happened.
func (s *Store) FailOutbox(ctx context.Context, r OutboxRow, cause error, policy OutboxPolicy) (parked bool, res azfunc.ParkResult, err error) {
	policy = policy.withDefaults()
	ctx = context.WithoutCancel(ctx)
	reason := Text(cause.Error(), 2000)
	if fault.ClassOf(cause) == fault.ClassTransient && r.Attempts < policy.MaxAttempts {
		_, err := s.Pool.Exec(ctx, `
			UPDATE outbox SET claimed_until = NULL, last_error = $2, next_attempt_at = now() + make_interval(secs => $3)
			 WHERE id = $1`, r.ID, reason, policy.Backoff(r.Attempts).Seconds())
		if err != nil {
			return false, res, fmt.Errorf("recording the failed publish of outbox message %d: %w", r.ID, err)
		}
		return false, res, nil
	}
	env, _ := json.Marshal(r.Message.Envelope)
	meta, _ := json.Marshal(map[string]any{"topic": r.Message.Topic, "key": r.Message.Key, "properties": r.Message.Properties, "outbox_id": r.ID})
	err = s.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE outbox SET claimed_until = NULL, last_error = $2, parked_at = now() WHERE id = $1`, r.ID, reason); err != nil {
			return err
		}
		var perr error
		res, perr = park(ctx, tx, azfunc.Parked{
			Function: OutboxFunction, Trigger: TriggerOutbox, Binding: r.Message.Topic,
			MessageID: r.Message.Topic + "/" + r.Message.Key, CorrelationID: r.Message.Envelope.RefeID,
			DeliveryCount: r.Attempts,
			Reason:        fmt.Sprintf("publishing to %s failed %d times: %s", r.Message.Topic, r.Attempts, reason),
			Payload:       env, Metadata: meta,
		})
		return perr
	})
	if err != nil {
		return false, res, fmt.Errorf("parking outbox message %d: %w", r.ID, err)
	}
	return true, res, nil
}

// TriggerOutbox is the trigger of parked outbox messages.
const TriggerOutbox = "outbox"

// RequeueOutbox makes a parked outbox message due again (handler replay).
func (s *Store) RequeueOutbox(ctx context.Context, outboxID int64) error {
	tag, err := s.Pool.Exec(ctx, `
		UPDATE outbox SET parked_at = NULL, attempts = 0, next_attempt_at = now(), claimed_until = NULL
		 WHERE id = $1 AND published_at IS NULL`, outboxID)
	if err != nil {
		return fmt.Errorf("requeueing outbox message %d: %w", outboxID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("outbox message %d: %w (or already published)", outboxID, ErrNotFound)
	}
	return nil
}

// PublishOutbox claims due messages (all of them when ids is empty, up to
// limit), publishes each and marks the published ones. A message that
// fails backs off, or is parked once it has failed too often (parkedRows
// lists those, for alerting). Message ids come from the business key, so a
// message published twice (a crash between publishing and marking) is
// absorbed by Service Bus duplicate detection and by the consumers.
func (s *Store) PublishOutbox(ctx context.Context, pub bus.Publisher, ids []int64, limit int, policy OutboxPolicy) (published int, parkedRows []azfunc.ParkResult, err error) {
	todo, err := s.ClaimOutbox(ctx, ids, limit, 30*time.Second)
	if err != nil {
		return 0, nil, err
	}
	var errs []error
	done := make([]int64, 0, len(todo))
	for _, r := range todo {
		if perr := pub.Publish(ctx, r.Message); perr != nil {
			errs = append(errs, fmt.Errorf("outbox message %d: %w", r.ID, perr))
			parked, res, ferr := s.FailOutbox(ctx, r, perr, policy)
			if ferr != nil {
				errs = append(errs, ferr)
			}
			if parked {
				parkedRows = append(parkedRows, res)
			}
			continue
		}
		done = append(done, r.ID)
	}
	if err := s.MarkPublished(ctx, done); err != nil {
		errs = append(errs, err)
	} else {
		published = len(done)
	}
	return published, parkedRows, errors.Join(errs...)
}

// PendingOutboxID returns the id of the unpublished message with this topic
// and key; ok is false when there is none (never written, or published).
func (s *Store) PendingOutboxID(ctx context.Context, topic, key string) (id int64, ok bool, err error) {
	err = s.Pool.QueryRow(ctx, `SELECT id FROM outbox WHERE topic = $1 AND message_key = $2 AND published_at IS NULL AND parked_at IS NULL`,
		topic, key).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("reading outbox message %s: %w", key, err)
	}
	return id, true, nil
}

// PendingOutbox counts messages not yet published.
func (s *Store) PendingOutbox(ctx context.Context) (int, error) {
	var n int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE published_at IS NULL AND parked_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting the outbox: %w", err)
	}
	return n, nil
}
