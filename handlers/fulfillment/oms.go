package fulfillment

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/store"
)

// OMS is what the flow asks of the order management system.
type OMS interface {
	ReleaseFromNAV(ctx context.Context, orderID, idempotencyKey string) error
	ConfirmFulfillment(ctx context.Context, c oms.Confirmation, idempotencyKey string) error
	FulfillOrders(ctx context.Context, f []oms.Fulfillment, idempotencyKey string) error
}

// OMSSteps holds the three functions that move the order in OMS.
type OMSSteps struct {
	Store *store.Store
	OMS   OMS
	// EarlierStepWait is how long a step waits when OMS has the order one
	// step behind (default 10 s).
	EarlierStepWait time.Duration
}

// step runs one OMS call once per message: claim the message, call OMS
// outside any transaction with the message id as Idempotency-Key, then
// record the new state. A redelivery after a crash between the call and
// the record sends the same key, so OMS makes no second effect either;
// after OMS refused a call outright (nothing happened) the next attempt
// sends a new key, since OMS answers a key with its first answer.
func (s *OMSSteps) step(ctx context.Context, m *azfunc.Message, orderID, state, system, detail string, call func(key string) error) error {
	inv := azfunc.Info(ctx)
	claim, err := s.Store.Claim(ctx, inv.Function, m.MessageID, inv.ID, claimLease)
	if err != nil {
		return err
	}
	if err := call(claim.IdempotencyKey(m.MessageID)); err != nil {
		return errors.Join(err, releaseClaim(ctx, claim, err))
	}
	err = claim.Record(ctx, func(tx pgx.Tx) error {
		return advance(ctx, tx, store.JourneyStep{
			OrderID: orderID, State: state, System: system, Function: inv.Function, MessageID: m.MessageID, Detail: detail,
		}, "")
	})
	if err == nil {
		azfunc.Note(ctx, "event", "oms order moved", "state", state, "attempt", claim.Attempt)
	}
	return err
}

// NAVRelease is the nav-order-release function: NAV allocated the order,
// so OMS moves it from PENDING_NAV_RELEASE to RELEASED_FROM_NAV.
func (s *OMSSteps) NAVRelease(ctx context.Context, m *azfunc.Message) error {
	var p NAVReleased
	env, err := decodeMessage(m, &p)
	if err != nil {
		return err
	}
	orderID := env.RefeID
	if orderID == "" {
		orderID = p.OrderID
	}
	if orderID == "" {
		return fault.Malformedf("NAV release names no order")
	}
	azfunc.SetCorrelationID(ctx, orderID)
	detail := "released by NAV"
	if p.NAVOrderNo != "" {
		detail += " (NAV order " + p.NAVOrderNo + ")"
	}
	return s.step(ctx, m, orderID, oms.StateReleasedFromNAV, SystemNAV, detail, func(key string) error {
		return s.OMS.ReleaseFromNAV(ctx, orderID, key)
	})
}

// ConfirmFulfillment is the oms-fulfillment-confirm function: the warehouse
// accepted the order, so OMS moves it to EXPORTED_TO_TPL.
func (s *OMSSteps) ConfirmFulfillment(ctx context.Context, m *azfunc.Message) error {
	var p Accepted
	if _, err := decodeMessage(m, &p); err != nil {
		return err
	}
	if p.OrderID == "" {
		return fault.Malformedf("fulfilment confirmation names no order")
	}
	azfunc.SetCorrelationID(ctx, p.OrderID)
	c := oms.Confirmation{OrderID: p.OrderID, TPL: p.TPL, TPLOrderNo: p.TPLOrderNo, AcceptedAt: p.AcceptedAt}
	return s.step(ctx, m, p.OrderID, oms.StateExportedToTPL, SystemOMS,
		fmt.Sprintf("OMS confirmed: %s order %s", p.TPL, p.TPLOrderNo), func(key string) error {
			return s.OMS.ConfirmFulfillment(ctx, c, key)
		})
}

// ShipConfirm is the oms-ship-confirm function: the order shipped, so OMS
// gets the carrier and tracking numbers (fulfill_orders) and moves it to SHIPPED.
func (s *OMSSteps) ShipConfirm(ctx context.Context, m *azfunc.Message) error {
	var p Shipped
	if _, err := decodeMessage(m, &p); err != nil {
		return err
	}
	if p.OrderID == "" {
		return fault.Malformedf("shipment names no order")
	}
	azfunc.SetCorrelationID(ctx, p.OrderID)
	if len(p.TrackingNumbers) == 0 {
		return fault.Permanentf("shipment of %s carries no tracking number; OMS needs one to fulfil", p.OrderID)
	}
	f := oms.Fulfillment{OrderID: p.OrderID, TPL: p.TPL, Carrier: p.Carrier, TrackingNumbers: p.TrackingNumbers, ShippedAt: p.ShippedAt}
	for _, c := range p.Cartons {
		for _, it := range c.Items {
			f.Lines = append(f.Lines, oms.ShippedLine{SKU: it.SKU, Quantity: it.Quantity})
		}
	}
	return s.step(ctx, m, p.OrderID, oms.StateShipped, SystemOMS,
		fmt.Sprintf("OMS fulfilled: %s %v", p.Carrier, p.TrackingNumbers), func(key string) error {
			return s.waitForEarlierStep(s.OMS.FulfillOrders(ctx, []oms.Fulfillment{f}, key), oms.StateExportedToTPL)
		})
}

// waitForEarlierStep turns OMS's refusal of a transition (409, permanent to
// the OMS client) into a wait when the order has not yet reached the step
// before it: messages of one order can arrive out of order (a shipment
// before its confirmation), and the earlier one is on its way. The error is
// transient with a Retry-After, so the invocation waits and tries again
// before the message is redelivered. An order in any other state stays
// refused (parked).
func (s *OMSSteps) waitForEarlierStep(err error, prerequisite string) error {
	var oe *oms.Error
	if err == nil || !errors.As(err, &oe) || oe.Status != http.StatusConflict || oe.CurrentStatus == "" {
		return err
	}
	if !oms.AtOrPast(oe.CurrentStatus, prerequisite) && oms.AtOrPast(oe.CurrentStatus, oms.StatePendingNAVRelease) {
		return fault.Transient(fmt.Errorf("OMS has the order in %s, before %s: waiting for the earlier step: %w",
			oe.CurrentStatus, prerequisite, err), cmp.Or(s.EarlierStepWait, 10*time.Second))
	}
	return err
}
