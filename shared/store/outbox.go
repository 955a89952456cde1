package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/bus"
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

// PublishOutbox publishes pending outbox messages (all of them when ids is
// empty, up to limit) and marks each one published. A message that fails
// stays pending with its error; the others go on. Message ids come from the
// business key, so publishing one twice is absorbed by Service Bus duplicate
// detection and by the consumers.
func (s *Store) PublishOutbox(ctx context.Context, pub bus.Publisher, ids []int64, limit int) (published int, err error) {
	if limit <= 0 {
		limit = 500
	}
	if ids == nil {
		ids = []int64{} // a nil slice is NULL, which matches nothing
	}
	rows, err := s.Pool.Query(ctx, `
		SELECT id, topic, message_key, envelope, properties FROM outbox
		 WHERE published_at IS NULL AND (cardinality($1::bigint[]) = 0 OR id = ANY($1))
		 ORDER BY id LIMIT $2`, ids, limit)
	if err != nil {
		return 0, fmt.Errorf("reading the outbox: %w", err)
	}
	type pending struct {
		id  int64
		msg bus.Message
	}
	var todo []pending
	for rows.Next() {
		var p pending
		var env, props []byte
		if err := rows.Scan(&p.id, &p.msg.Topic, &p.msg.Key, &env, &props); err != nil {
			rows.Close()
			return 0, fmt.Errorf("reading the outbox: %w", err)
		}
		if err := json.Unmarshal(env, &p.msg.Envelope); err != nil {
			rows.Close()
			return 0, fmt.Errorf("decoding outbox message %d: %w", p.id, err)
		}
		if err := json.Unmarshal(props, &p.msg.Properties); err != nil {
			rows.Close()
			return 0, fmt.Errorf("decoding outbox message %d: %w", p.id, err)
		}
		todo = append(todo, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("reading the outbox: %w", err)
	}
	var errs []error
	for _, p := range todo {
		if perr := pub.Publish(ctx, p.msg); perr != nil {
			errs = append(errs, perr)
			if _, err := s.Pool.Exec(context.WithoutCancel(ctx),
				`UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, p.id, perr.Error()); err != nil {
				errs = append(errs, fmt.Errorf("recording the failed publish of outbox message %d: %w", p.id, err))
			}
			continue
		}
		if _, err := s.Pool.Exec(context.WithoutCancel(ctx),
			`UPDATE outbox SET published_at = now(), attempts = attempts + 1, last_error = '' WHERE id = $1`, p.id); err != nil {
			errs = append(errs, fmt.Errorf("marking outbox message %d published: %w", p.id, err))
			continue
		}
		published++
	}
	return published, errors.Join(errs...)
}

// PendingOutboxID returns the id of the unpublished message with this topic
// and key; ok is false when there is none (never written, or published).
func (s *Store) PendingOutboxID(ctx context.Context, topic, key string) (id int64, ok bool, err error) {
	err = s.Pool.QueryRow(ctx, `SELECT id FROM outbox WHERE topic = $1 AND message_key = $2 AND published_at IS NULL`,
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
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting the outbox: %w", err)
	}
	return n, nil
}
