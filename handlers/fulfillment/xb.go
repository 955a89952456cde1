package fulfillment

import (
	"context"
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
	var created xb.Created
	err = f.Store.Once(ctx, inv.Function, m.MessageID, inv.ID, func(tx pgx.Tx) error {
		var err error
		if created, err = f.XB.CreateOrder(ctx, order, key); err != nil {
			return fmt.Errorf("creating xb order for %s: %w", orderID, err)
		}
		detail := "xb order " + created.OrderNo
		if created.Duplicate {
			detail += " (xb already had it)"
		}
		if err := store.SetOrderState(ctx, tx, orderID, StateTPLOrderCreated, created.OrderNo); err != nil {
			return err
		}
		return store.RecordJourney(ctx, tx, store.JourneyStep{
			OrderID: orderID, State: StateTPLOrderCreated, System: "xb", Function: inv.Function, MessageID: m.MessageID, Detail: detail,
		})
	})
	if err == nil {
		azfunc.Logger(ctx).Info("xb order created", "xb_order_no", created.OrderNo, "duplicate", created.Duplicate)
	}
	return err
}
