package partnerhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/popsockets/integration/shared/audit"
	"github.com/popsockets/integration/shared/fault"
)

// MaxAnswer is how much of an answer Do reads.
const MaxAnswer = 1 << 20

// Headers every partner call may carry.
const (
	HeaderAuthorization  = "Authorization"
	HeaderIdempotencyKey = "Idempotency-Key"
	// BearerPrefix starts an Authorization value that carries a token.
	BearerPrefix = "Bearer "
)

// BaseURL checks the value of an app setting that holds a partner's API
// root: an absolute http(s) URL with no query or fragment; a path prefix
// is kept. It returns the URL without its trailing slash. Its errors name
// the setting, never repeat the value.
func BaseURL(setting, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", fmt.Errorf("%s is not set", setting)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s is not an absolute http(s) URL", setting)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fmt.Errorf("%s must not have a query or a fragment", setting)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// Config configures a Client. Partner and BaseURL are required; the
// partner's package has checked its settings.
type Config struct {
	// Partner names the partner in errors ("OMS").
	Partner string
	// BaseURL is prefixed to every Request.Path; for a partner reached at
	// one URL (a webhook), it is that URL and the path is empty.
	BaseURL string
	// Header is sent with every request, such as the credential.
	Header http.Header
	// CredentialSetting names the app setting of the credential, for
	// "credentials refused" errors ("OMS_API_TOKEN").
	CredentialSetting string
	// Secrets are values no error may hold (the credential, the URL of a
	// webhook); Clean replaces them. Values under three characters are
	// ignored: they would match ordinary text.
	Secrets []string
	// Timeout bounds each request; zero leaves it to ctx.
	Timeout time.Duration
	// HTTPClient sends the requests (default: a new http.Client).
	HTTPClient *http.Client
	// Now is the clock, for Retry-After dates (default time.Now).
	Now func() time.Time
}

// Client sends requests to one partner. It is safe for concurrent use.
type Client struct {
	cfg Config
}

// New returns a Client for cfg. It does no I/O.
func New(cfg Config) *Client {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Header = cfg.Header.Clone()
	return &Client{cfg: cfg}
}

// Now reads the client's clock.
func (c *Client) Now() time.Time { return c.cfg.Now() }

// Request is one call.
type Request struct {
	Method string
	// Path is appended to Config.BaseURL; it is the caller's, escaped.
	Path string
	// Body is sent as JSON: a []byte or json.RawMessage as it is, anything
	// else encoded; nil sends no body.
	Body any
	// IdempotencyKey, when set, is sent as Idempotency-Key.
	IdempotencyKey string
	// Header is added to Config.Header for this request (a fresh token).
	Header http.Header
}

// Answer is what the partner answered.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
	// Cut is true when the body could not be read whole (over MaxAnswer,
	// or the connection broke): Body holds what was read.
	Cut bool
}

// OK reports whether the status is 2xx.
func (a Answer) OK() bool { return a.Status >= 200 && a.Status <= 299 }

// Do sends r and reads the answer. Its error is classified: permanent when
// the request cannot be built, transient when no answer came or a failed
// answer could not be read. An answer with any status is not an error.
func (c *Client) Do(ctx context.Context, r Request) (Answer, error) {
	var body io.Reader
	switch b := r.Body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case json.RawMessage:
		body = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			return Answer{}, fault.Permanent(fmt.Errorf("encoding the %s request: %w", c.cfg.Partner, err))
		}
		body = bytes.NewReader(enc)
	}
	callCtx := ctx
	if c.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		callCtx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(callCtx, r.Method, c.cfg.BaseURL+r.Path, body)
	if err != nil {
		// The error would repeat the URL, which may hold a secret.
		return Answer{}, fault.Permanent(fmt.Errorf("building the %s request failed", c.cfg.Partner))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	maps.Copy(req.Header, c.cfg.Header.Clone())
	maps.Copy(req.Header, r.Header.Clone())
	if r.IdempotencyKey != "" {
		req.Header.Set(HeaderIdempotencyKey, r.IdempotencyKey)
	}
	start := c.cfg.Now()
	sent := int64(0)
	if body != nil {
		sent = int64(body.(*bytes.Reader).Len())
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		err = fault.Unreachable(ctx, c.cfg.Partner, err, c.cfg.Timeout)
		audit.Call(ctx, c.cfg.Partner, r.Method, r.Path, 0, sent, c.cfg.Now().Sub(start), err)
		return Answer{}, err
	}
	defer resp.Body.Close()
	a := Answer{Status: resp.StatusCode, Header: resp.Header}
	a.Body, err = io.ReadAll(io.LimitReader(resp.Body, MaxAnswer+1))
	audit.Call(ctx, c.cfg.Partner, r.Method, r.Path, a.Status, sent+int64(len(a.Body)), c.cfg.Now().Sub(start), err)
	if len(a.Body) > MaxAnswer {
		a.Body, a.Cut = a.Body[:MaxAnswer], true
	}
	if err != nil {
		if !a.OK() {
			// A failure must be read to be classified.
			return Answer{}, fault.Unreachable(ctx, c.cfg.Partner, err, c.cfg.Timeout)
		}
		a.Cut = true
	}
	return a, nil
}

// Failure classifies a non-2xx answer; e describes it (the partner's own
// error type, with a Clean message) and stays in the chain.
func (c *Client) Failure(a Answer, e error) error {
	switch s := a.Status; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return fault.Transient(fmt.Errorf("%s credentials refused (HTTP %d; %s may be mid-rotation): %w",
			c.cfg.Partner, s, c.cfg.CredentialSetting, e), 0)
	case s == http.StatusTooManyRequests || s == http.StatusRequestTimeout || s >= 500:
		return fault.Transient(e, fault.RetryAfterHeader(a.Header, c.cfg.Now()))
	default:
		// 400, 404, 409, 422 and the rest of 4xx will be the same on
		// every retry; so will a 1xx or 3xx, which a JSON API never sends.
		return fault.Permanent(e)
	}
}

// Clean is the package function Clean with the client's secrets added.
func (c *Client) Clean(msg string, redact ...string) string {
	return Clean(msg, append(redact, c.cfg.Secrets...)...)
}

// maxMessage is how much of a partner's message an error keeps, in runes.
const maxMessage = 200

// Redacted replaces a value that must not reach an error.
const Redacted = "[REDACTED]"

// Clean cuts a partner's message to one line of at most 200 printable
// characters, after replacing every value in redact (see Redact).
func Clean(msg string, redact ...string) string {
	msg = Redact(msg, redact...)
	msg = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(msg))
	if r := []rune(msg); len(r) > maxMessage {
		msg = string(r[:maxMessage]) + "..."
	}
	return msg
}

// Redact replaces every occurrence of each value of three characters or
// more in msg, whatever its case, with [REDACTED]. Longer values are
// replaced first, so a value inside another leaves no part of it behind.
func Redact(msg string, values ...string) string {
	vs := make([]string, 0, len(values))
	for _, v := range values {
		if v = strings.TrimSpace(v); len(v) >= 3 {
			vs = append(vs, v)
		}
	}
	// Longest first: "Bearer abc" before "abc".
	slices.SortStableFunc(vs, func(a, b string) int { return len(b) - len(a) })
	for _, v := range vs {
		msg = replaceFold(msg, v)
	}
	return msg
}

// replaceFold replaces v in msg, ignoring case where case folding keeps
// byte lengths, and exactly otherwise.
func replaceFold(msg, v string) string {
	lower, lv := strings.ToLower(msg), strings.ToLower(v)
	if len(lower) != len(msg) || len(lv) != len(v) {
		return strings.ReplaceAll(msg, v, Redacted)
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, lv)
		if i < 0 {
			b.WriteString(msg)
			return b.String()
		}
		b.WriteString(msg[:i])
		b.WriteString(Redacted)
		msg, lower = msg[i+len(v):], lower[i+len(v):]
	}
}
