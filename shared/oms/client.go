package oms

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
	// BaseURL is OMS's API root (app setting OMS_BASE_URL), such as
	// https://oms.popsockets.com; a path prefix is kept.
	BaseURL string
	// Token is the API token (app setting OMS_API_TOKEN), sent as a bearer token.
	Token string
	// Timeout bounds each call (default 20 s); keep it under the function timeout.
	Timeout time.Duration
	// HTTPClient sends the requests (default: a new client; deadlines come from Timeout).
	HTTPClient *http.Client
	// Now is the clock, for Retry-After dates (default time.Now).
	Now func() time.Time
}

// Client calls OMS. It is safe for concurrent use.
type Client struct {
	base    string
	token   string
	timeout time.Duration
	hc      *http.Client
	now     func() time.Time
}

// New checks cfg and returns a client. It does no I/O.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.BaseURL) == "" {
		return nil, errors.New("OMS_BASE_URL is required")
	}
	u, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("OMS_BASE_URL must be an absolute http(s) URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("OMS_BASE_URL must not have a query or a fragment")
	}
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("OMS_API_TOKEN is required")
	}
	if cfg.Timeout < 0 {
		return nil, errors.New("OMS timeout must not be negative")
	}
	c := &Client{
		base:    strings.TrimRight(u.String(), "/"),
		token:   strings.TrimSpace(cfg.Token),
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

// ReleaseFromNAV moves an order from PENDING_NAV_RELEASE to
// RELEASED_FROM_NAV once NAV has allocated it. An order already released,
// or further on, is a success.
func (c *Client) ReleaseFromNAV(ctx context.Context, orderID, idempotencyKey string) error {
	if orderID == "" {
		return fault.Permanentf("releasing OMS order from NAV: no order id")
	}
	if err := checkKey(idempotencyKey); err != nil {
		return fmt.Errorf("releasing OMS order %s from NAV: %w", orderID, err)
	}
	body := WireStatusChange{Status: StateReleasedFromNAV, ExpectedStatus: StatePendingNAVRelease}
	if err := c.call(ctx, http.MethodPatch, OrderStatusPath(orderID), idempotencyKey, body, StateReleasedFromNAV); err != nil {
		return fmt.Errorf("releasing OMS order %s from NAV: %w", orderID, err)
	}
	return nil
}

// ConfirmFulfillment tells OMS that the warehouse accepted the order: from
// WAITING_FULFILLMENT_CONFIRMATION to EXPORTED_TO_TPL. An order already
// exported, or shipped, is a success.
func (c *Client) ConfirmFulfillment(ctx context.Context, conf Confirmation, idempotencyKey string) error {
	if conf.OrderID == "" {
		return fault.Permanentf("confirming OMS fulfilment: no order id")
	}
	if conf.TPL == "" {
		return fault.Permanentf("confirming OMS fulfilment of order %s: no warehouse (tpl)", conf.OrderID)
	}
	if err := checkKey(idempotencyKey); err != nil {
		return fmt.Errorf("confirming OMS fulfilment of order %s: %w", conf.OrderID, err)
	}
	if err := c.call(ctx, http.MethodPost, PathCirroConfirmation, idempotencyKey, wireConfirmation(conf), StateExportedToTPL); err != nil {
		return fmt.Errorf("confirming OMS fulfilment of order %s: %w", conf.OrderID, err)
	}
	return nil
}

// FulfillOrders tells OMS that orders shipped, with tracking: to SHIPPED.
// OMS applies a batch whole or not at all; orders already shipped are
// skipped, and a batch of only those is a success.
func (c *Client) FulfillOrders(ctx context.Context, fs []Fulfillment, idempotencyKey string) error {
	if len(fs) == 0 {
		return fault.Permanentf("sending OMS shipments: no orders")
	}
	ids := make([]string, 0, len(fs))
	for i, f := range fs {
		switch {
		case f.OrderID == "":
			return fault.Permanentf("sending OMS shipments: shipment %d has no order id", i+1)
		case f.Carrier == "":
			return fault.Permanentf("sending OMS shipment of order %s: no carrier", f.OrderID)
		case len(f.TrackingNumbers) == 0 || hasEmpty(f.TrackingNumbers):
			return fault.Permanentf("sending OMS shipment of order %s: no tracking number, or an empty one", f.OrderID)
		case f.ShippedAt.IsZero():
			return fault.Permanentf("sending OMS shipment of order %s: no ship date", f.OrderID)
		}
		for _, l := range f.Lines {
			if l.SKU == "" || l.Quantity <= 0 {
				return fault.Permanentf("sending OMS shipment of order %s: a line without SKU or quantity", f.OrderID)
			}
		}
		ids = append(ids, f.OrderID)
	}
	what := "OMS shipment of order " + ids[0]
	if len(ids) > 1 {
		what = fmt.Sprintf("OMS shipments of %d orders (%s...)", len(ids), ids[0])
	}
	if err := checkKey(idempotencyKey); err != nil {
		return fmt.Errorf("sending %s: %w", what, err)
	}
	if err := c.call(ctx, http.MethodPost, PathFulfillOrders, idempotencyKey, wireFulfillOrders(fs), StateShipped); err != nil {
		return fmt.Errorf("sending %s: %w", what, err)
	}
	return nil
}

func checkKey(key string) error {
	if strings.TrimSpace(key) == "" {
		return fault.Permanentf("no idempotency key")
	}
	return nil
}

func hasEmpty(ss []string) bool {
	for _, s := range ss {
		if strings.TrimSpace(s) == "" {
			return true
		}
	}
	return false
}

// call sends one request and classifies the answer; target is the state
// the call moves the order to.
func (c *Client) call(ctx context.Context, method, path, key string, payload any, target string) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return fault.Permanent(fmt.Errorf("encoding request: %w", err))
	}
	callCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(callCtx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return fault.Permanent(fmt.Errorf("building request: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(HeaderAuthorization, BearerPrefix+c.token)
	req.Header.Set(HeaderIdempotencyKey, key)
	resp, err := c.hc.Do(req)
	if err != nil {
		return fault.Unreachable(ctx, "OMS", err, c.timeout)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil && (resp.StatusCode < 200 || resp.StatusCode > 299) {
		// A success whose body was cut is still a success; a failure must
		// be read to be classified.
		return fault.Unreachable(ctx, "OMS", err, c.timeout)
	}
	return classify(resp.StatusCode, resp.Header, answer, target, c.now())
}
