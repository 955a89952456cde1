package xb

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

	"github.com/popsockets/integration/shared/fault"
)

// DefaultTimeout bounds each call when Config.Timeout is zero.
const DefaultTimeout = 20 * time.Second

// maxAnswer is how much of an answer the client reads.
const maxAnswer = 1 << 20

// Config configures a Client.
type Config struct {
	// BaseURL is XB's API root (app setting XB_BASE_URL); a path prefix is kept.
	BaseURL string
	// APIKey is the API key (app setting XB_API_KEY).
	APIKey string
	// Timeout bounds each call (default 20 s); keep it under the function timeout.
	Timeout time.Duration
	// HTTPClient sends the requests (default: a new client; deadlines come from Timeout).
	HTTPClient *http.Client
	// Now is the clock, for Retry-After dates (default time.Now).
	Now func() time.Time
}

// Client calls XB. It is safe for concurrent use.
type Client struct {
	base    string
	key     string
	timeout time.Duration
	hc      *http.Client
	now     func() time.Time
}

// New checks cfg and returns a client. It does no I/O.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.BaseURL) == "" {
		return nil, errors.New("XB_BASE_URL is required")
	}
	u, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("XB_BASE_URL must be an absolute http(s) URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("XB_BASE_URL must not have a query or a fragment")
	}
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, errors.New("XB_API_KEY is required")
	}
	if cfg.Timeout < 0 {
		return nil, errors.New("XB timeout must not be negative")
	}
	c := &Client{
		base:    strings.TrimRight(u.String(), "/"),
		key:     strings.TrimSpace(cfg.APIKey),
		timeout: cfg.Timeout,
		hc:      cfg.HTTPClient,
		now:     cfg.Now,
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

// CreateOrder creates the order at XB, once per idempotencyKey. A replay of
// the key, or an order number XB already holds, returns Duplicate=true and
// no error.
func (c *Client) CreateOrder(ctx context.Context, o Order, idempotencyKey string) (Created, error) {
	if o.OrderNo == "" {
		return Created{}, fault.Permanentf("creating XB order: no order number")
	}
	if err := check(o, idempotencyKey); err != nil {
		return Created{}, fmt.Errorf("creating XB order %s: %w", o.OrderNo, err)
	}
	created, err := c.create(ctx, o, idempotencyKey)
	if err != nil {
		return Created{}, fmt.Errorf("creating XB order %s: %w", o.OrderNo, err)
	}
	return created, nil
}

// check refuses an order XB could never accept, before any I/O. Its
// messages name fields, never their personal values.
func check(o Order, key string) error {
	var missing []string
	if strings.TrimSpace(key) == "" {
		missing = append(missing, "idempotency key")
	}
	t := o.ShipTo
	for _, f := range []struct{ name, value string }{
		{"ship-to name", t.Name}, {"ship-to line1", t.Line1}, {"ship-to city", t.City},
		{"ship-to country", t.Country}, {"ship method", o.ShipMethod},
	} {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(o.Lines) == 0 {
		missing = append(missing, "lines")
	}
	for i, l := range o.Lines {
		if l.SKU == "" || l.Qty <= 0 {
			missing = append(missing, fmt.Sprintf("line %d SKU or quantity", i+1))
		}
	}
	if len(missing) > 0 {
		return fault.Permanentf("order has no %s", strings.Join(missing, ", "))
	}
	return nil
}

func (c *Client) create(ctx context.Context, o Order, key string) (Created, error) {
	body, err := json.Marshal(ToWire(o))
	if err != nil {
		return Created{}, fault.Permanent(fmt.Errorf("encoding order: %w", err))
	}
	callCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(callCtx, http.MethodPost, c.base+PathOrders, bytes.NewReader(body))
	if err != nil {
		return Created{}, fault.Permanent(fmt.Errorf("building request: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(HeaderAPIKey, c.key)
	req.Header.Set(HeaderIdempotencyKey, key)
	resp, err := c.hc.Do(req)
	if err != nil {
		return Created{}, fault.Unreachable(ctx, "XB", err, c.timeout)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil && resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return Created{}, fault.Unreachable(ctx, "XB", err, c.timeout)
	}

	switch status := resp.StatusCode; {
	case status >= 200 && status < 300:
		var w WireCreated
		_ = json.Unmarshal(answer, &w) // the status decides; the body only names the order
		return Created{OrderNo: orDefault(w.OrderNo, o.OrderNo), Duplicate: status == http.StatusOK}, nil
	default:
		var w WireError
		_ = json.Unmarshal(answer, &w)
		if status == http.StatusConflict && (w.Code == CodeOrderExists || w.Code == "") {
			return Created{OrderNo: orDefault(w.OrderNo, o.OrderNo), Duplicate: true}, nil
		}
		p := personal(o)
		e := &Error{Status: status, Code: oneLine(w.Code, p...), Message: oneLine(w.Message, p...)}
		if len(w.Details) > 0 {
			e.Message = oneLine(strings.TrimSpace(e.Message+" ("+strings.Join(w.Details, "; ")+")"), p...)
		}
		return Created{}, classifyFailure(e, resp.Header, c.now())
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
