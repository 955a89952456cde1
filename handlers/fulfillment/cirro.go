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
}

// CirroFulfill is the cirro-fulfill function.
type CirroFulfill struct {
	Store       *store.Store
	Cirro       CirroClient
	Keyring     *oms.Keyring
	ShipMethods ShipMethods
	Warehouse   string
}

// Handle creates the order at Cirro once. The request_id derives from the
// order, so a retry after a timeout, a crash or a redelivery sends the same
// id, and Cirro (which takes each id once) can never create a second order.
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
	var created cirro.Created
	err = f.Store.Once(ctx, inv.Function, m.MessageID, inv.ID, func(tx pgx.Tx) error {
		var err error
		if b2b != nil {
			created, err = f.Cirro.CreateB2BOrder(ctx, requestID, *b2b)
		} else {
			created, err = f.Cirro.CreateOrder(ctx, requestID, order)
		}
		if err != nil {
			return fmt.Errorf("creating cirro order for %s: %w", orderID, err)
		}
		detail := "cirro order " + created.OrderNo
		if created.Duplicate {
			detail = "cirro already had the order (request " + requestID + ")"
		}
		if err := store.SetOrderState(ctx, tx, orderID, StateTPLOrderCreated, created.OrderNo); err != nil {
			return err
		}
		return store.RecordJourney(ctx, tx, store.JourneyStep{
			OrderID: orderID, State: StateTPLOrderCreated, System: "cirro", Function: inv.Function, MessageID: m.MessageID, Detail: detail,
		})
	})
	if err == nil {
		azfunc.Logger(ctx).Info("cirro order created", "cirro_order_no", created.OrderNo, "duplicate", created.Duplicate,
			"b2b", b2b != nil, "request_id", requestID)
	}
	return err
}

// CirroWebhook is the cirro-webhook function: POST /api/cirro/{event}, where
// event is acceptance or shipment.
type CirroWebhook struct {
	Store     *store.Store
	Verifier  Verifier
	Publisher bus.Publisher
	Now       func() time.Time
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

func (h *CirroWebhook) handle(r *http.Request) (*WebhookAnswer, error) {
	ctx := r.Context()
	event := r.PathValue("event")
	if event != "acceptance" && event != "shipment" {
		return nil, fault.Malformedf("unknown cirro event %q: the path is /api/cirro/{acceptance|shipment}", event)
	}
	body, err := azfunc.ReadBody(r)
	if err != nil {
		return nil, err
	}
	v, err := h.Verifier.Verify(r.Header, body)
	if err != nil {
		return nil, err
	}
	so, err := cirro.ParseSendOrder(body)
	if err != nil {
		return nil, err
	}
	orderID := so.ReferenceNo
	azfunc.SetCorrelationID(ctx, orderID)
	ans := &WebhookAnswer{Status: "received", OrderID: orderID}
	var msg bus.Message
	var outboxID int64
	err = h.Store.InTx(ctx, func(tx pgx.Tx) error {
		first, err := store.RecordWebhook(ctx, tx, "cirro", v.ID, body)
		if err != nil {
			return err
		}
		if !first {
			ans.Duplicate = true
			return nil
		}
		channel, origin := ChannelB2C, "oms"
		order, err := store.GetOrder(ctx, tx, orderID)
		switch {
		case err == nil:
			if order.Channel == ChannelB2B {
				channel = ChannelB2B
			}
			if order.Source == oms.SourceEDI {
				origin = "edi"
			}
		case errors.Is(err, store.ErrNotFound):
			// Not routed by this layer (for example an EDI order sent from
			// NAV's 940): no OMS step follows.
			origin = "edi"
			azfunc.Logger(ctx).Warn("cirro webhook for an order this layer did not send", "event", event)
		default:
			return err
		}
		if so.IsB2B() {
			channel = ChannelB2B
		}
		if event == "acceptance" {
			msg, err = acceptedMessage(so, channel, origin, v.Timestamp)
			if err != nil {
				return err
			}
			if err := h.record(ctx, tx, orderID, StateAcceptedByTPL, so.OrderNo, v.ID,
				fmt.Sprintf("cirro accepted: order %s (%s)", so.OrderNo, channel)); err != nil {
				return err
			}
		} else {
			var shipped Shipped
			msg, shipped, err = shippedMessage(so, channel, origin, v.Timestamp)
			if err != nil {
				return err
			}
			if err := insertShipment(ctx, tx, so, shipped, body); err != nil {
				return err
			}
			if err := h.record(ctx, tx, orderID, StateShippedByTPL, so.OrderNo, v.ID,
				fmt.Sprintf("cirro shipped: %s %v", shipped.Carrier, shipped.TrackingNumbers)); err != nil {
				return err
			}
		}
		outboxID, err = store.Enqueue(ctx, tx, msg)
		return err
	})
	if err != nil {
		return nil, err
	}
	publishCommitted(ctx, h.Store, h.Publisher, outboxID)
	azfunc.Logger(ctx).Info("cirro webhook received", "event", event, "duplicate", ans.Duplicate, "cirro_order_no", so.OrderNo)
	return ans, nil
}

func (h *CirroWebhook) record(ctx context.Context, tx pgx.Tx, orderID, state, orderNo, webhookID, detail string) error {
	if err := store.SetOrderState(ctx, tx, orderID, state, orderNo); err != nil {
		return err
	}
	return store.RecordJourney(ctx, tx, store.JourneyStep{
		OrderID: orderID, State: state, System: "cirro", Function: azfunc.Info(ctx).Function, MessageID: webhookID, Detail: detail,
	})
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
