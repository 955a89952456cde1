package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/fault"
)

// ErrInFlight means another invocation holds the claim on a key and its
// lease has not run out: the partner call may be under way. It is
// transient, with the lease's remaining time as the wait.
var ErrInFlight = errors.New("another invocation is working on it")

// Claim is a consumer's hold on one key (a message id or a business key)
// while it calls a partner outside any database transaction.
//
// The shape every partner call follows: Claim (one short statement), call
// the partner with an idempotency key derived from the business key, then
// Record the effect (one short transaction) or Release the claim on
// failure. No pool connection or row lock is held during the call. A crash
// during the call leaves the claim to expire after its lease; the next
// delivery takes it over with Attempt > 1 and should look the effect up at
// the partner (or rely on the idempotency key) before creating it again.
type Claim struct {
	s          *Store
	Consumer   string
	Key        string
	Invocation string
	// Attempt is 1 for the first claim of the key and grows with each
	// retake after a failure or an expired lease.
	Attempt int
	// Refusals counts earlier attempts the partner refused outright.
	Refusals int
}

// IdempotencyKey is the idempotency key for this attempt's partner call: base until
// the partner has refused an attempt (then no effect happened, and a
// partner that replays its first answer for a key would refuse forever),
// base plus the number of refusals after.
func (c *Claim) IdempotencyKey(base string) string {
	if c.Refusals == 0 {
		return base
	}
	return fmt.Sprintf("%s/retry-%d", base, c.Refusals)
}

// Retaken reports whether an earlier attempt may have reached the partner.
func (c *Claim) Retaken() bool { return c.Attempt > 1 }

// Claim takes the key for consumer until lease from now. It returns an
// error of class Duplicate when the key's effect was already recorded, and
// ErrInFlight (transient, retry after the lease's remainder) when another
// invocation holds an unexpired claim. The same invocation trying again
// (after its record failed) retakes its own claim at once.
func (s *Store) Claim(ctx context.Context, consumer, key, invocationID string, lease time.Duration) (*Claim, error) {
	if consumer == "" || key == "" {
		return nil, errors.New("claiming: consumer and key are required")
	}
	if lease <= 0 {
		lease = 2 * time.Minute
	}
	c := &Claim{s: s, Consumer: consumer, Key: key, Invocation: invocationID}
	err := s.Pool.QueryRow(ctx, `
		INSERT INTO processed_messages (consumer, message_id, invocation_id, status, attempts, claimed_until)
		VALUES ($1, $2, $3, 'claimed', 1, now() + make_interval(secs => $4))
		ON CONFLICT (consumer, message_id) DO UPDATE
		   SET status = 'claimed', attempts = processed_messages.attempts + 1,
		       invocation_id = excluded.invocation_id, claimed_until = excluded.claimed_until
		 WHERE processed_messages.status = 'open'
		    OR (processed_messages.status = 'claimed' AND processed_messages.claimed_until < now())
		    OR (processed_messages.status = 'claimed' AND processed_messages.invocation_id = excluded.invocation_id)
		RETURNING attempts, refusals`, consumer, key, invocationID, lease.Seconds()).Scan(&c.Attempt, &c.Refusals)
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, Classify(fmt.Errorf("claiming %s for %s: %w", key, consumer, err))
	}
	var status string
	var left time.Duration
	err = s.Pool.QueryRow(ctx, `
		SELECT status, COALESCE(GREATEST(claimed_until - now(), interval '0'), interval '0')
		  FROM processed_messages WHERE consumer = $1 AND message_id = $2`, consumer, key).Scan(&status, &left)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		// Released between the two statements: try again at once.
		return nil, fault.Transient(fmt.Errorf("claiming %s for %s: the claim changed hands; retrying", key, consumer), time.Millisecond)
	case err != nil:
		return nil, Classify(fmt.Errorf("reading the claim on %s for %s: %w", key, consumer, err))
	case status == "done":
		return nil, fault.Duplicatef("%s already processed %s", consumer, key)
	default:
		return nil, fault.Transient(fmt.Errorf("%s of %s: %w", consumer, key, ErrInFlight), max(left, time.Second))
	}
}

// Record runs fn in a short transaction that also marks the claim done. If
// the claim is no longer this invocation's (its lease ran out and another
// delivery took it over, or that delivery already recorded), fn does not
// run and the error is of class Duplicate: the other invocation records the
// same effect, which the partner made once because both used one
// idempotency key.
func (c *Claim) Record(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return c.s.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE processed_messages
			   SET status = 'done', processed_at = now(), claimed_until = NULL, last_error = ''
			 WHERE consumer = $1 AND message_id = $2 AND invocation_id = $3 AND status = 'claimed'`,
			c.Consumer, c.Key, c.Invocation)
		if err != nil {
			return fmt.Errorf("recording %s for %s: %w", c.Key, c.Consumer, err)
		}
		if tag.RowsAffected() == 0 {
			return fault.Duplicatef("%s of %s was taken over by another delivery", c.Consumer, c.Key)
		}
		if fn == nil {
			return nil
		}
		return fn(tx)
	})
}

// Release gives the claim back after a failed attempt, so the next delivery
// can claim it at once; cause is kept as the last error. It runs even when
// ctx is cancelled.
func (c *Claim) Release(ctx context.Context, cause error) error { return c.release(ctx, cause, 0) }

// Refuse gives the claim back after the partner refused the call outright
// (a 4xx: nothing happened there), so the next attempt uses a new key.
func (c *Claim) Refuse(ctx context.Context, cause error) error { return c.release(ctx, cause, 1) }

func (c *Claim) release(ctx context.Context, cause error, refused int) error {
	msg := ""
	if cause != nil {
		msg = Text(cause.Error(), 2000)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, err := c.s.Pool.Exec(ctx, `
		UPDATE processed_messages SET status = 'open', claimed_until = NULL, last_error = $4, refusals = refusals + $5
		 WHERE consumer = $1 AND message_id = $2 AND invocation_id = $3 AND status = 'claimed'`,
		c.Consumer, c.Key, c.Invocation, msg, refused)
	if err != nil {
		return fmt.Errorf("releasing %s for %s: %w", c.Key, c.Consumer, err)
	}
	return nil
}
