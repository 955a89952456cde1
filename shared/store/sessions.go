package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// PartnerSession is a partner login the whole app shares: one session for
// every instance, where a partner ends the first session when the same
// user logs in again (Arena). It replaces the Camel layer's Hazelcast
// token cache. Times come from the database clock.
type PartnerSession struct {
	Partner string
	// Token is the session's credential; it never reaches a log line.
	Token string
	// Workspace is the partner's workspace or tenant the session is in.
	Workspace string
	// ObtainedAt is when the session was made.
	ObtainedAt time.Time
	// IdleFor is how long ago the session was last used, when it was read.
	IdleFor time.Duration
}

// LoadPartnerSession returns partner's shared session; ok is false when
// there is none.
func (s *Store) LoadPartnerSession(ctx context.Context, partner string) (sess PartnerSession, ok bool, err error) {
	sess.Partner = partner
	var idleSecs float64
	err = s.Pool.QueryRow(ctx, `
		SELECT token, workspace, obtained_at, EXTRACT(EPOCH FROM now() - last_used_at)
		  FROM partner_sessions WHERE partner = $1`, partner).Scan(&sess.Token, &sess.Workspace, &sess.ObtainedAt, &idleSecs)
	if errors.Is(err, pgx.ErrNoRows) {
		return PartnerSession{}, false, nil
	}
	if err != nil {
		return PartnerSession{}, false, Classify(fmt.Errorf("reading the %s session: %w", partner, err))
	}
	sess.IdleFor = time.Duration(idleSecs * float64(time.Second))
	return sess, true, nil
}

// SavePartnerSession stores a new session, replacing the one before. Call
// it while holding the partner's login lease.
func (s *Store) SavePartnerSession(ctx context.Context, sess PartnerSession) error {
	_, err := s.Pool.Exec(ctx, `
		INSERT INTO partner_sessions (partner, token, workspace, obtained_at, last_used_at)
		VALUES ($1, $2, $3, now(), now())
		ON CONFLICT (partner) DO UPDATE
		   SET token = excluded.token, workspace = excluded.workspace, obtained_at = now(), last_used_at = now()`,
		sess.Partner, sess.Token, sess.Workspace)
	if err != nil {
		return Classify(fmt.Errorf("storing the %s session: %w", sess.Partner, err))
	}
	return nil
}

// DropPartnerSession forgets the session if it is still token (a newer
// one, made by another instance, is kept). It reports whether it dropped it.
func (s *Store) DropPartnerSession(ctx context.Context, partner, token string) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `DELETE FROM partner_sessions WHERE partner = $1 AND token = $2`, partner, token)
	if err != nil {
		return false, Classify(fmt.Errorf("dropping the %s session: %w", partner, err))
	}
	return tag.RowsAffected() == 1, nil
}

// TouchPartnerSession records that the session token was just used.
func (s *Store) TouchPartnerSession(ctx context.Context, partner, token string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE partner_sessions SET last_used_at = now() WHERE partner = $1 AND token = $2`, partner, token)
	if err != nil {
		return Classify(fmt.Errorf("touching the %s session: %w", partner, err))
	}
	return nil
}
