package edi

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/handlers/fulfillment"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/x12"
)

// Sealer seals the ship-to for the function that sends the order on.
type Sealer interface {
	Seal(orderID string, v any) (oms.Sealed, error)
}

var _ Sealer = (*oms.Keyring)(nil)

// warehouseOrders turns NAV's 940s into fulfilment requests for Cirro.
type warehouseOrders struct {
	partners *Partners
	sealer   Sealer
	now      func() time.Time
}

// FulfillmentRequest maps a 940 and the PO it answers to the request
// cirro-fulfill sends as Cirro's B2B order: the NAV sales order number is
// the order id (W0502), the retailer's PO travels in po_number, the ship-to
// (the retailer's DC) is sealed like every consignee, and the labels come
// from the partner's configuration.
func FulfillmentRequest(so *x12.ShippingOrder, po PO, pt *Partner, sealer Sealer, now time.Time) (fulfillment.Requested, error) {
	orderID := so.DepositorOrder
	var st x12.Party
	for _, p := range so.Parties {
		if p.Role == "ST" {
			st = p
		}
	}
	if orderID == "" || so.PurchaseOrder == "" {
		return fulfillment.Requested{}, notProcessed{fmt.Sprintf("940: W0502 (sales order) and W0503 (PO) are required, got %q and %q", orderID, so.PurchaseOrder)}
	}
	customer := oms.Customer{Name: st.Name, Company: pt.Name, Address: oms.Address{City: st.City, Region: st.State, PostalCode: st.PostalCode, Country: st.Country}}
	if len(st.Address) > 0 {
		customer.Address.Line1 = st.Address[0]
	}
	if len(st.Address) > 1 {
		customer.Address.Line2 = st.Address[1]
	}
	if customer.Address.Country == "" {
		customer.Address.Country = "US"
	}
	sealed, err := sealer.Seal(orderID, customer)
	if err != nil {
		return fulfillment.Requested{}, err
	}
	req := oms.FulfillmentRequest{OrderID: orderID, OrderNumber: so.PurchaseOrder, Source: oms.SourceEDI, OrderType: fulfillment.OrderTypeB2B,
		ShipMethod: pt.ShipMethod, PONumber: so.PurchaseOrder, RequestedAt: now.UTC(), Sealed: sealed}
	var items []LabelItem
	byItem := map[string]POLine{}
	for _, l := range po.Lines {
		if item, ok := pt.ItemNo(l); ok {
			byItem[item] = l
		}
	}
	for i, l := range so.Lines {
		sku := ""
		for _, p := range l.Products {
			if p.Qualifier == "VN" || p.Qualifier == "SK" {
				sku = p.ID
				break
			}
		}
		if sku == "" {
			return fulfillment.Requested{}, notProcessed{fmt.Sprintf("940 %s line %d has no VN or SK item number", orderID, i+1)}
		}
		qty, ok := l.Quantity.Int64()
		if !ok || qty <= 0 {
			return fulfillment.Requested{}, notProcessed{fmt.Sprintf("940 %s line %d: quantity %q is not a positive whole number", orderID, i+1, l.Quantity)}
		}
		n, _ := strconv.Atoi(l.Number)
		if n == 0 {
			n = i + 1
		}
		req.Lines = append(req.Lines, oms.Line{LineNo: n, SKU: sku, Quantity: int(qty)})
		pl := byItem[sku]
		upc := l.UPC
		if upc == "" {
			upc = pl.UPC
		}
		items = append(items, LabelItem{SKU: sku, Quantity: int(qty), UPC: upc, GTIN14: pl.GTIN, Platform: pt.platformSKU(pl)})
	}
	h := LabelHeader{Dept: po.Department, DC: po.ShipTo.LocationNumber, Type: po.Type, Name: st.Name, Company: pt.Name, ShipmentID: orderID}
	for _, p := range so.Parties {
		if p.Role == "BY" || p.Role == "Z7" {
			h.Store = p.ID
		}
	}
	for _, r := range so.References {
		if r.Qualifier == "DP" && h.Dept == "" {
			h.Dept = r.ID
		}
	}
	tmpl, cartons, err := Labels(pt, h, items)
	if err != nil {
		return fulfillment.Requested{}, err
	}
	return fulfillment.Requested{TPL: "cirro", Request: req,
		Classification: fulfillment.Classification{Channel: fulfillment.ChannelB2B, Reason: "EDI 940 from NAV for " + pt.Name},
		Labels:         &fulfillment.B2BLabels{LabelTemplate: tmpl, CartonList: cartons}}, nil
}

// handle records one 940 in the transaction of its file: the order row
// cirro-webhook will find (source edi, channel b2b, tpl cirro), its journey
// step, and the fulfillment-request message for cirro-fulfill.
func (w *warehouseOrders) handle(ctx context.Context, tx pgx.Tx, docID int64, _ *x12.Interchange, _ *x12.Group, t *x12.Transaction) ([]queued, error) {
	so, err := x12.Read940(t)
	if err != nil {
		return nil, notProcessed{err.Error()}
	}
	if so.Status == "C" {
		return nil, notProcessed{fmt.Sprintf("940 %s cancels sales order %s: cancel it at Cirro by hand (not automated)", t.Control(), so.DepositorOrder)}
	}
	order, err := getEDIOrder(ctx, tx, `po_number = $1 AND (nav_order_no = $2 OR nav_order_no = '') ORDER BY nav_order_no DESC`, so.PurchaseOrder, so.DepositorOrder)
	if err != nil {
		return nil, err
	}
	if order == nil {
		return nil, notProcessed{fmt.Sprintf("940 for sales order %s names PO %s, which this layer never received from SPS", so.DepositorOrder, so.PurchaseOrder)}
	}
	pt, ok := w.partners.ByID(order.Partner)
	if !ok {
		return nil, notProcessed{fmt.Sprintf("940 for PO %s: trading partner %s is not configured", so.PurchaseOrder, order.Partner)}
	}
	req, err := FulfillmentRequest(so, order.PO, pt, w.sealer, w.now())
	if err != nil {
		return nil, err
	}
	orderID := req.Request.OrderID
	state := oms.StateWaitingFulfillmentConfirmation
	if _, err := store.InsertOrder(ctx, tx, store.Order{OrderID: orderID, OrderNumber: so.PurchaseOrder, Source: oms.SourceEDI,
		Channel: fulfillment.ChannelB2B, TPL: "cirro", State: state, StateRank: fulfillment.StateRank(state)}); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE edi_orders SET order_id = $3, nav_order_no = CASE WHEN nav_order_no = '' THEN $3 ELSE nav_order_no END,
		status = 'at-warehouse', updated_at = now() WHERE partner = $1 AND po_number = $2`, order.Partner, order.PONumber, orderID); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE edi_documents SET order_id = $2, po_number = $3, partner = $4 WHERE id = $1`, docID, orderID, so.PurchaseOrder, pt.ID); err != nil {
		return nil, err
	}
	var skus []string
	for _, l := range req.Request.Lines {
		skus = append(skus, fmt.Sprintf("%s x%d", l.SKU, l.Quantity))
	}
	if err := store.RecordJourney(ctx, tx, store.JourneyStep{OrderID: orderID, State: StateWarehouseOrder, System: "nav",
		Function: azfunc.Info(ctx).Function, MessageID: fmt.Sprintf("edi-document/%d", docID),
		Detail: fmt.Sprintf("940 %s from NAV for PO %s (%s): %s; fulfilment requested at cirro (b2b)", t.Control(), so.PurchaseOrder, pt.Name, strings.Join(skus, ", "))}); err != nil {
		return nil, err
	}
	env, err := bus.Request("", fulfillment.EventFulfillmentRequested, bus.ObjectFulfillment, orderID, req, w.now())
	if err != nil {
		return nil, err
	}
	msg := bus.Message{Topic: fulfillment.TopicFulfillmentRequest, Key: orderID + "/fulfillment-request/cirro", Envelope: env,
		Properties: map[string]string{fulfillment.PropTarget: "cirro", fulfillment.PropChannel: fulfillment.ChannelB2B,
			fulfillment.PropSource: oms.SourceEDI, fulfillment.PropOrigin: "edi"}}
	id, err := store.Enqueue(ctx, tx, msg)
	if err != nil {
		return nil, err
	}
	return []queued{{id, msg}}, nil
}
