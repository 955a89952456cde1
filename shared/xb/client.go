package xb

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/partnerhttp"
)

// DefaultTimeout bounds each call when Config.Timeout is zero.
const DefaultTimeout = partnerhttp.DefaultTimeout

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
	http *partnerhttp.Client
}

// New checks cfg and returns a client. It does no I/O.
func New(cfg Config) (*Client, error) {
	c, err := partnerhttp.NewCredentialed(partnerhttp.Credentialed{
		Partner: "XB", BaseSetting: "XB_BASE_URL", BaseURL: cfg.BaseURL,
		CredentialSetting: "XB_API_KEY", Credential: cfg.APIKey, Header: HeaderAPIKey, Prefix: "",
		Timeout: cfg.Timeout, HTTPClient: cfg.HTTPClient, Now: cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	return &Client{http: c}, nil
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
	a, err := c.http.Do(ctx, partnerhttp.Request{Method: http.MethodPost, Path: PathOrders, Body: ToWire(o), IdempotencyKey: key})
	if err != nil {
		return Created{}, err
	}
	if a.OK() {
		var w WireCreated
		_ = json.Unmarshal(a.Body, &w) // the status decides; the body only names the order
		return Created{OrderNo: orDefault(w.OrderNo, o.OrderNo), Duplicate: a.Status == http.StatusOK}, nil
	}
	var w WireError
	_ = json.Unmarshal(a.Body, &w)
	if a.Status == http.StatusConflict && (w.Code == CodeOrderExists || w.Code == "") {
		return Created{OrderNo: orDefault(w.OrderNo, o.OrderNo), Duplicate: true}, nil
	}
	// 401/403, 429, 408 and 5xx are transient; 400, 422, another 409 and
	// the rest of 4xx are permanent.
	return Created{}, c.http.Failure(a, c.apiError(a.Status, w, o))
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
