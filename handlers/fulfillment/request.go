package fulfillment

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/kit"
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
	Store  *store.Store
	Outbox Notifier
	// Verifier checks the Standard Webhooks signature.
	Verifier Verifier
	// Keyring checks that the sealed customer data opens, so an
	// undecryptable request is refused now instead of failing later.
	Keyring *oms.Keyring
	Rules   Rules
	// TPLs are the warehouses that can be asked (cirro, xb).
	TPLs []string
	Now  func() time.Time
}

// Notifier hands a committed outbox row, with its message, to the
// background publisher.
type Notifier interface {
	Notify(id int64, m bus.Message)
}

var _ Notifier = (*kit.Outbox)(nil)

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
	if !slices.Contains(h.TPLs, tpl) {
		return nil, fault.Malformedf("unknown warehouse %q: the path is /api/fulfillment/request/{%s}", azfunc.Clip(tpl, 32), strings.Join(h.TPLs, "|"))
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
	if err := azfunc.CheckJSONText(body); err != nil {
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
	rec, err := recordRequest(ctx, h.Store, requestRecord{
		webhookID: v.ID, body: body, tpl: tpl, req: req, cls: cls, msg: msg, function: azfunc.Info(ctx).Function,
		answer: storedAnswer{TPL: tpl, Channel: cls.Channel},
	})
	if err != nil {
		return nil, err
	}
	h.Outbox.Notify(rec.outboxID, msg)
	if rec.duplicate {
		// A repeat gets the answer its first delivery got, whatever path
		// or body it came with this time.
		ans.TPL, ans.Channel, ans.Duplicate = rec.answer.TPL, rec.answer.Channel, true
		azfunc.Note(ctx, "event", "fulfilment request repeated; nothing new done", "webhook_id", v.ID, "duplicate", true)
		return ans, nil
	}
	azfunc.Note(ctx, "event", "fulfilment request accepted", "tpl", tpl, "channel", cls.Channel, "pre_pack", cls.PrePack, "source", req.Source)
	return ans, nil
}

func prePackNote(c Classification) string {
	if c.PrePack {
		return ", pre-pack"
	}
	return ""
}

// storedAnswer is what a repeated webhook is answered with.
type storedAnswer struct {
	TPL     string `json:"tpl"`
	Channel string `json:"channel"`
}

type requestRecord struct {
	webhookID string
	body      []byte
	tpl       string
	req       oms.FulfillmentRequest
	cls       Classification
	msg       bus.Message
	function  string
	answer    storedAnswer
}

type recorded struct {
	duplicate bool
	outboxID  int64
	answer    storedAnswer
}

// recordRequestSQL stores a fulfilment request in one statement, so the
// request costs one round trip and one commit: the webhook receipt (which
// gates everything else: a repeated webhook id changes nothing), the
// request once per order and warehouse, the order (created, or moved
// forward), its journey step and the outbox message. The receipt keeps the
// answer the request got, for its repeats.
const recordRequestSQL = `
WITH prior AS (
	SELECT jsonb_build_object('tpl', tpl, 'channel', classification->>'channel') AS answer
	  FROM fulfillment_requests WHERE order_id = $4 AND tpl = $5
), receipt AS (
	INSERT INTO webhook_receipts (partner, webhook_id, body_sha256, answer)
	VALUES ('oms', $1, $2, COALESCE((SELECT answer FROM prior), $3::jsonb))
	ON CONFLICT (partner, webhook_id) DO NOTHING
	RETURNING 1
), request AS (
	INSERT INTO fulfillment_requests (order_id, tpl, webhook_id, body_sha256, body, classification)
	SELECT $4, $5, $1, $2, $6, $7 WHERE EXISTS (SELECT FROM receipt)
	ON CONFLICT (order_id, tpl) DO NOTHING
	RETURNING 1
), ord AS (
	INSERT INTO orders (order_id, order_number, source, channel, pre_pack, tpl, state, state_rank)
	SELECT $4, $8, $9, $10, $11, $5, $12, $13 WHERE EXISTS (SELECT FROM request)
	ON CONFLICT (order_id) DO UPDATE SET
	       tpl = excluded.tpl, channel = excluded.channel, pre_pack = excluded.pre_pack, updated_at = now(),
	       state = CASE WHEN orders.state_rank < excluded.state_rank THEN excluded.state ELSE orders.state END,
	       state_rank = GREATEST(orders.state_rank, excluded.state_rank)
	RETURNING 1
), journey AS (
	INSERT INTO order_journey (order_id, state, system, function, message_id, detail)
	SELECT $4, $12, 'oms', $14, $1, $15 WHERE EXISTS (SELECT FROM request)
	RETURNING 1
), outbox AS (
	INSERT INTO outbox (topic, message_key, envelope, properties)
	SELECT $16, $17, $18, $19 WHERE EXISTS (SELECT FROM request)
	ON CONFLICT (topic, message_key) DO NOTHING
	RETURNING id
)
SELECT EXISTS (SELECT FROM receipt), EXISTS (SELECT FROM request), COALESCE((SELECT id FROM outbox), 0),
       (SELECT body_sha256 FROM webhook_receipts WHERE partner = 'oms' AND webhook_id = $1),
       COALESCE((SELECT answer FROM webhook_receipts WHERE partner = 'oms' AND webhook_id = $1), (SELECT answer FROM prior))`

func recordRequest(ctx context.Context, s *store.Store, in requestRecord) (recorded, error) {
	hash := store.BodyHash(in.body)
	answer, _ := json.Marshal(in.answer)
	cls, err := json.Marshal(in.cls)
	if err != nil {
		return recorded{}, err
	}
	env, err := json.Marshal(in.msg.Envelope)
	if err != nil {
		return recorded{}, err
	}
	props, err := json.Marshal(in.msg.Properties)
	if err != nil {
		return recorded{}, err
	}
	state := oms.StateWaitingFulfillmentConfirmation
	detail := fmt.Sprintf("fulfilment requested at %s (%s, %s%s)", in.tpl, in.cls.Channel, in.cls.Reason, prePackNote(in.cls))
	var newReceipt, newRequest bool
	var rec recorded
	var storedHash *string
	var stored []byte
	err = s.Pool.QueryRow(ctx, recordRequestSQL,
		in.webhookID, hash, answer, in.req.OrderID, in.tpl, in.body, cls,
		in.req.OrderNumber, in.req.Source, in.cls.Channel, in.cls.PrePack, state, rank(state),
		in.function, detail, in.msg.Topic, in.msg.Key, env, props,
	).Scan(&newReceipt, &newRequest, &rec.outboxID, &storedHash, &stored)
	if err != nil {
		return recorded{}, store.Classify(fmt.Errorf("storing fulfilment request of %s: %w", in.req.OrderID, err))
	}
	if newRequest {
		return rec, nil
	}
	rec.duplicate = true
	if !newReceipt && storedHash == nil {
		// A concurrent delivery of the same webhook committed after this
		// statement's snapshot: read what it stored.
		err := s.Pool.QueryRow(ctx, `SELECT body_sha256, answer FROM webhook_receipts WHERE partner = 'oms' AND webhook_id = $1`,
			in.webhookID).Scan(&storedHash, &stored)
		if err != nil {
			return recorded{}, fmt.Errorf("reading oms webhook %s: %w", in.webhookID, err)
		}
	}
	if !newReceipt && storedHash != nil && *storedHash != hash {
		return recorded{}, fmt.Errorf("oms webhook %s: %w", in.webhookID, store.ErrWebhookIDReused)
	}
	rec.answer = in.answer
	if len(stored) > 0 {
		_ = json.Unmarshal(stored, &rec.answer)
	}
	return rec, nil
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
	if err := azfunc.CheckJSONText(m.Body); err != nil {
		return bus.Envelope{}, err
	}
	env, err := bus.DecodeEnvelope(m.Body)
	if err != nil {
		return bus.Envelope{}, fault.Malformed(err)
	}
	if err := azfunc.CheckJSONText(env.RequestedPayload); err != nil {
		return bus.Envelope{}, fmt.Errorf("%s payload of %s: %w", env.EventType, azfunc.Clip(env.RefeID, 64), err)
	}
	if err := json.Unmarshal(env.RequestedPayload, v); err != nil {
		return bus.Envelope{}, fault.Malformedf("%s payload of %s is not valid: %v", env.EventType, env.RefeID, err)
	}
	return env, nil
}
