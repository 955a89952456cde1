package oms

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

// SourceOrder is an order another system took (Jackyun) for OMS to create.
type SourceOrder struct {
	// Source is where the order comes from (SourceJackyun).
	Source string
	// SourceOrderID is the order's id there (Jackyun's tradeNo); with
	// Source, OMS's idempotency key for the order.
	SourceOrderID string
	// OrderNumber is the number shown to people (Jackyun's orderNo).
	OrderNumber string
	Shop        string
	// Warehouse is OMS's warehouse code (KH for the China warehouse).
	Warehouse string
	Currency  string
	OrderedAt time.Time
	Lines     []SourceLine
}

// SourceLine is one line of a SourceOrder.
type SourceLine struct {
	LineNo         int
	SKU            string
	Quantity       int
	UnitPriceMinor int64
	Print          bool
}

// CreatedOrder is the OMS order for a SourceOrder.
type CreatedOrder struct {
	OrderID string
	// Duplicate is true when OMS already had it: this call made nothing.
	Duplicate bool
}

// CreateOrder creates an order from another source, once: OMS is
// idempotent on source and source order id, and the call carries
// idempotencyKey as well. An order OMS already has is a success with
// Duplicate set. A refusal of the order (422) is permanent.
func (c *Client) CreateOrder(ctx context.Context, o SourceOrder, idempotencyKey string) (CreatedOrder, error) {
	if o.Source == "" || strings.TrimSpace(o.SourceOrderID) == "" {
		return CreatedOrder{}, fault.Permanentf("creating an OMS order: no source or source order id")
	}
	what := fmt.Sprintf("creating the OMS order for %s %s", o.Source, o.SourceOrderID)
	if len(o.Lines) == 0 {
		return CreatedOrder{}, fault.Permanentf("%s: no lines", what)
	}
	body := WireCreateOrder{Source: o.Source, SourceOrderID: o.SourceOrderID, OrderNumber: o.OrderNumber, Shop: o.Shop,
		Warehouse: o.Warehouse, Currency: o.Currency}
	if !o.OrderedAt.IsZero() {
		at := o.OrderedAt.UTC()
		body.OrderedAt = &at
	}
	for _, l := range o.Lines {
		if l.SKU == "" || l.Quantity <= 0 {
			return CreatedOrder{}, fault.Permanentf("%s: line %d has no SKU or quantity", what, l.LineNo)
		}
		body.Lines = append(body.Lines, WireOrderLine(l))
	}
	if err := checkKey(idempotencyKey); err != nil {
		return CreatedOrder{}, fmt.Errorf("%s: %w", what, err)
	}
	a, err := c.http.Do(ctx, partnerhttp.Request{Method: http.MethodPost, Path: PathOrders, Body: body, IdempotencyKey: idempotencyKey})
	if err != nil {
		return CreatedOrder{}, fmt.Errorf("%s: %w", what, err)
	}
	var w WireCreatedOrder
	_ = json.Unmarshal(a.Body, &w)
	switch {
	case a.OK() && w.OrderID != "":
		return CreatedOrder{OrderID: w.OrderID, Duplicate: !w.Created}, nil
	case a.OK():
		return CreatedOrder{}, fault.Transient(fmt.Errorf("%s: OMS answered %d without an order id", what, a.Status), 0)
	case a.Status == http.StatusConflict && w.Code == CodeDuplicateOrder && w.OrderID != "":
		return CreatedOrder{OrderID: w.OrderID, Duplicate: true}, nil
	}
	return CreatedOrder{}, fmt.Errorf("%s: %w", what, c.failed(a))
}

// failed classifies a failed answer of the calls that move no state.
func (c *Client) failed(a partnerhttp.Answer) error {
	var w WireError
	_ = json.Unmarshal(a.Body, &w)
	e := &Error{Status: a.Status, Code: c.http.Clean(w.Code), Message: c.http.Clean(w.Message), OrderID: c.http.Clean(w.OrderID)}
	if len(w.Details) > 0 {
		e.Message = c.http.Clean(e.Message + ": " + strings.Join(w.Details, "; "))
	}
	return c.http.Failure(a, e)
}
