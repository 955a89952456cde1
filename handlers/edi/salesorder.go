package edi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/nav"
	"github.com/popsockets/integration/shared/store"
)

// NAVOrders is what the flow asks of NAV's sales order service.
type NAVOrders interface {
	FindSalesOrder(ctx context.Context, customerNo, externalDocNo string) (nav.SalesOrder, bool, error)
	CreateSalesOrder(ctx context.Context, so nav.SalesOrder) (nav.SalesOrder, error)
	DeleteSalesOrder(ctx context.Context, key string) error
}

var _ NAVOrders = (*nav.Client)(nil)

const claimLease = time.Minute

// SalesOrderFn is nav-sales-order: an edi-inbound PO becomes (or cancels,
// or replaces) NAV's sales order. NAV is called between a claim and a
// record, never inside a transaction; before creating, the order is looked
// up by Sell-to customer and External Document No., so a retry, a crash
// or a redelivery never creates a second one.
type SalesOrderFn struct {
	// Function is the consumer name its claims are kept under.
	Function string
	Store    *store.Store
	NAV      NAVOrders
	Partners *Partners
}

// Handle handles one message.
func (f *SalesOrderFn) Handle(ctx context.Context, m *azfunc.Message) error {
	var in InboundPO
	if err := decode(m, &in); err != nil {
		return err
	}
	po := in.PO
	azfunc.SetCorrelationID(ctx, po.Number)
	pt, ok := f.Partners.ByID(po.Partner)
	if !ok {
		return fault.Permanentf("PO %s: trading partner %q (TradingPartnerId %q) is not in the trading-partner configuration (EDI_PARTNERS); add it, then replay",
			po.Number, po.Partner, po.TradingPartnerID)
	}
	var so nav.SalesOrder
	if in.Action != ActionCancel {
		var err error
		if so, err = SalesOrder(po, pt); err != nil {
			return err
		}
	}
	inv := invocation(ctx, f.Function)
	claim, err := f.Store.Claim(ctx, inv.Function, m.MessageID, inv.ID, claimLease)
	if err != nil {
		return err
	}
	result, detail, err := f.call(ctx, in.Action, pt, po, so)
	if err != nil {
		if fault.ClassOf(err) == fault.ClassPermanent {
			return errors.Join(fmt.Errorf("PO %s: %w", po.Number, err), claim.Refuse(ctx, err))
		}
		return errors.Join(fmt.Errorf("PO %s: %w", po.Number, err), claim.Release(ctx, err))
	}
	err = claim.Record(ctx, func(tx pgx.Tx) error {
		status := map[string]string{ActionCreate: "in-nav", ActionReplace: "in-nav", ActionCancel: "cancelled"}[in.Action]
		if _, err := tx.Exec(ctx, `UPDATE edi_orders SET nav_order_no = CASE WHEN $3 = '' THEN nav_order_no ELSE $3 END,
			order_id = CASE WHEN $3 = '' THEN order_id ELSE $3 END, status = $4, updated_at = now()
			WHERE partner = $1 AND po_number = $2`, po.Partner, po.Number, result.No, status); err != nil {
			return err
		}
		step := store.JourneyStep{OrderID: poJourney(po.Partner, po.Number), State: StateNAVOrderCreated, System: "nav",
			Function: inv.Function, MessageID: m.MessageID, Detail: detail}
		if in.Action == ActionCancel {
			step.State = StatePOCancelled
		}
		if err := store.RecordJourney(ctx, tx, step); err != nil {
			return err
		}
		if result.No != "" {
			step.OrderID = result.No
			return store.RecordJourney(ctx, tx, step)
		}
		return nil
	})
	if err != nil {
		return err
	}
	azfunc.Note(ctx, "event", "nav sales order "+in.Action, "partner", po.Partner, "nav_order_no", result.No, "lines", len(so.Lines))
	return nil
}

func (f *SalesOrderFn) call(ctx context.Context, action string, pt *Partner, po PO, so nav.SalesOrder) (nav.SalesOrder, string, error) {
	found, exists, err := f.NAV.FindSalesOrder(ctx, pt.NAVCustomer, po.Number)
	if err != nil {
		return nav.SalesOrder{}, "", err
	}
	switch action {
	case ActionCancel:
		if !exists {
			return nav.SalesOrder{}, fmt.Sprintf("PO %s cancelled; NAV has no open order for it", po.Number), nil
		}
		if err := f.NAV.DeleteSalesOrder(ctx, found.Key); err != nil {
			return nav.SalesOrder{}, "", err
		}
		return found, fmt.Sprintf("PO %s cancelled: NAV sales order %s deleted", po.Number, found.No), nil
	case ActionReplace:
		if exists {
			if err := f.NAV.DeleteSalesOrder(ctx, found.Key); err != nil {
				return nav.SalesOrder{}, "", err
			}
		}
	default:
		if exists {
			return found, fmt.Sprintf("NAV already had sales order %s for PO %s (%s)", found.No, po.Number, pt.Name), nil
		}
	}
	created, err := f.NAV.CreateSalesOrder(ctx, so)
	if err != nil {
		return nav.SalesOrder{}, "", err
	}
	return created, fmt.Sprintf("NAV sales order %s for PO %s (%s, %s, ship-to %s, %d lines)", created.No, po.Number, pt.Name,
		pt.NAVCustomer, so.ShipToCode, len(so.Lines)), nil
}

// invocation is the running invocation, named for the function when the
// host did not say (a handler called directly).
func invocation(ctx context.Context, function string) azfunc.InvocationInfo {
	inv := azfunc.Info(ctx)
	if inv.Function == "" {
		inv.Function = function
	}
	if inv.ID == "" {
		inv.ID = fmt.Sprintf("%s-%d", function, time.Now().UnixNano())
	}
	return inv
}

// decode reads a message's envelope and payload; what cannot be read
// never will be: malformed.
func decode(m *azfunc.Message, v any) error {
	if err := azfunc.CheckJSONText(m.Body); err != nil {
		return err
	}
	env, err := bus.DecodeEnvelope(m.Body)
	if err != nil {
		return fault.Malformed(err)
	}
	if err := json.Unmarshal(env.RequestedPayload, v); err != nil {
		return fault.Malformedf("%s payload of %s is not valid: %v", env.EventType, azfunc.Clip(env.RefeID, 64), err)
	}
	return nil
}
