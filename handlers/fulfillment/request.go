package fulfillment

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/webhook"
)

// Verifier checks a partner webhook's signature.
type Verifier interface {
	Verify(h http.Header, body []byte) (webhook.Verified, error)
}

var _ Verifier = (*webhook.Verifier)(nil)

// Request is the fulfillment-request function: POST /api/fulfillment/request/{tpl}.
type Request struct {
	Store     *store.Store
	Verifier  Verifier
	Publisher bus.Publisher
	// Keyring checks that the sealed customer data opens, so an
	// undecryptable request is refused now instead of failing later.
	Keyring *oms.Keyring
	Rules   Rules
	// TPLs are the warehouses that can be asked (cirro, xb).
	TPLs []string
	Now  func() time.Time
}

// RequestAnswer is the body of a 202.
type RequestAnswer struct {
	Status    string `json:"status"`
	OrderID   string `json:"order_id"`
	TPL       string `json:"tpl"`
	Channel   string `json:"channel"`
	Duplicate bool   `json:"duplicate"`
}

func (h *Request) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ans, err := h.handle(r)
	if err != nil {
		azfunc.Fail(w, r, err)
		return
	}
	w.Header().Set("X-Correlation-Id", ans.OrderID)
	azfunc.WriteJSON(w, http.StatusAccepted, ans)
}

func (h *Request) handle(r *http.Request) (*RequestAnswer, error) {
	ctx := r.Context()
	tpl := r.PathValue("tpl")
	known := false
	for _, t := range h.TPLs {
		known = known || t == tpl
	}
	if !known {
		return nil, fault.Malformedf("unknown warehouse %q: the path is /api/fulfillment/request/{cirro|xb}", tpl)
	}
	body, err := azfunc.ReadBody(r)
	if err != nil {
		return nil, err
	}
	// Verify before parsing, on the raw bytes.
	v, err := h.Verifier.Verify(r.Header, body)
	if err != nil {
		return nil, err
	}
	var req oms.FulfillmentRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fault.Malformedf("request body is not valid JSON: %v", err)
	}
	if err := Validate(req); err != nil {
		return nil, fault.Malformedf("invalid fulfilment request: %v", err)
	}
	azfunc.SetCorrelationID(ctx, req.OrderID)
	// Open the sealed data only to prove it opens; the plaintext is dropped
	// here and opened again by the function that sends the order.
	if err := h.Keyring.Open(req.OrderID, req.Sealed, &oms.Customer{}); err != nil {
		return nil, fault.Malformed(err)
	}
	cls := Classify(req, h.Rules)
	ans := &RequestAnswer{Status: "accepted", OrderID: req.OrderID, TPL: tpl, Channel: cls.Channel}

	msg, err := requestedMessage(tpl, req, cls, h.Now())
	if err != nil {
		return nil, err
	}
	var outboxID int64
	err = h.Store.InTx(ctx, func(tx pgx.Tx) error {
		first, err := store.RecordWebhook(ctx, tx, "oms", v.ID, body)
		if err != nil {
			return err
		}
		if first {
			first, err = insertRequest(ctx, tx, tpl, v.ID, body, req, cls)
			if err != nil {
				return err
			}
		}
		if !first {
			ans.Duplicate = true
			return nil
		}
		created, err := store.InsertOrder(ctx, tx, store.Order{
			OrderID: req.OrderID, OrderNumber: req.OrderNumber, Source: req.Source, Channel: cls.Channel,
			PrePack: cls.PrePack, TPL: tpl, State: oms.StateWaitingFulfillmentConfirmation,
		})
		if err != nil {
			return err
		}
		if !created { // known from an earlier request to another warehouse
			if err := store.SetOrderState(ctx, tx, req.OrderID, oms.StateWaitingFulfillmentConfirmation, ""); err != nil {
				return err
			}
		}
		if err := store.RecordJourney(ctx, tx, store.JourneyStep{
			OrderID: req.OrderID, State: oms.StateWaitingFulfillmentConfirmation, System: SystemOMS,
			Function: azfunc.Info(ctx).Function, MessageID: v.ID,
			Detail: fmt.Sprintf("fulfilment requested at %s (%s, %s%s)", tpl, cls.Channel, cls.Reason, prePackNote(cls)),
		}); err != nil {
			return err
		}
		outboxID, err = store.Enqueue(ctx, tx, msg)
		return err
	})
	if err != nil {
		return nil, err
	}
	// The request is durable: publish now, or let the outbox relay do it.
	// A repeat publishes whatever its first delivery left behind.
	if ans.Duplicate {
		id, ok, err := h.Store.PendingOutboxID(ctx, msg.Topic, msg.Key)
		if err != nil {
			azfunc.Logger(ctx).Warn("reading the outbox for a repeated request failed; the outbox relay will publish", "error", err)
		}
		if ok {
			outboxID = id
		}
	}
	publishCommitted(ctx, h.Store, h.Publisher, outboxID)
	if ans.Duplicate {
		azfunc.Logger(ctx).Info("fulfilment request repeated; nothing new done", "webhook_id", v.ID)
	} else {
		azfunc.Logger(ctx).Info("fulfilment request accepted", "tpl", tpl, "channel", cls.Channel, "pre_pack", cls.PrePack, "source", req.Source)
	}
	return ans, nil
}

func prePackNote(c Classification) string {
	if c.PrePack {
		return ", pre-pack"
	}
	return ""
}

// insertRequest stores the request once per order and warehouse; a second
// request for the same order and warehouse (even with a new webhook id) is
// a repeat.
func insertRequest(ctx context.Context, tx pgx.Tx, tpl, webhookID string, body []byte, req oms.FulfillmentRequest, cls Classification) (bool, error) {
	clsJSON, err := json.Marshal(cls)
	if err != nil {
		return false, err
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO fulfillment_requests (order_id, tpl, webhook_id, body_sha256, body, classification)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (order_id, tpl) DO NOTHING`,
		req.OrderID, tpl, webhookID, store.BodyHash(body), body, clsJSON)
	if err != nil {
		return false, fmt.Errorf("storing fulfilment request of %s: %w", req.OrderID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// requestedMessage is the fulfillment-request message for a warehouse.
func requestedMessage(tpl string, req oms.FulfillmentRequest, cls Classification, now time.Time) (bus.Message, error) {
	env, err := bus.Request("", EventFulfillmentRequested, bus.ObjectFulfillment, req.OrderID,
		Requested{TPL: tpl, Request: req, Classification: cls}, now)
	if err != nil {
		return bus.Message{}, err
	}
	return bus.Message{
		Topic: TopicFulfillmentRequest, Key: req.OrderID + "/fulfillment-request/" + tpl, Envelope: env,
		Properties: map[string]string{PropTarget: tpl, PropChannel: cls.Channel, PropSource: req.Source, PropOrigin: "oms"},
	}, nil
}

// decodeMessage reads a message's envelope and its payload into v. A
// message that cannot be read will never be readable: it is malformed.
func decodeMessage(m *azfunc.Message, v any) (bus.Envelope, error) {
	env, err := bus.DecodeEnvelope(m.Body)
	if err != nil {
		return bus.Envelope{}, fault.Malformed(err)
	}
	if err := json.Unmarshal(env.RequestedPayload, v); err != nil {
		return bus.Envelope{}, fault.Malformedf("%s payload of %s is not valid: %v", env.EventType, env.RefeID, err)
	}
	return env, nil
}
