package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/partnerhttp"
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
	hc       *partnerhttp.Client
	limiter  *rate.Limiter
	maxBytes int
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
	c := &Client{maxBytes: cfg.MaxCardBytes}
	// The whole URL is the credential; any part of its query may be.
	secrets := []string{raw, u.Path, u.RawQuery}
	for _, vs := range u.Query() {
		secrets = append(secrets, vs...)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	c.hc = partnerhttp.New(partnerhttp.Config{
		Partner:           "Teams",
		BaseURL:           raw,
		CredentialSetting: "TEAMS_WORKFLOW_URL",
		Secrets:           secrets,
		Timeout:           cfg.Timeout,
		HTTPClient:        cfg.HTTPClient,
		Now:               cfg.Now,
	})
	perSecond := cfg.RatePerSecond
	if perSecond == 0 {
		perSecond = DefaultRatePerSecond
	}
	c.limiter = rate.NewLimiter(rate.Limit(perSecond), 1)
	if c.maxBytes == 0 {
		c.maxBytes = DefaultMaxCardBytes
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
	a, err := c.hc.Do(ctx, partnerhttp.Request{Method: http.MethodPost, Body: body})
	if err != nil {
		return err
	}
	if a.OK() {
		return nil
	}
	detail := c.detail(a.Body)
	var e error
	switch a.Status {
	case http.StatusTooManyRequests:
		e = fmt.Errorf("rate limit hit (HTTP 429)%s", detail)
	case http.StatusRequestEntityTooLarge:
		e = fmt.Errorf("card refused as too large (HTTP 413, %d bytes)%s", len(body), detail)
	default:
		e = fmt.Errorf("workflow answered %d%s", a.Status, detail)
	}
	// 401/403 are "credentials refused", 429, 408 and 5xx transient with
	// Retry-After; 413 and the rest of 4xx are permanent.
	return c.hc.Failure(a, e)
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
	return ": " + c.hc.Clean(strings.Trim(e.Error.Code+": "+e.Error.Message, ": "))
}
