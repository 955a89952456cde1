package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/popsockets/integration/shared/fault"
)

// BodyHash is the hex SHA-256 of a body, as receipts store it.
func BodyHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// ErrWebhookIDReused means a partner sent a webhook id again with a
// different body: it is refused (409), never processed.
var ErrWebhookIDReused = fault.Conflictf("webhook id reused with a different body")

// RecordWebhook remembers a partner's webhook id and body hash, inside the
// transaction that stores the webhook's effect. It returns first=false for a
// repeat of the same webhook (a duplicate), and ErrWebhookIDReused when the
// id comes back with another body. A concurrent repeat waits for the first
// transaction and then sees it.
func RecordWebhook(ctx context.Context, q Querier, partner, webhookID string, body []byte) (first bool, err error) {
	hash := BodyHash(body)
	tag, err := q.Exec(ctx, `
		INSERT INTO webhook_receipts (partner, webhook_id, body_sha256) VALUES ($1, $2, $3)
		ON CONFLICT (partner, webhook_id) DO NOTHING`, partner, webhookID, hash)
	if err != nil {
		return false, fmt.Errorf("recording %s webhook %s: %w", partner, webhookID, err)
	}
	if tag.RowsAffected() == 1 {
		return true, nil
	}
	var stored string
	if err := q.QueryRow(ctx, `SELECT body_sha256 FROM webhook_receipts WHERE partner = $1 AND webhook_id = $2`,
		partner, webhookID).Scan(&stored); err != nil {
		return false, fmt.Errorf("reading %s webhook %s: %w", partner, webhookID, err)
	}
	if stored != hash {
		return false, fmt.Errorf("%s webhook %s: %w", partner, webhookID, ErrWebhookIDReused)
	}
	return false, nil
}
