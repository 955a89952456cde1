package fulfillment

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/xb"
)

// XBClient is what the flow asks of XB.
type XBClient interface {
	CreateOrder(ctx context.Context, o xb.Order, idempotencyKey string) (xb.Created, error)
}

// XBFulfill is the xb-fulfill function.
type XBFulfill struct {
	Store       *store.Store
	XB          XBClient
	Keyring     *oms.Keyring
	ShipMethods ShipMethods
}

// Handle creates the order at XB once: the Idempotency-Key derives from the
// order, so XB answers a retry with the order it already made.
func (f *XBFulfill) Handle(ctx context.Context, m *azfunc.Message) error {
	var p Requested
	if _, err := decodeMessage(m, &p); err != nil {
		return err
	}
	orderID := p.Request.OrderID
	azfunc.SetCorrelationID(ctx, orderID)
	if p.TPL != "xb" {
		return fault.Permanentf("fulfilment request of %s is for %q, not xb: check the subscription filter", orderID, p.TPL)
	}
	var customer oms.Customer
	if err := f.Keyring.Open(orderID, p.Request.Sealed, &customer); err != nil {
		return err
	}
	order, err := XBOrder(p, customer, f.ShipMethods)
	if err != nil {
		return err
	}
	key := orderID + "/xb/order-create"
	inv := azfunc.Info(ctx)
	claim, err := f.Store.Claim(ctx, inv.Function, m.MessageID, inv.ID, claimLease)
	if err != nil {
		return err
	}
	// XB keeps the order under our order number and answers a repeated
	// Idempotency-Key with the order it made, so a retaken claim simply
	// asks again.
	created, err := f.XB.CreateOrder(ctx, order, claim.IdempotencyKey(key))
	if err != nil {
		return errors.Join(fmt.Errorf("creating xb order for %s: %w", orderID, err), releaseClaim(ctx, claim, err))
	}
	detail := "xb order " + created.OrderNo
	if created.Duplicate {
		detail += " (xb already had it)"
	}
	err = claim.Record(ctx, func(tx pgx.Tx) error {
		return advance(ctx, tx, store.JourneyStep{
			OrderID: orderID, State: StateTPLOrderCreated, System: "xb", Function: inv.Function, MessageID: m.MessageID, Detail: detail,
		}, created.OrderNo)
	})
	if err != nil {
		return err
	}
	azfunc.Note(ctx, "event", "xb order created", "xb_order_no", created.OrderNo, "duplicate", created.Duplicate, "attempt", claim.Attempt)
	return nil
}
