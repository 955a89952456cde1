package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/fault"
)

// MarkProcessed records that consumer acted on messageID, inside tx. It
// returns false when the message was already recorded: the caller must then
// roll back and do nothing. A concurrent delivery of the same message waits
// on the first one's row until that transaction ends.
func MarkProcessed(ctx context.Context, tx pgx.Tx, consumer, messageID, invocationID string) (bool, error) {
	if consumer == "" || messageID == "" {
		return false, fmt.Errorf("recording processed message: consumer and message id are required")
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO processed_messages (consumer, message_id, invocation_id)
		VALUES ($1, $2, $3)
		ON CONFLICT (consumer, message_id) DO NOTHING`, consumer, messageID, invocationID)
	if err != nil {
		return false, fmt.Errorf("recording processed message %s for %s: %w", messageID, consumer, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Once runs fn in a transaction that also records (consumer, messageID).
// If the message was already processed it returns an error of class
// Duplicate and fn does not run; if fn fails, nothing is recorded, so a
// redelivery can try again.
func (s *Store) Once(ctx context.Context, consumer, messageID, invocationID string, fn func(tx pgx.Tx) error) error {
	return s.InTx(ctx, func(tx pgx.Tx) error {
		first, err := MarkProcessed(ctx, tx, consumer, messageID, invocationID)
		if err != nil {
			return err
		}
		if !first {
			return fault.Duplicatef("message %s already processed by %s", messageID, consumer)
		}
		return fn(tx)
	})
}

// Processed reports whether consumer has processed messageID.
func (s *Store) Processed(ctx context.Context, consumer, messageID string) (bool, error) {
	var n int
	err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM processed_messages WHERE consumer = $1 AND message_id = $2`,
		consumer, messageID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("reading processed message %s: %w", messageID, err)
	}
	return n > 0, nil
}
