package arena

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/store"
)

// Session is an Arena login: its token and workspace.
type Session struct {
	ID          string
	WorkspaceID string
	// IdleFor is how long ago the session was last used, when it was read.
	IdleFor time.Duration
}

// SessionStore keeps the one session every instance shares, and the lease
// under which a new one is made. A second login by the same user ends the
// first session, so instances must never each log in.
type SessionStore interface {
	// Load returns the shared session; ok is false when there is none.
	Load(ctx context.Context) (s Session, ok bool, err error)
	// Save stores a new session (while holding the lease).
	Save(ctx context.Context, s Session) error
	// Drop forgets the session if it is still id.
	Drop(ctx context.Context, id string) error
	// Touch records that id was just used.
	Touch(ctx context.Context, id string) error
	// Lock takes the login lease for holder; false when another holds it.
	Lock(ctx context.Context, holder string, ttl time.Duration) (bool, error)
	// Unlock gives the lease up.
	Unlock(ctx context.Context, holder string) error
}

// PostgresSessions is the SessionStore of the app: the session in
// partner_sessions, the lease in leases, so every instance shares both.
type PostgresSessions struct {
	Store *store.Store
	// Name is the partner_sessions row and the lease's name (default "arena").
	Name string
}

var _ SessionStore = (*PostgresSessions)(nil)

func (p *PostgresSessions) name() string {
	if p.Name == "" {
		return "arena"
	}
	return p.Name
}

// Load implements SessionStore.
func (p *PostgresSessions) Load(ctx context.Context) (Session, bool, error) {
	s, ok, err := p.Store.LoadPartnerSession(ctx, p.name())
	if err != nil || !ok {
		return Session{}, ok, err
	}
	return Session{ID: s.Token, WorkspaceID: s.Workspace, IdleFor: s.IdleFor}, true, nil
}

// Save implements SessionStore.
func (p *PostgresSessions) Save(ctx context.Context, s Session) error {
	return p.Store.SavePartnerSession(ctx, store.PartnerSession{Partner: p.name(), Token: s.ID, Workspace: s.WorkspaceID})
}

// Drop implements SessionStore.
func (p *PostgresSessions) Drop(ctx context.Context, id string) error {
	_, err := p.Store.DropPartnerSession(ctx, p.name(), id)
	return err
}

// Touch implements SessionStore.
func (p *PostgresSessions) Touch(ctx context.Context, id string) error {
	return p.Store.TouchPartnerSession(ctx, p.name(), id)
}

// Lock implements SessionStore.
func (p *PostgresSessions) Lock(ctx context.Context, holder string, ttl time.Duration) (bool, error) {
	return p.Store.AcquireLease(ctx, p.name()+"-login", holder, ttl)
}

// Unlock implements SessionStore.
func (p *PostgresSessions) Unlock(ctx context.Context, holder string) error {
	return p.Store.ReleaseLease(context.WithoutCancel(ctx), p.name()+"-login", holder)
}

// Session timing.
const (
	// SessionIdle is how long Arena keeps an unused session (90 minutes);
	// a session idle for longer than sessionFresh is renewed before use.
	SessionIdle  = 90 * time.Minute
	sessionFresh = SessionIdle - 5*time.Minute
	// touchEvery bounds how often the last use is written to the store.
	touchEvery = time.Minute
	// loginLease is how long a login may take before another instance may try.
	loginLease = time.Minute
)

// session returns the shared session, making one if there is none or it
// has gone stale. bad is the session that was just refused (401), if any:
// it is dropped, unless another instance has already replaced it, in which
// case the replacement is used and nobody logs in. Only the holder of the
// login lease logs in; the others wait for its session.
func (c *Client) session(ctx context.Context, bad string) (Session, error) {
	c.mu.Lock()
	cur, used := c.cur, c.curUsed
	c.mu.Unlock()
	if cur.ID != "" && cur.ID != bad && c.now().Sub(used) < sessionFresh {
		return cur, nil
	}
	wait := time.NewTimer(0)
	defer wait.Stop()
	deadline := c.now().Add(c.cfg.LoginWait)
	for {
		s, ok, err := c.cfg.Sessions.Load(ctx)
		if err != nil {
			return Session{}, fmt.Errorf("reading the shared Arena session: %w", err)
		}
		if ok && s.ID != bad && s.IdleFor < sessionFresh {
			c.use(s)
			return s, nil
		}
		got, err := c.cfg.Sessions.Lock(ctx, c.cfg.Holder, loginLease)
		if err != nil {
			return Session{}, fmt.Errorf("taking the Arena login lease: %w", err)
		}
		if got {
			return c.loginLocked(ctx, bad)
		}
		if c.now().After(deadline) {
			return Session{}, fault.Transient(fmt.Errorf("another instance has been logging in to Arena for over %s", c.cfg.LoginWait), 0)
		}
		wait.Reset(c.cfg.LoginPoll)
		select {
		case <-ctx.Done():
			return Session{}, fault.Transient(fmt.Errorf("waiting for another instance's Arena login: %w", ctx.Err()), 0)
		case <-wait.C:
		}
	}
}

// loginLocked runs with the login lease held: it looks once more (another
// instance may have logged in between the load and the lease), then logs in.
func (c *Client) loginLocked(ctx context.Context, bad string) (Session, error) {
	defer func() { _ = c.cfg.Sessions.Unlock(ctx, c.cfg.Holder) }()
	s, ok, err := c.cfg.Sessions.Load(ctx)
	if err != nil {
		return Session{}, fmt.Errorf("reading the shared Arena session: %w", err)
	}
	if ok && s.ID != bad && s.IdleFor < sessionFresh {
		c.use(s)
		return s, nil
	}
	if ok {
		if err := c.cfg.Sessions.Drop(ctx, s.ID); err != nil {
			return Session{}, fmt.Errorf("dropping the stale Arena session: %w", err)
		}
	}
	s, err = c.login(ctx)
	if err != nil {
		return Session{}, err
	}
	if err := c.cfg.Sessions.Save(ctx, s); err != nil {
		// Arena has the session now; without the store, every other
		// instance would log in and end it. Fail, and log in again next time.
		return Session{}, fmt.Errorf("storing the new Arena session: %w", err)
	}
	c.logins.Add(1)
	c.use(s)
	return s, nil
}

func (c *Client) use(s Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur, c.curUsed, c.curTouched = s, c.now().Add(-s.IdleFor), c.now().Add(-s.IdleFor)
}

// used records a successful call with s, and writes it to the store at
// most once a minute, so that other instances know the session is alive.
func (c *Client) used(ctx context.Context, s Session) {
	c.mu.Lock()
	touch := false
	if c.cur.ID == s.ID {
		c.curUsed = c.now()
		if c.now().Sub(c.curTouched) >= touchEvery {
			c.curTouched, touch = c.now(), true
		}
	}
	c.mu.Unlock()
	if touch {
		// Best effort: a missed touch makes another instance renew the
		// session a little early, which is harmless.
		_ = c.cfg.Sessions.Touch(ctx, s.ID)
	}
}

// forget drops the cached session if it is id.
func (c *Client) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur.ID == id {
		c.cur = Session{}
	}
}

// Logins counts the logins this client made (for tests and the run's log).
func (c *Client) Logins() int64 { return c.logins.Load() }

// errLoginRefused is a login Arena refused: the credentials or the workspace.
var errLoginRefused = errors.New("the Arena login was refused")
