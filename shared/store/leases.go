package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrLeaseLost means the lease expired and someone else holds it now: stop
// the work it protected.
var ErrLeaseLost = errors.New("lease lost")

// AcquireLease makes holder the holder of name for ttl, if nobody else holds
// an unexpired lease. It returns false when someone else does. Acquiring a
// lease one already holds extends it.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, fmt.Errorf("acquiring lease %s: ttl must be positive", name)
	}
	var got string
	err := s.Pool.QueryRow(ctx, `
		INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, now() + $3::interval)
		ON CONFLICT (name) DO UPDATE
		   SET holder = excluded.holder, expires_at = excluded.expires_at,
		       acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE now() END
		 WHERE leases.expires_at <= now() OR leases.holder = excluded.holder
		RETURNING holder`, name, holder, ttl.String()).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("acquiring lease %s: %w", name, err)
	}
	return got == holder, nil
}

// RenewLease extends holder's lease; ErrLeaseLost when it is no longer holder's.
func (s *Store) RenewLease(ctx context.Context, name, holder string, ttl time.Duration) error {
	tag, err := s.Pool.Exec(ctx, `
		UPDATE leases SET expires_at = now() + $3::interval
		 WHERE name = $1 AND holder = $2 AND expires_at > now()`, name, holder, ttl.String())
	if err != nil {
		return fmt.Errorf("renewing lease %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("renewing lease %s: %w", name, ErrLeaseLost)
	}
	return nil
}

// ReleaseLease gives the lease up if holder still has it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.Pool.Exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder); err != nil {
		return fmt.Errorf("releasing lease %s: %w", name, err)
	}
	return nil
}
