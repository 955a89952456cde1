package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/azfunc"
)

var _ azfunc.Parker = (*Store)(nil)

// ParkedMessage is a row of parked_messages.
type ParkedMessage struct {
	ID            int64           `json:"id"`
	Function      string          `json:"function"`
	Trigger       string          `json:"trigger"`
	Binding       string          `json:"binding"`
	MessageID     string          `json:"message_id"`
	CorrelationID string          `json:"correlation_id"`
	InvocationID  string          `json:"invocation_id"`
	DeliveryCount int             `json:"delivery_count"`
	Reason        string          `json:"reason"`
	Payload       []byte          `json:"payload"`
	Metadata      json.RawMessage `json:"metadata"`
	TimesSeen     int             `json:"times_seen"`
	FirstSeen     time.Time       `json:"first_seen"`
	LastSeen      time.Time       `json:"last_seen"`
	AlertedAt     *time.Time      `json:"alerted_at,omitempty"`
	ReplayedAt    *time.Time      `json:"replayed_at,omitempty"`
	ReplayCount   int             `json:"replay_count"`
}

// Open reports whether the message still waits for a person.
func (p *ParkedMessage) Open() bool { return p.ReplayedAt == nil }

// Park stores p, or updates the record of the same function and message id.
// The result is First when the message was not parked before, or was
// replayed and failed again: those deserve an alert. Any bytes can be
// parked: the payload is stored as is, text fields are made safe for
// PostgreSQL (NUL and invalid UTF-8 replaced, cut to a bounded length), and
// metadata that jsonb refuses is kept base64-encoded (MetadataJSON undoes it).
func (s *Store) Park(ctx context.Context, p azfunc.Parked) (azfunc.ParkResult, error) {
	var res azfunc.ParkResult
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		res, err = park(ctx, tx, p)
		return err
	})
	if err != nil {
		return azfunc.ParkResult{}, fmt.Errorf("parking message %s of %s: %w", Text(p.MessageID, 200), p.Function, err)
	}
	return res, nil
}

// metadataRawKey holds metadata that is not storable as jsonb.
const metadataRawKey = "_raw_base64"

func safeMetadata(meta json.RawMessage) json.RawMessage {
	if len(meta) == 0 {
		return json.RawMessage(`{}`)
	}
	// jsonb refuses \u0000 in strings and anything that is not JSON.
	if json.Valid(meta) && !bytes.Contains(meta, []byte(`\u0000`)) {
		return meta
	}
	b, _ := json.Marshal(map[string]string{metadataRawKey: base64.StdEncoding.EncodeToString(meta)})
	return b
}

// MetadataJSON is the invocation metadata exactly as it was parked.
func (p *ParkedMessage) MetadataJSON() json.RawMessage {
	var wrapped map[string]string
	if json.Unmarshal(p.Metadata, &wrapped) == nil && len(wrapped) == 1 {
		if raw, ok := wrapped[metadataRawKey]; ok {
			if b, err := base64.StdEncoding.DecodeString(raw); err == nil {
				return b
			}
		}
	}
	return p.Metadata
}

func park(ctx context.Context, tx pgx.Tx, p azfunc.Parked) (azfunc.ParkResult, error) {
	meta := safeMetadata(p.Metadata)
	payload := p.Payload
	if payload == nil {
		payload = []byte{}
	}
	msgID, corr := Text(p.MessageID, 1000), Text(p.CorrelationID, 200)
	reason := Text(p.Reason, 4000)
	var res azfunc.ParkResult
	var id int64
	var replayed *time.Time
	err := tx.QueryRow(ctx, `SELECT id, replayed_at FROM parked_messages WHERE function = $1 AND message_id = $2 FOR UPDATE`,
		p.Function, msgID).Scan(&id, &replayed)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		err = tx.QueryRow(ctx, `
			INSERT INTO parked_messages (function, trigger, binding, message_id, correlation_id, invocation_id,
			                             delivery_count, reason, payload, metadata)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (function, message_id) DO UPDATE SET last_seen = now()
			RETURNING id, (xmax = 0)`,
			p.Function, p.Trigger, Text(p.Binding, 200), msgID, corr, Text(p.InvocationID, 200),
			p.DeliveryCount, reason, payload, meta).Scan(&res.ID, &res.First)
		return res, err
	case err != nil:
		return res, err
	}
	res.ID, res.First = id, replayed != nil
	_, err = tx.Exec(ctx, `
		UPDATE parked_messages
		   SET reason = $2, invocation_id = $3, delivery_count = $4, payload = $5, metadata = $6,
		       times_seen = times_seen + 1, last_seen = now(),
		       replayed_at = NULL,
		       alerted_at = CASE WHEN replayed_at IS NULL THEN alerted_at END,
		       alert_claimed_until = NULL
		 WHERE id = $1`, id, reason, Text(p.InvocationID, 200), p.DeliveryCount, payload, meta)
	return res, err
}

const parkedColumns = `id, function, trigger, binding, message_id, correlation_id, invocation_id, delivery_count,
	reason, payload, metadata, times_seen, first_seen, last_seen, alerted_at, replayed_at, replay_count`

func scanParked(row pgx.Row) (*ParkedMessage, error) {
	var p ParkedMessage
	err := row.Scan(&p.ID, &p.Function, &p.Trigger, &p.Binding, &p.MessageID, &p.CorrelationID, &p.InvocationID,
		&p.DeliveryCount, &p.Reason, &p.Payload, &p.Metadata, &p.TimesSeen, &p.FirstSeen, &p.LastSeen,
		&p.AlertedAt, &p.ReplayedAt, &p.ReplayCount)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// GetParked returns one parked message; ErrNotFound when the id is unknown.
func (s *Store) GetParked(ctx context.Context, id int64) (*ParkedMessage, error) {
	p, err := scanParked(s.Pool.QueryRow(ctx, `SELECT `+parkedColumns+` FROM parked_messages WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("parked message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading parked message %d: %w", id, err)
	}
	return p, nil
}

// ParkedFilter selects parked messages.
type ParkedFilter struct {
	// OpenOnly skips replayed messages.
	OpenOnly bool
	// Unalerted selects open messages no alert has been sent for.
	Unalerted bool
	Function  string
	// Correlation selects one order's or document's messages.
	Correlation string
	Limit       int
}

// ListParked returns parked messages, oldest first.
func (s *Store) ListParked(ctx context.Context, f ParkedFilter) ([]*ParkedMessage, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+parkedColumns+` FROM parked_messages
		WHERE ($1::bool IS FALSE OR replayed_at IS NULL)
		  AND ($2::bool IS FALSE OR (alerted_at IS NULL AND replayed_at IS NULL))
		  AND ($3 = '' OR function = $3)
		  AND ($4 = '' OR correlation_id = $4)
		ORDER BY first_seen, id LIMIT $5`, f.OpenOnly, f.Unalerted, f.Function, f.Correlation, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("listing parked messages: %w", err)
	}
	defer rows.Close()
	var out []*ParkedMessage
	for rows.Next() {
		p, err := scanParked(rows)
		if err != nil {
			return nil, fmt.Errorf("reading parked message: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing parked messages: %w", err)
	}
	return out, nil
}

// ClaimUnalerted claims up to limit open parked messages that no one has
// been told about, for lease, so that the background alert sender and
// dead-letter-watch never report the same one twice. Oldest first.
func (s *Store) ClaimUnalerted(ctx context.Context, limit int, lease time.Duration) ([]*ParkedMessage, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.Pool.Query(ctx, `
		UPDATE parked_messages SET alert_claimed_until = now() + make_interval(secs => $2)
		 WHERE id IN (
		       SELECT id FROM parked_messages
		        WHERE alerted_at IS NULL AND replayed_at IS NULL
		          AND (alert_claimed_until IS NULL OR alert_claimed_until < now())
		        ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
		RETURNING `+parkedColumns, limit, lease.Seconds())
	if err != nil {
		return nil, fmt.Errorf("claiming parked messages to report: %w", err)
	}
	defer rows.Close()
	var out []*ParkedMessage
	for rows.Next() {
		p, err := scanParked(rows)
		if err != nil {
			return nil, fmt.Errorf("reading parked message: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claiming parked messages to report: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// ReleaseAlertClaim gives claimed messages back unreported (the alert could
// not be sent); the next sender reports them.
func (s *Store) ReleaseAlertClaim(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.Pool.Exec(context.WithoutCancel(ctx),
		`UPDATE parked_messages SET alert_claimed_until = NULL WHERE id = ANY($1) AND alerted_at IS NULL`, ids); err != nil {
		return fmt.Errorf("releasing alert claims: %w", err)
	}
	return nil
}

// MarkAlerted records that people were told about these parked messages.
func (s *Store) MarkAlerted(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.Pool.Exec(context.WithoutCancel(ctx),
		`UPDATE parked_messages SET alerted_at = now(), alert_claimed_until = NULL WHERE id = ANY($1) AND alerted_at IS NULL`, ids); err != nil {
		return fmt.Errorf("marking parked messages alerted: %w", err)
	}
	return nil
}

// BeginReplay marks a parked message as being replayed, before its
// function runs again. If the replay parks it again, Park sees the mark,
// reopens the row as a new failure and it is alerted again; if the replay
// fails transiently, ReopenAfterFailedReplay puts the row back as it was.
func (s *Store) BeginReplay(ctx context.Context, id int64) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE parked_messages SET replayed_at = now(), replay_count = replay_count + 1 WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("marking parked message %d replayed: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("parked message %d: %w", id, ErrNotFound)
	}
	return nil
}

// ReopenAfterFailedReplay makes a parked message open again after a replay
// that failed transiently (it was not parked again and did not succeed).
func (s *Store) ReopenAfterFailedReplay(ctx context.Context, id int64) error {
	if _, err := s.Pool.Exec(context.WithoutCancel(ctx), `UPDATE parked_messages SET replayed_at = NULL WHERE id = $1`, id); err != nil {
		return fmt.Errorf("reopening parked message %d: %w", id, err)
	}
	return nil
}
