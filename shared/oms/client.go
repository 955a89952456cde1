package oms

import (
	"context"
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
	http *partnerhttp.Client
}

// New checks cfg and returns a client. It does no I/O.
func New(cfg Config) (*Client, error) {
	c, err := partnerhttp.NewCredentialed(partnerhttp.Credentialed{
		Partner: "OMS", BaseSetting: "OMS_BASE_URL", BaseURL: cfg.BaseURL,
		CredentialSetting: "OMS_API_TOKEN", Credential: cfg.Token, Header: HeaderAuthorization, Prefix: BearerPrefix,
		Timeout: cfg.Timeout, HTTPClient: cfg.HTTPClient, Now: cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	return &Client{http: c}, nil
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
	a, err := c.http.Do(ctx, partnerhttp.Request{Method: method, Path: path, Body: payload, IdempotencyKey: key})
	if err != nil {
		return err
	}
	return c.classify(a, target)
}
