package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// This file holds the operations tables of migration 00007: timer runs (the
// poller watchdog reads them), dead letters (dead-letter-watch records
// them, `handler replay -dead-letter` replays them) and alert kinds (one
// alert per kind and window).

// TimerRun is a row of timer_runs: what the kit recorded of one timer.
type TimerRun struct {
	Function         string     `json:"function"`
	Schedule         string     `json:"schedule"`
	FirstSeenAt      time.Time  `json:"first_seen_at"`
	LastSuccessAt    *time.Time `json:"last_success_at,omitempty"`
	LastInvocationID string     `json:"last_invocation_id"`
	LastFailureAt    *time.Time `json:"last_failure_at,omitempty"`
	LastError        string     `json:"last_error"`
	Successes        int64      `json:"successes"`
	Failures         int64      `json:"failures"`
	StaleSince       *time.Time `json:"stale_since,omitempty"`
}

// Baseline is when the timer last succeeded, or when it was first seen if
// it never has: the time its missed runs are counted from.
func (r TimerRun) Baseline() time.Time {
	if r.LastSuccessAt != nil {
		return *r.LastSuccessAt
	}
	return r.FirstSeenAt
}

// TimerOutcome is one finished run of a timer.
type TimerOutcome struct {
	Function     string
	Schedule     string
	StartedAt    time.Time
	InvocationID string
	// Err is nil for a successful run.
	Err error
}

// WatchTimers makes sure every timer function has its row, from now on
// if it has none: a timer that never runs after a deploy (the host never
// triggers it) is then counted from its first sighting, like one that
// stopped. schedules maps each function to its NCRONTAB schedule.
func (s *Store) WatchTimers(ctx context.Context, schedules map[string]string, now time.Time) error {
	fns := make([]string, 0, len(schedules))
	scheds := make([]string, 0, len(schedules))
	for fn, sc := range schedules {
		fns, scheds = append(fns, fn), append(scheds, Text(sc, 200))
	}
	if len(fns) == 0 {
		return nil
	}
	_, err := s.Pool.Exec(ctx, `
		INSERT INTO timer_runs (function, schedule, first_seen_at)
		SELECT f, sc, $3 FROM unnest($1::text[], $2::text[]) AS t(f, sc)
		ON CONFLICT (function) DO UPDATE SET schedule = excluded.schedule
		 WHERE timer_runs.schedule = '' AND excluded.schedule <> ''`, fns, scheds, now.UTC())
	if err != nil {
		return fmt.Errorf("registering the timers to watch: %w", err)
	}
	return nil
}

// RecordTimerRun upserts the timer's row: a success moves last_success_at
// forward (never back), a failure records when and why.
func (s *Store) RecordTimerRun(ctx context.Context, o TimerOutcome) error {
	if o.Function == "" {
		return errors.New("recording a timer run: no function")
	}
	at := o.StartedAt.UTC()
	var err error
	if o.Err == nil {
		_, err = s.Pool.Exec(ctx, `
			INSERT INTO timer_runs (function, schedule, first_seen_at, last_success_at, last_invocation_id, successes)
			VALUES ($1, $2, $3, $3, $4, 1)
			ON CONFLICT (function) DO UPDATE SET
			    schedule = CASE WHEN excluded.schedule <> '' THEN excluded.schedule ELSE timer_runs.schedule END,
			    last_success_at = GREATEST(timer_runs.last_success_at, excluded.last_success_at),
			    last_invocation_id = excluded.last_invocation_id,
			    successes = timer_runs.successes + 1,
			    updated_at = now()`,
			o.Function, Text(o.Schedule, 200), at, Text(o.InvocationID, 200))
	} else {
		_, err = s.Pool.Exec(ctx, `
			INSERT INTO timer_runs (function, schedule, first_seen_at, last_failure_at, last_error, failures)
			VALUES ($1, $2, $3, $3, $4, 1)
			ON CONFLICT (function) DO UPDATE SET
			    schedule = CASE WHEN excluded.schedule <> '' THEN excluded.schedule ELSE timer_runs.schedule END,
			    last_failure_at = GREATEST(timer_runs.last_failure_at, excluded.last_failure_at),
			    last_error = excluded.last_error,
			    failures = timer_runs.failures + 1,
			    updated_at = now()`,
			o.Function, Text(o.Schedule, 200), at, Text(o.Err.Error(), 1000))
	}
	if err != nil {
		return fmt.Errorf("recording the run of timer %s: %w", o.Function, err)
	}
	return nil
}

const timerRunColumns = `function, schedule, first_seen_at, last_success_at, last_invocation_id, last_failure_at,
	last_error, successes, failures, stale_since`

// TimerRuns lists every timer's row, by function.
func (s *Store) TimerRuns(ctx context.Context) ([]TimerRun, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+timerRunColumns+` FROM timer_runs ORDER BY function`)
	if err != nil {
		return nil, fmt.Errorf("listing timer runs: %w", err)
	}
	defer rows.Close()
	var out []TimerRun
	for rows.Next() {
		var r TimerRun
		if err := rows.Scan(&r.Function, &r.Schedule, &r.FirstSeenAt, &r.LastSuccessAt, &r.LastInvocationID, &r.LastFailureAt,
			&r.LastError, &r.Successes, &r.Failures, &r.StaleSince); err != nil {
			return nil, fmt.Errorf("reading a timer run: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing timer runs: %w", err)
	}
	return out, nil
}

// MarkTimerStale records that the watchdog alerts about function, unless
// it already did (then false): of two watchdog runs racing, one alerts.
func (s *Store) MarkTimerStale(ctx context.Context, function string, since time.Time) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE timer_runs SET stale_since = $2 WHERE function = $1 AND stale_since IS NULL`, function, since.UTC())
	if err != nil {
		return false, fmt.Errorf("marking timer %s stale: %w", function, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ClearTimerStale records that function recovered, if it was marked stale
// (then true, with when it was marked): of two racing runs, one clears.
func (s *Store) ClearTimerStale(ctx context.Context, function string) (bool, time.Time, error) {
	var since time.Time
	err := s.Pool.QueryRow(ctx, `
		UPDATE timer_runs t SET stale_since = NULL
		  FROM (SELECT function, stale_since FROM timer_runs WHERE function = $1 FOR UPDATE) old
		 WHERE t.function = old.function AND old.stale_since IS NOT NULL
		RETURNING old.stale_since`, function).Scan(&since)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, time.Time{}, nil
	}
	if err != nil {
		return false, time.Time{}, fmt.Errorf("clearing timer %s: %w", function, err)
	}
	return true, since, nil
}

// RestoreTimerStale puts back a stale mark (since), or removes one (zero
// since), after the alert or clear that went with it could not be sent.
func (s *Store) RestoreTimerStale(ctx context.Context, function string, since time.Time) error {
	var v *time.Time
	if !since.IsZero() {
		u := since.UTC()
		v = &u
	}
	if _, err := s.Pool.Exec(context.WithoutCancel(ctx), `UPDATE timer_runs SET stale_since = $2 WHERE function = $1`, function, v); err != nil {
		return fmt.Errorf("restoring the stale mark of timer %s: %w", function, err)
	}
	return nil
}

// DeadLetterRecord is a row of dead_letters.
type DeadLetterRecord struct {
	ID             int64      `json:"id"`
	Topic          string     `json:"topic"`
	Subscription   string     `json:"subscription"`
	SequenceNumber int64      `json:"sequence_number"`
	MessageID      string     `json:"message_id"`
	CorrelationID  string     `json:"correlation_id"`
	Subject        string     `json:"subject"`
	Reason         string     `json:"reason"`
	Description    string     `json:"description"`
	DeliveryCount  int        `json:"delivery_count"`
	EnqueuedAt     *time.Time `json:"enqueued_at,omitempty"`
	BodyRef        string     `json:"body_ref"`
	BodySHA256     string     `json:"body_sha256"`
	BodySize       int        `json:"body_size"`
	FirstSeen      time.Time  `json:"first_seen"`
	AlertedAt      *time.Time `json:"alerted_at,omitempty"`
	ReplayedAt     *time.Time `json:"replayed_at,omitempty"`
	ReplayCount    int        `json:"replay_count"`
	ReplayResult   string     `json:"replay_result"`
}

const deadLetterColumns = `id, topic, subscription, sequence_number, message_id, correlation_id, subject, reason, description,
	delivery_count, enqueued_at, body_ref, body_sha256, body_size, first_seen, alerted_at, replayed_at, replay_count, replay_result`

func scanDeadLetter(row pgx.Row) (*DeadLetterRecord, error) {
	var d DeadLetterRecord
	err := row.Scan(&d.ID, &d.Topic, &d.Subscription, &d.SequenceNumber, &d.MessageID, &d.CorrelationID, &d.Subject,
		&d.Reason, &d.Description, &d.DeliveryCount, &d.EnqueuedAt, &d.BodyRef, &d.BodySHA256, &d.BodySize, &d.FirstSeen,
		&d.AlertedAt, &d.ReplayedAt, &d.ReplayCount, &d.ReplayResult)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// RecordDeadLetter inserts d once per topic, subscription and sequence
// number; created is false when it was already recorded (and the row
// returned is the first record).
func (s *Store) RecordDeadLetter(ctx context.Context, d DeadLetterRecord) (rec *DeadLetterRecord, created bool, err error) {
	var enq *time.Time
	if d.EnqueuedAt != nil && !d.EnqueuedAt.IsZero() {
		u := d.EnqueuedAt.UTC()
		enq = &u
	}
	rec, err = scanDeadLetter(s.Pool.QueryRow(ctx, `
		INSERT INTO dead_letters (topic, subscription, sequence_number, message_id, correlation_id, subject, reason,
		                          description, delivery_count, enqueued_at, body_ref, body_sha256, body_size)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (topic, subscription, sequence_number) DO NOTHING
		RETURNING `+deadLetterColumns,
		Text(d.Topic, 260), Text(d.Subscription, 50), d.SequenceNumber, Text(d.MessageID, 1000), Text(d.CorrelationID, 200),
		Text(d.Subject, 200), Text(d.Reason, 500), Text(d.Description, 4000), d.DeliveryCount, enq, Text(d.BodyRef, 1000),
		d.BodySHA256, d.BodySize))
	if err == nil {
		return rec, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, false, fmt.Errorf("recording dead letter %s/%s #%d: %w", d.Topic, d.Subscription, d.SequenceNumber, err)
	}
	rec, err = s.FindDeadLetter(ctx, d.Topic, d.Subscription, d.SequenceNumber)
	return rec, false, err
}

// FindDeadLetter returns the record of one dead-lettered message;
// ErrNotFound when it was never recorded.
func (s *Store) FindDeadLetter(ctx context.Context, topic, subscription string, seq int64) (*DeadLetterRecord, error) {
	rec, err := scanDeadLetter(s.Pool.QueryRow(ctx, `SELECT `+deadLetterColumns+` FROM dead_letters
		WHERE topic = $1 AND subscription = $2 AND sequence_number = $3`, topic, subscription, seq))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("dead letter %s/%s #%d: %w", topic, subscription, seq, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading dead letter %s/%s #%d: %w", topic, subscription, seq, err)
	}
	return rec, nil
}

// GetDeadLetter returns one record by id; ErrNotFound when unknown.
func (s *Store) GetDeadLetter(ctx context.Context, id int64) (*DeadLetterRecord, error) {
	rec, err := scanDeadLetter(s.Pool.QueryRow(ctx, `SELECT `+deadLetterColumns+` FROM dead_letters WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("dead letter %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading dead letter %d: %w", id, err)
	}
	return rec, nil
}

// KnownDeadLetters returns which of the sequence numbers of topic and
// subscription are recorded already.
func (s *Store) KnownDeadLetters(ctx context.Context, topic, subscription string, seqs []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(seqs) == 0 {
		return out, nil
	}
	rows, err := s.Pool.Query(ctx, `SELECT sequence_number FROM dead_letters
		WHERE topic = $1 AND subscription = $2 AND sequence_number = ANY($3)`, topic, subscription, seqs)
	if err != nil {
		return nil, fmt.Errorf("reading recorded dead letters of %s/%s: %w", topic, subscription, err)
	}
	defer rows.Close()
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}

// UnalertedDeadLetters lists recorded dead letters nobody was told about,
// oldest first.
func (s *Store) UnalertedDeadLetters(ctx context.Context, limit int) ([]*DeadLetterRecord, error) {
	if limit <= 0 {
		limit = 500
	}
	return s.listDeadLetters(ctx, `SELECT `+deadLetterColumns+` FROM dead_letters
		WHERE alerted_at IS NULL AND replayed_at IS NULL ORDER BY id LIMIT $1`, limit)
}

// DeadLetterFilter selects recorded dead letters.
type DeadLetterFilter struct {
	Topic, Subscription, Reason, Correlation string
	// OpenOnly skips replayed ones.
	OpenOnly bool
	Limit    int
}

// ListDeadLetters lists recorded dead letters, oldest first.
func (s *Store) ListDeadLetters(ctx context.Context, f DeadLetterFilter) ([]*DeadLetterRecord, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	return s.listDeadLetters(ctx, `SELECT `+deadLetterColumns+` FROM dead_letters
		WHERE ($1 = '' OR topic = $1) AND ($2 = '' OR subscription = $2) AND ($3 = '' OR reason = $3)
		  AND ($4 = '' OR correlation_id = $4) AND ($5::bool IS FALSE OR replayed_at IS NULL)
		ORDER BY id LIMIT $6`, f.Topic, f.Subscription, f.Reason, f.Correlation, f.OpenOnly, f.Limit)
}

func (s *Store) listDeadLetters(ctx context.Context, sql string, args ...any) ([]*DeadLetterRecord, error) {
	rows, err := s.Pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("listing dead letters: %w", err)
	}
	defer rows.Close()
	var out []*DeadLetterRecord
	for rows.Next() {
		d, err := scanDeadLetter(rows)
		if err != nil {
			return nil, fmt.Errorf("reading a dead letter: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing dead letters: %w", err)
	}
	return out, nil
}

// MarkDeadLettersAlerted records that people were told about these.
func (s *Store) MarkDeadLettersAlerted(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.Pool.Exec(context.WithoutCancel(ctx),
		`UPDATE dead_letters SET alerted_at = now() WHERE id = ANY($1) AND alerted_at IS NULL`, ids); err != nil {
		return fmt.Errorf("marking dead letters alerted: %w", err)
	}
	return nil
}

// MarkDeadLetterReplayed records a replay of the dead letter and its result.
func (s *Store) MarkDeadLetterReplayed(ctx context.Context, id int64, result string) error {
	tag, err := s.Pool.Exec(context.WithoutCancel(ctx), `
		UPDATE dead_letters SET replayed_at = now(), replay_count = replay_count + 1, replay_result = $2,
		       alerted_at = COALESCE(alerted_at, now())
		 WHERE id = $1`, id, Text(result, 1000))
	if err != nil {
		return fmt.Errorf("marking dead letter %d replayed: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("dead letter %d: %w", id, ErrNotFound)
	}
	return nil
}

// AlertClaim is the state of an alert kind when it was claimed.
type AlertClaim struct {
	// Claimed is true when this caller may post the alert now.
	Claimed bool
	// HeldBack counts the alerts of the kind held back since the last one
	// posted (when Claimed), or including this one (when not).
	HeldBack int64
	// Previous is when the kind was last posted before this claim (zero
	// for a new kind); ReleaseAlertKind puts it back.
	Previous time.Time
}

// ClaimAlertKind claims the right to post an alert of kind: granted when
// none was posted within window (by the database's clock), otherwise the
// alert is counted as held back. Of concurrent callers one is granted.
func (s *Store) ClaimAlertKind(ctx context.Context, kind string, window time.Duration) (AlertClaim, error) {
	var c AlertClaim
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var last *time.Time
		var held int64
		err := tx.QueryRow(ctx, `SELECT last_sent_at, held_back FROM alert_kinds WHERE kind = $1 FOR UPDATE`, kind).Scan(&last, &held)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			tag, err := tx.Exec(ctx, `INSERT INTO alert_kinds (kind, last_sent_at) VALUES ($1, now()) ON CONFLICT (kind) DO NOTHING`, kind)
			if err != nil {
				return err
			}
			// Of two first claims racing, the one whose row went in posts.
			c = AlertClaim{Claimed: tag.RowsAffected() == 1}
			return nil
		case err != nil:
			return err
		}
		var due bool
		if err := tx.QueryRow(ctx, `SELECT $1::timestamptz <= now() - make_interval(secs => $2)`, *last, window.Seconds()).Scan(&due); err != nil {
			return err
		}
		if !due {
			_, err := tx.Exec(ctx, `UPDATE alert_kinds SET held_back = held_back + 1 WHERE kind = $1`, kind)
			c = AlertClaim{HeldBack: held + 1, Previous: *last}
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE alert_kinds SET last_sent_at = now(), sent = sent + 1, held_back = 0 WHERE kind = $1`, kind)
		c = AlertClaim{Claimed: true, HeldBack: held, Previous: *last}
		return err
	})
	if err != nil {
		return AlertClaim{}, fmt.Errorf("claiming alert kind %s: %w", kind, err)
	}
	return c, nil
}

// ReleaseAlertKind undoes a granted claim whose alert could not be posted,
// so the next caller posts it.
func (s *Store) ReleaseAlertKind(ctx context.Context, kind string, c AlertClaim) error {
	ctx = context.WithoutCancel(ctx)
	var err error
	if c.Previous.IsZero() {
		_, err = s.Pool.Exec(ctx, `DELETE FROM alert_kinds WHERE kind = $1`, kind)
	} else {
		_, err = s.Pool.Exec(ctx, `UPDATE alert_kinds SET last_sent_at = $2, sent = sent - 1, held_back = $3 WHERE kind = $1`,
			kind, c.Previous, c.HeldBack)
	}
	if err != nil {
		return fmt.Errorf("releasing alert kind %s: %w", kind, err)
	}
	return nil
}

// FindParked returns the parked record of a function's message, or nil
// when it was never parked.
func (s *Store) FindParked(ctx context.Context, function, messageID string) (*ParkedMessage, error) {
	p, err := scanParked(s.Pool.QueryRow(ctx, `SELECT `+parkedColumns+` FROM parked_messages WHERE function = $1 AND message_id = $2`,
		function, Text(messageID, 1000)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the parked record of %s's message: %w", function, err)
	}
	return p, nil
}
