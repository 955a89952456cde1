package fulfillment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/cirro"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/store"
)

// CirroClient is what the flow asks of Cirro.
type CirroClient interface {
	CreateOrder(ctx context.Context, requestID string, o cirro.OrderCreate) (cirro.Created, error)
	CreateB2BOrder(ctx context.Context, requestID string, o cirro.B2BOrderCreate) (cirro.Created, error)
	LookupOrder(ctx context.Context, referenceNo string) (cirro.Created, bool, error)
}

var _ CirroClient = (*cirro.Client)(nil)

// claimLease bounds how long a claimed partner call may take before
// another delivery may take it over (partner clients time out well before).
const claimLease = time.Minute

// CirroFulfill is the cirro-fulfill function.
type CirroFulfill struct {
	Store       *store.Store
	Cirro       CirroClient
	Keyring     *oms.Keyring
	ShipMethods ShipMethods
	Warehouse   string
}

// Handle creates the order at Cirro once: claim the message, call Cirro
// outside any transaction, record. The request_id derives from the order,
// so a retry after a timeout, a crash or a redelivery sends the same id,
// and Cirro (which takes each id once) can never create a second order. A
// retry whose earlier attempt may have reached Cirro looks the order up
// first, so the journey records Cirro's real order number.
func (f *CirroFulfill) Handle(ctx context.Context, m *azfunc.Message) error {
	var p Requested
	if _, err := decodeMessage(m, &p); err != nil {
		return err
	}
	orderID := p.Request.OrderID
	azfunc.SetCorrelationID(ctx, orderID)
	if p.TPL != "cirro" {
		return fault.Permanentf("fulfilment request of %s is for %q, not cirro: check the subscription filter", orderID, p.TPL)
	}
	var customer oms.Customer
	if err := f.Keyring.Open(orderID, p.Request.Sealed, &customer); err != nil {
		return err
	}
	order, b2b, err := CirroOrder(p, customer, f.ShipMethods, f.Warehouse)
	if err != nil {
		return err
	}
	requestID := cirro.RequestID(orderID, "order-create")
	inv := azfunc.Info(ctx)
	claim, err := f.Store.Claim(ctx, inv.Function, m.MessageID, inv.ID, claimLease)
	if err != nil {
		return err
	}
	created, err := f.create(ctx, claim.Retaken(), requestID, order, b2b)
	if err != nil {
		return errors.Join(fmt.Errorf("creating cirro order for %s: %w", orderID, err), claim.Release(ctx, err))
	}
	detail := "cirro order " + created.OrderNo
	if created.Duplicate {
		detail = "cirro already had the order " + created.OrderNo + " (request " + requestID + ")"
	}
	err = claim.Record(ctx, func(tx pgx.Tx) error {
		return advance(ctx, tx, store.JourneyStep{
			OrderID: orderID, State: StateTPLOrderCreated, System: "cirro", Function: inv.Function, MessageID: m.MessageID, Detail: detail,
		}, created.OrderNo)
	})
	if err != nil {
		return err
	}
	azfunc.Note(ctx, "event", "cirro order created", "cirro_order_no", created.OrderNo, "duplicate", created.Duplicate,
		"b2b", b2b != nil, "request_id", requestID, "attempt", claim.Attempt)
	return nil
}

func (f *CirroFulfill) create(ctx context.Context, retaken bool, requestID string, o cirro.OrderCreate, b2b *cirro.B2BOrderCreate) (cirro.Created, error) {
	if retaken {
		found, ok, err := f.Cirro.LookupOrder(ctx, o.ReferenceNo)
		if err != nil {
			return cirro.Created{}, fmt.Errorf("looking the order up before creating it again: %w", err)
		}
		if ok {
			return found, nil
		}
	}
	if b2b != nil {
		return f.Cirro.CreateB2BOrder(ctx, requestID, *b2b)
	}
	return f.Cirro.CreateOrder(ctx, requestID, o)
}

// advance moves the order forward (never back) and records the step.
func advance(ctx context.Context, tx pgx.Tx, step store.JourneyStep, tplOrderNo string) error {
	if _, err := store.AdvanceOrder(ctx, tx, step.OrderID, step.State, rank(step.State), tplOrderNo); err != nil {
		return err
	}
	return store.RecordJourney(ctx, tx, step)
}

// Parker keeps an input this layer will not act on, and alerts people.
type Parker interface {
	Park(ctx context.Context, p azfunc.Parked) (azfunc.ParkResult, error)
}

// CirroWebhook is the cirro-webhook function: POST /api/cirro/{event}, where
// event is acceptance or shipment.
type CirroWebhook struct {
	Store    *store.Store
	Verifier Verifier
	Outbox   Notifier
	Parker   Parker
	Now      func() time.Time
}

// WebhookAnswer is the body of a 200 to Cirro.
type WebhookAnswer struct {
	Status    string `json:"status"`
	OrderID   string `json:"order_id"`
	Duplicate bool   `json:"duplicate"`
}

func (h *CirroWebhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ans, err := h.handle(r)
	if err != nil {
		azfunc.Fail(w, r, err)
		return
	}
	w.Header().Set("X-Correlation-Id", ans.OrderID)
	azfunc.WriteJSON(w, http.StatusOK, ans)
}

// errNotRouted marks an event for an order this layer never routed.
var errNotRouted = errors.New("not routed by this layer")

func (h *CirroWebhook) handle(r *http.Request) (*WebhookAnswer, error) {
	ctx := r.Context()
	event := r.PathValue("event")
	if event != "acceptance" && event != "shipment" {
		return nil, fault.Malformedf("unknown cirro event %q: the path is /api/cirro/{acceptance|shipment}", azfunc.Clip(event, 32))
	}
	body, err := azfunc.ReadBody(r)
	if err != nil {
		return nil, err
	}
	v, err := h.Verifier.Verify(r.Header, body)
	if err != nil {
		return nil, err
	}
	if err := azfunc.CheckJSONText(body); err != nil {
		return nil, err
	}
	so, err := cirro.ParseSendOrder(body)
	if err != nil {
		return nil, err
	}
	orderID := so.ReferenceNo
	if err := azfunc.CheckField("reference_no", orderID, maxID, true); err != nil {
		return nil, fault.Malformed(err)
	}
	azfunc.SetCorrelationID(ctx, orderID)
	ans := &WebhookAnswer{Status: "received", OrderID: orderID}
	var outboxID int64
	var msg bus.Message
	err = h.Store.InTx(ctx, func(tx pgx.Tx) error {
		order, err := store.GetOrder(ctx, tx, orderID)
		if errors.Is(err, store.ErrNotFound) {
			return fault.Permanent(fmt.Errorf("cirro %s for order %s: %w", event, orderID, errNotRouted))
		}
		if err != nil {
			return err
		}
		first, err := store.RecordWebhook(ctx, tx, "cirro", v.ID, body)
		if err != nil {
			return err
		}
		if !first {
			ans.Duplicate = true
			return nil
		}
		channel, origin := ChannelB2C, "oms"
		if order.Channel == ChannelB2B || so.IsB2B() {
			channel = ChannelB2B
		}
		if order.Source == oms.SourceEDI {
			origin = "edi"
		}
		step := store.JourneyStep{OrderID: orderID, System: "cirro", Function: azfunc.Info(ctx).Function, MessageID: v.ID}
		if event == "acceptance" {
			if msg, err = acceptedMessage(so, channel, origin, v.Timestamp); err != nil {
				return err
			}
			step.State, step.Detail = StateAcceptedByTPL, fmt.Sprintf("cirro accepted: order %s (%s)", so.OrderNo, channel)
		} else {
			var shipped Shipped
			if msg, shipped, err = shippedMessage(so, channel, origin, v.Timestamp); err != nil {
				return err
			}
			if err := insertShipment(ctx, tx, so, shipped, body); err != nil {
				return err
			}
			step.State, step.Detail = StateShippedByTPL, fmt.Sprintf("cirro shipped: %s %v", shipped.Carrier, shipped.TrackingNumbers)
		}
		if err := advance(ctx, tx, step, so.OrderNo); err != nil {
			return err
		}
		outboxID, err = store.Enqueue(ctx, tx, msg)
		return err
	})
	if errors.Is(err, errNotRouted) {
		// Kept, and people are told: an order routed before the cut-over
		// from Camel, or a mistake at Cirro. Nothing else is written.
		if _, perr := h.Parker.Park(ctx, azfunc.Parked{
			Function: azfunc.Info(ctx).Function, Trigger: azfunc.KindHTTP, Binding: event, MessageID: "cirro/" + v.ID,
			CorrelationID: orderID, InvocationID: azfunc.Info(ctx).ID, DeliveryCount: 1,
			Reason: err.Error() + ": kept for a person; it is not replayable, ask Cirro to resend once the order is known", Payload: body,
		}); perr != nil {
			return nil, fmt.Errorf("keeping the event for an unknown order: %w", perr)
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	h.Outbox.Notify(outboxID, msg)
	azfunc.Note(ctx, "event", "cirro "+event+" received", "duplicate", ans.Duplicate, "cirro_order_no", so.OrderNo)
	return ans, nil
}

func acceptedMessage(so *cirro.SendOrder, channel, origin string, at time.Time) (bus.Message, error) {
	p := Accepted{OrderID: so.ReferenceNo, TPL: "cirro", TPLOrderNo: so.OrderNo, Channel: channel, AcceptedAt: at.UTC()}
	env, err := bus.Request("", EventFulfillmentAccepted, bus.ObjectFulfillment, so.ReferenceNo, p, at)
	if err != nil {
		return bus.Message{}, err
	}
	return bus.Message{
		Topic: TopicFulfillmentConfirmation, Key: so.ReferenceNo + "/fulfillment-confirmation/cirro/" + so.OrderNo, Envelope: env,
		Properties: map[string]string{PropTarget: "cirro", PropChannel: channel, PropOrigin: origin},
	}, nil
}

func shippedMessage(so *cirro.SendOrder, channel, origin string, at time.Time) (bus.Message, Shipped, error) {
	p := Shipped{
		OrderID: so.ReferenceNo, TPL: "cirro", TPLOrderNo: so.OrderNo, Channel: channel, PONumber: so.PONumber,
		Carrier: so.Carrier(), TrackingNumbers: so.TrackingNumbers(), ShippedAt: at.UTC(),
	}
	if so.ShippedAt != "" {
		t, err := time.Parse(time.RFC3339, so.ShippedAt)
		if err != nil {
			return bus.Message{}, Shipped{}, fault.Malformedf("shipped_at %q is not an RFC 3339 time", so.ShippedAt)
		}
		p.ShippedAt = t.UTC()
	}
	for _, b := range so.OrderBoxInfo {
		c := Carton{SSCC: b.SSCCCode, TrackingNumber: b.TrackingNumber}
		for _, it := range b.Items {
			c.Items = append(c.Items, Quantity{SKU: it.SKU, Quantity: it.Quantity})
		}
		p.Cartons = append(p.Cartons, c)
	}
	env, err := bus.Request("", EventOrderShipped, bus.ObjectShipment, so.ReferenceNo, p, at)
	if err != nil {
		return bus.Message{}, Shipped{}, err
	}
	return bus.Message{
		Topic: TopicShipped, Key: so.ReferenceNo + "/shipped/cirro/" + so.OrderNo, Envelope: env,
		Properties: map[string]string{PropTarget: "cirro", PropChannel: channel, PropOrigin: origin},
	}, p, nil
}

func insertShipment(ctx context.Context, tx pgx.Tx, so *cirro.SendOrder, s Shipped, body []byte) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO shipments (order_id, tpl, tpl_order_no, channel, carrier, tracking_numbers, shipped_at, payload)
		VALUES ($1, 'cirro', $2, $3, $4, $5, $6, $7) ON CONFLICT (order_id, tpl, tpl_order_no) DO NOTHING`,
		so.ReferenceNo, so.OrderNo, s.Channel, s.Carrier, s.TrackingNumbers, s.ShippedAt, body)
	if err != nil {
		return fmt.Errorf("storing shipment of %s: %w", so.ReferenceNo, err)
	}
	return nil
}
