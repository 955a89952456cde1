package arena

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/partnerhttp"
)

// DefaultTimeout bounds each call when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Config configures a Client. BaseURL, Email, Password and Sessions are required.
type Config struct {
	// BaseURL is the API root (ARENA_BASE_URL), https://api.arenasolutions.com/v1.
	BaseURL string
	// Email and Password are the integration user's (ARENA_EMAIL, ARENA_PASSWORD).
	Email, Password string
	// WorkspaceID is the workspace to log in to (ARENA_WORKSPACE_ID); 0 is
	// the user's last one, which Arena advises against.
	WorkspaceID int64
	// Sessions keeps the session every instance shares (PostgresSessions).
	Sessions SessionStore
	// Holder names this instance for the login lease (default: host, pid
	// and a random suffix).
	Holder string
	// Reserve is how many of the day's requests this client leaves to
	// others: it stops (ErrQuotaExhausted) when Arena says no more than
	// Reserve remain. The poll keeps a reserve for the item lookup.
	Reserve int
	// LoginWait bounds how long a call waits for another instance's login
	// (default 30 s); LoginPoll is how often it looks (default 100 ms).
	LoginWait, LoginPoll time.Duration
	// Timeout bounds each request (default 30 s).
	Timeout time.Duration
	// HTTPClient sends the requests (default: a new client).
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Client calls Arena with the shared session. It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *partnerhttp.Client

	mu         sync.Mutex
	cur        Session
	curUsed    time.Time
	curTouched time.Time
	logins     atomic.Int64
	quota      quota
}

// New checks cfg and returns a client. It does no I/O.
func New(cfg Config) (*Client, error) {
	var errs []error
	base, err := partnerhttp.BaseURL("ARENA_BASE_URL", cfg.BaseURL)
	if err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(cfg.Email) == "" {
		errs = append(errs, errors.New("ARENA_EMAIL is not set"))
	}
	if cfg.Password == "" {
		errs = append(errs, errors.New("ARENA_PASSWORD is not set"))
	}
	if cfg.Sessions == nil {
		errs = append(errs, errors.New("the Arena client needs a session store (the database)"))
	}
	if cfg.Reserve < 0 || cfg.Timeout < 0 || cfg.WorkspaceID < 0 {
		errs = append(errs, errors.New("the reserve, timeout and workspace of the Arena client must not be negative"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LoginWait <= 0 {
		cfg.LoginWait = 30 * time.Second
	}
	if cfg.LoginPoll <= 0 {
		cfg.LoginPoll = 100 * time.Millisecond
	}
	if cfg.Holder == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		cfg.Holder = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	c := &Client{cfg: cfg}
	c.http = partnerhttp.New(partnerhttp.Config{
		Partner:           "Arena",
		BaseURL:           base,
		CredentialSetting: "ARENA_EMAIL/ARENA_PASSWORD",
		Secrets:           []string{cfg.Password, cfg.Email},
		Timeout:           cfg.Timeout,
		HTTPClient:        cfg.HTTPClient,
		Now:               cfg.Now,
	})
	return c, nil
}

func (c *Client) now() time.Time { return c.cfg.Now() }

// login makes a new session (POST /login). It is called with the login
// lease held. A refusal (400, code 4001) names the credentials.
func (c *Client) login(ctx context.Context) (Session, error) {
	body := WireLogin{Email: c.cfg.Email, Password: c.cfg.Password, WorkspaceID: c.cfg.WorkspaceID}
	a, err := c.http.Do(ctx, partnerhttp.Request{Method: http.MethodPost, Path: PathLogin, Body: body})
	if err != nil {
		return Session{}, fmt.Errorf("logging in to Arena: %w", err)
	}
	c.quota.observe(a.Header, c.now())
	if !a.OK() {
		e := c.apiError(a)
		if a.Status == http.StatusBadRequest || a.Status == http.StatusUnauthorized || a.Status == http.StatusForbidden {
			// Wrong credentials or workspace, or API access not enabled:
			// a person must act, but the password may be mid-rotation.
			return Session{}, fault.Transient(fmt.Errorf("%w (check ARENA_EMAIL, ARENA_PASSWORD and ARENA_WORKSPACE_ID): %w", errLoginRefused, e), 0)
		}
		return Session{}, fmt.Errorf("logging in to Arena: %w", c.failure(a, e))
	}
	var w WireLoginAnswer
	if err := json.Unmarshal(a.Body, &w); err != nil || w.SessionID == "" {
		return Session{}, fault.Transient(errors.New("logging in to Arena: the answer holds no arena_session_id"), 0)
	}
	return Session{ID: w.SessionID, WorkspaceID: strconv.FormatInt(w.WorkspaceID, 10)}, nil
}

// request is one API call.
type request struct {
	method string
	path   string
	query  url.Values
	body   any
	what   string // "getting item X", for errors
}

// do sends r with the shared session, logging in once more on a 401 (the
// session expired, or another login ended it), and decodes a 2xx answer
// into out. It refuses to call when the day's quota is down to the
// reserve, and stops on a 429: both are ErrQuotaExhausted.
func (c *Client) do(ctx context.Context, r request, out any) error {
	if err := c.quota.check(c.now(), c.cfg.Reserve); err != nil {
		return fmt.Errorf("%s: %w", r.what, err)
	}
	s, err := c.session(ctx, "")
	if err != nil {
		return fmt.Errorf("%s: %w", r.what, err)
	}
	a, err := c.send(ctx, s, r)
	if err != nil {
		return fmt.Errorf("%s: %w", r.what, err)
	}
	if a.Status == http.StatusUnauthorized {
		c.forget(s.ID)
		if s, err = c.session(ctx, s.ID); err != nil {
			return fmt.Errorf("%s: %w", r.what, err)
		}
		if a, err = c.send(ctx, s, r); err != nil {
			return fmt.Errorf("%s: %w", r.what, err)
		}
		if a.Status == http.StatusUnauthorized {
			c.forget(s.ID)
			return fmt.Errorf("%s: %w", r.what, c.failure(a, fmt.Errorf("a fresh Arena session was refused too: %w", c.apiError(a))))
		}
	}
	if a.Status == http.StatusTooManyRequests {
		return fmt.Errorf("%s: %w", r.what, c.quota.exhausted(a.Header, c.now()))
	}
	if !a.OK() {
		return fmt.Errorf("%s: %w", r.what, c.failure(a, c.apiError(a)))
	}
	c.used(ctx, s)
	if out == nil {
		return nil
	}
	if a.Cut {
		return fault.Transient(fmt.Errorf("%s: Arena's answer was cut off", r.what), 0)
	}
	if err := json.Unmarshal(a.Body, out); err != nil {
		return fault.Transient(fmt.Errorf("%s: Arena's answer does not decode: %w", r.what, err), 0)
	}
	return nil
}

func (c *Client) send(ctx context.Context, s Session, r request) (partnerhttp.Answer, error) {
	path := r.path
	if len(r.query) > 0 {
		path += "?" + r.query.Encode()
	}
	// Arena answers 415 to a request without this content type, whatever
	// its method.
	h := http.Header{HeaderSession: {s.ID}, "Content-Type": {"application/json"}}
	a, err := c.http.Do(ctx, partnerhttp.Request{Method: r.method, Path: path, Body: r.body, Header: h})
	if err != nil {
		return a, err
	}
	c.quota.observe(a.Header, c.now())
	return a, nil
}

// Error is an Arena answer other than 2xx, in the chain of the client's errors.
type Error struct {
	Status  int
	Code    int
	Message string
}

func (e *Error) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("Arena answered %d (code %d): %s", e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("Arena answered %d: %s", e.Status, e.Message)
}

func (c *Client) apiError(a partnerhttp.Answer) *Error {
	e := &Error{Status: a.Status}
	var w WireError
	if json.Unmarshal(a.Body, &w) == nil && len(w.Errors) > 0 {
		e.Code, e.Message = w.Errors[0].Code, c.http.Clean(w.Errors[0].Message)
	} else {
		e.Message = c.http.Clean(string(a.Body))
	}
	return e
}

// failure classifies a failed answer: 404 is permanent (ErrNotFound in the
// chain), the rest as partnerhttp does (5xx, 408 transient; 4xx permanent).
func (c *Client) failure(a partnerhttp.Answer, e error) error {
	if a.Status == http.StatusNotFound {
		return fault.Permanent(errors.Join(e, ErrNotFound))
	}
	return c.http.Failure(a, e)
}

// ErrNotFound means Arena has no such object.
var ErrNotFound = errors.New("not found in Arena")
