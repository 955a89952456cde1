package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"golang.org/x/time/rate"

	"github.com/popsockets/integration/shared/fault"
)

// Defaults.
const (
	DefaultRatePerSecond = 4
	DefaultMaxCardBytes  = 20_000
	DefaultTimeout       = 10 * time.Second
	// LimitBytes is about where Teams refuses a message (413).
	LimitBytes = 28 * 1024
)

// Config configures a Client.
type Config struct {
	// WorkflowURL is the Workflows trigger URL (app setting
	// TEAMS_WORKFLOW_URL). The whole URL is a secret.
	WorkflowURL string
	// RatePerSecond limits posts (default 4, Teams's documented limit).
	RatePerSecond float64
	// MaxCardBytes bounds the request body (default 20 000; at most LimitBytes).
	MaxCardBytes int
	// Timeout bounds each post (default 10 s).
	Timeout time.Duration
	// HTTPClient sends the requests (default: a new client; deadlines come from Timeout).
	HTTPClient *http.Client
	// Now is the clock, for Retry-After dates (default time.Now).
	Now func() time.Time
}

// Client posts alerts. It is safe for concurrent use.
type Client struct {
	url      string
	secrets  []string // what must never appear in an error
	limiter  *rate.Limiter
	maxBytes int
	timeout  time.Duration
	hc       *http.Client
	now      func() time.Time
}

// New checks cfg and returns a client. It does no I/O. Its errors never
// repeat the URL.
func New(cfg Config) (*Client, error) {
	raw := strings.TrimSpace(cfg.WorkflowURL)
	if raw == "" {
		return nil, errors.New("TEAMS_WORKFLOW_URL is required")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("TEAMS_WORKFLOW_URL must be an absolute http(s) URL")
	}
	switch {
	case cfg.RatePerSecond < 0:
		return nil, errors.New("rate per second for Teams must not be negative")
	case cfg.MaxCardBytes != 0 && (cfg.MaxCardBytes < MinCardBytes || cfg.MaxCardBytes > LimitBytes):
		return nil, fmt.Errorf("card limit for Teams must be between %d and %d bytes", MinCardBytes, LimitBytes)
	case cfg.Timeout < 0:
		return nil, errors.New("timeout for Teams must not be negative")
	}
	c := &Client{
		url:      raw,
		maxBytes: cfg.MaxCardBytes,
		timeout:  cfg.Timeout,
		hc:       cfg.HTTPClient,
		now:      cfg.Now,
	}
	c.secrets = append(c.secrets, raw, u.RawQuery)
	for _, vs := range u.Query() {
		c.secrets = append(c.secrets, vs...)
	}
	perSecond := cfg.RatePerSecond
	if perSecond == 0 {
		perSecond = DefaultRatePerSecond
	}
	c.limiter = rate.NewLimiter(rate.Limit(perSecond), 1)
	if c.maxBytes == 0 {
		c.maxBytes = DefaultMaxCardBytes
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.hc == nil {
		c.hc = &http.Client{}
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Post sends one alert as an Adaptive Card, waiting its turn under the
// rate limit.
func (c *Client) Post(ctx context.Context, a Alert) error {
	body, err := Payload(a, c.maxBytes)
	if err != nil {
		return fault.Permanent(fmt.Errorf("building Teams alert: %w", err))
	}
	if err := c.limiter.Wait(ctx); err != nil {
		return fault.Transient(fmt.Errorf("waiting for the Teams rate limit: %w", err), 0)
	}
	if err := c.send(ctx, body); err != nil {
		return fmt.Errorf("posting Teams alert: %w", err)
	}
	return nil
}

func (c *Client) send(ctx context.Context, body []byte) error {
	callCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(callCtx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return fault.Permanent(errors.New("building the request to the workflow URL failed"))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL
		}
		msg := c.scrub(err.Error())
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return fault.Transient(fmt.Errorf("no answer within %s: %s", c.timeout, msg), 0)
		}
		if ctx.Err() != nil {
			return fault.Transient(fmt.Errorf("reaching the workflow: %s: %w", msg, ctx.Err()), 0)
		}
		return fault.Transient(fmt.Errorf("reaching the workflow: %s", msg), 0)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	status := resp.StatusCode
	if status >= 200 && status < 300 {
		return nil
	}
	detail := c.detail(answer)
	switch {
	case status == http.StatusTooManyRequests:
		return fault.Transient(fmt.Errorf("rate limit hit (HTTP 429)%s", detail), fault.RetryAfterHeader(resp.Header, c.now()))
	case status == http.StatusRequestEntityTooLarge:
		return fault.Permanent(fmt.Errorf("card refused as too large (HTTP 413, %d bytes)%s", len(body), detail))
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fault.Transient(fmt.Errorf("credentials refused (HTTP %d; TEAMS_WORKFLOW_URL may be mid-rotation)%s", status, detail), 0)
	case status == http.StatusRequestTimeout || status >= 500:
		return fault.Transient(fmt.Errorf("workflow answered %d%s", status, detail), fault.RetryAfterHeader(resp.Header, c.now()))
	default:
		return fault.Permanent(fmt.Errorf("workflow answered %d%s", status, detail))
	}
}

// detail is ": <code>: <message>" from a Workflows error body
// ({"error":{"code","message"}}), scrubbed and cut short, or "".
func (c *Client) detail(body []byte) string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || (e.Error.Code == "" && e.Error.Message == "") {
		return ""
	}
	s := strings.Trim(e.Error.Code+": "+e.Error.Message, ": ")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, c.scrub(s))
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "..."
	}
	return ": " + s
}

// scrub removes the URL and its query values from s.
func (c *Client) scrub(s string) string {
	for _, secret := range c.secrets {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, "[REDACTED]")
		}
	}
	return s
}
