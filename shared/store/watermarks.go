package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// GetWatermark returns how far the poller called name has read; ok is false
// before its first run.
func GetWatermark(ctx context.Context, q Querier, name string) (value string, ok bool, err error) {
	err = q.QueryRow(ctx, `SELECT value FROM watermarks WHERE name = $1`, name).Scan(&value)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading watermark %s: %w", name, err)
	}
	return value, true, nil
}

// SetWatermark moves the watermark. Call it in the transaction that made
// what was read durable, so the two never disagree.
func SetWatermark(ctx context.Context, q Querier, name, value string) error {
	_, err := q.Exec(ctx, `
		INSERT INTO watermarks (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = now()`, name, value)
	if err != nil {
		return fmt.Errorf("setting watermark %s: %w", name, err)
	}
	return nil
}
