package fulfillment

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
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

	once  sync.Once
	batch *store.Batcher[requestRecord, recorded]
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
	if err := msg.Encode(); err != nil {
		return nil, err
	}
	rec, err := h.recordRequest(ctx, requestRecord{
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
	duplicate  bool
	newReceipt bool
	storedHash *string
	outboxID   int64
	answer     storedAnswer
}

// recordRequestsSQL stores fulfilment requests, as many as are waiting, in
// one statement and one commit: for each, the webhook receipt (which gates
// everything else: a repeated webhook id changes nothing), the request once
// per order and warehouse, the order (created, or moved forward), its
// journey step and the outbox message. The receipt keeps the answer the
// request got, for its repeats. The Batcher never puts two requests for one
// order in one statement.
const recordRequestsSQL = `
WITH input AS (
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::text[],
	                     $8::text[], $9::text[], $10::text[], $11::bool[], $12::text[], $13::int[], $14::text[], $15::text[],
	                     $16::text[], $17::text[], $18::text[], $19::text[])
	    AS t(webhook_id, hash, answer, order_id, tpl, body, classification, order_number, source, channel, pre_pack,
	         state, state_rank, function, detail, topic, message_key, envelope, properties)
), prior AS (
	SELECT i.webhook_id, jsonb_build_object('tpl', fr.tpl, 'channel', fr.classification->>'channel') AS answer
	  FROM input i JOIN fulfillment_requests fr ON fr.order_id = i.order_id AND fr.tpl = i.tpl
), receipt AS (
	INSERT INTO webhook_receipts (partner, webhook_id, body_sha256, answer)
	SELECT 'oms', i.webhook_id, i.hash, COALESCE(p.answer, i.answer::jsonb) FROM input i LEFT JOIN prior p USING (webhook_id)
	ON CONFLICT (partner, webhook_id) DO NOTHING
	RETURNING webhook_id
), request AS (
	INSERT INTO fulfillment_requests (order_id, tpl, webhook_id, body_sha256, body, classification)
	SELECT i.order_id, i.tpl, i.webhook_id, i.hash, i.body, i.classification::jsonb FROM input i JOIN receipt USING (webhook_id)
	ON CONFLICT (order_id, tpl) DO NOTHING
	RETURNING webhook_id
), ord AS (
	INSERT INTO orders (order_id, order_number, source, channel, pre_pack, tpl, state, state_rank)
	SELECT i.order_id, i.order_number, i.source, i.channel, i.pre_pack, i.tpl, i.state, i.state_rank
	  FROM input i JOIN request USING (webhook_id)
	ON CONFLICT (order_id) DO UPDATE SET
	       tpl = excluded.tpl, channel = excluded.channel, pre_pack = excluded.pre_pack, updated_at = now(),
	       state = CASE WHEN orders.state_rank < excluded.state_rank THEN excluded.state ELSE orders.state END,
	       state_rank = GREATEST(orders.state_rank, excluded.state_rank)
	RETURNING 1
), journey AS (
	INSERT INTO order_journey (order_id, state, system, function, message_id, detail)
	SELECT i.order_id, i.state, 'oms', i.function, i.webhook_id, i.detail FROM input i JOIN request USING (webhook_id)
	RETURNING 1
), outbox AS (
	INSERT INTO outbox (topic, message_key, envelope, properties)
	SELECT i.topic, i.message_key, i.envelope::jsonb, i.properties::jsonb FROM input i JOIN request USING (webhook_id)
	ON CONFLICT (topic, message_key) DO NOTHING
	RETURNING id, message_key
)
SELECT i.webhook_id, r.webhook_id IS NOT NULL, q.webhook_id IS NOT NULL, COALESCE(o.id, 0), w.body_sha256, COALESCE(w.answer, p.answer)
  FROM input i
  LEFT JOIN receipt r ON r.webhook_id = i.webhook_id
  LEFT JOIN request q ON q.webhook_id = i.webhook_id
  LEFT JOIN outbox o ON o.message_key = i.message_key
  LEFT JOIN webhook_receipts w ON w.partner = 'oms' AND w.webhook_id = i.webhook_id
  LEFT JOIN prior p ON p.webhook_id = i.webhook_id`

// requestKeys put requests for one order, or with one webhook id, in
// different statements.
func requestKeys(in requestRecord) []string {
	return []string{"order " + in.req.OrderID, "webhook " + in.webhookID}
}

// recordRequests stores requests in one statement; see recordRequestsSQL.
func recordRequests(ctx context.Context, s *store.Store, ins []requestRecord) ([]recorded, error) {
	n := len(ins)
	var (
		webhookIDs, hashes, answers, orderIDs, tpls, classes   = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		numbers, sources, channels, states, functions, details = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		topics, keys, envs, props                              = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		bodies                                                 = make([][]byte, n)
		prePacks                                               = make([]bool, n)
		ranks                                                  = make([]int32, n)
	)
	state := oms.StateWaitingFulfillmentConfirmation
	for i, in := range ins {
		answer, _ := json.Marshal(in.answer)
		cls, err := json.Marshal(in.cls)
		if err != nil {
			return nil, err
		}
		env := in.msg.Encoded
		if len(env) == 0 {
			var err error
			if env, err = json.Marshal(in.msg.Envelope); err != nil {
				return nil, err
			}
		}
		prop, err := json.Marshal(in.msg.Properties)
		if err != nil {
			return nil, err
		}
		webhookIDs[i], hashes[i], answers[i], orderIDs[i], tpls[i] = in.webhookID, store.BodyHash(in.body), string(answer), in.req.OrderID, in.tpl
		bodies[i], classes[i], numbers[i], sources[i], channels[i], prePacks[i] = in.body, string(cls), in.req.OrderNumber, in.req.Source, in.cls.Channel, in.cls.PrePack
		states[i], ranks[i], functions[i] = state, int32(rank(state)), in.function
		details[i] = fmt.Sprintf("fulfilment requested at %s (%s, %s%s)", in.tpl, in.cls.Channel, in.cls.Reason, prePackNote(in.cls))
		topics[i], keys[i], envs[i], props[i] = in.msg.Topic, in.msg.Key, string(env), string(prop)
	}
	rows, err := s.Pool.Query(ctx, recordRequestsSQL, webhookIDs, hashes, answers, orderIDs, tpls, bodies, classes,
		numbers, sources, channels, prePacks, states, ranks, functions, details, topics, keys, envs, props)
	if err != nil {
		return nil, store.Classify(fmt.Errorf("storing %d fulfilment requests: %w", n, err))
	}
	defer rows.Close()
	byWebhook := make(map[string]int, n)
	for i, in := range ins {
		byWebhook[in.webhookID] = i
	}
	out := make([]recorded, n)
	got := 0
	for rows.Next() {
		var webhookID string
		var newReceipt, newRequest bool
		var outboxID int64
		var storedHash *string
		var stored []byte
		if err := rows.Scan(&webhookID, &newReceipt, &newRequest, &outboxID, &storedHash, &stored); err != nil {
			return nil, fmt.Errorf("reading stored fulfilment requests: %w", err)
		}
		i, ok := byWebhook[webhookID]
		if !ok {
			return nil, fmt.Errorf("storing fulfilment requests: the database answered for webhook %s, which was not sent", webhookID)
		}
		got++
		out[i] = recorded{outboxID: outboxID, newReceipt: newReceipt, duplicate: !newRequest, answer: ins[i].answer, storedHash: storedHash}
		if len(stored) > 0 {
			_ = json.Unmarshal(stored, &out[i].answer)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, store.Classify(fmt.Errorf("storing %d fulfilment requests: %w", n, err))
	}
	if got != n {
		return nil, fmt.Errorf("storing %d fulfilment requests: the database answered for %d", n, got)
	}
	return out, nil
}

// recordRequest stores one request with whatever else is waiting (see
// Request.batch) and decides what a repeat is.
func (h *Request) recordRequest(ctx context.Context, in requestRecord) (recorded, error) {
	rec, err := h.batcher().Do(ctx, in)
	if err != nil {
		return recorded{}, err
	}
	if !rec.duplicate {
		return rec, nil
	}
	hash := store.BodyHash(in.body)
	if !rec.newReceipt && rec.storedHash == nil {
		// A concurrent delivery of the same webhook committed after this
		// statement's snapshot: read what it stored.
		var stored []byte
		err := h.Store.Pool.QueryRow(ctx, `SELECT body_sha256, answer FROM webhook_receipts WHERE partner = 'oms' AND webhook_id = $1`,
			in.webhookID).Scan(&rec.storedHash, &stored)
		if err != nil {
			return recorded{}, fmt.Errorf("reading oms webhook %s: %w", in.webhookID, err)
		}
		if len(stored) > 0 {
			_ = json.Unmarshal(stored, &rec.answer)
		}
	}
	if !rec.newReceipt && rec.storedHash != nil && *rec.storedHash != hash {
		return recorded{}, fmt.Errorf("oms webhook %s: %w", in.webhookID, store.ErrWebhookIDReused)
	}
	return rec, nil
}

func (h *Request) batcher() *store.Batcher[requestRecord, recorded] {
	h.once.Do(func() {
		h.batch = store.NewBatcher(store.BatchConfig{Workers: 2}, requestKeys, func(ctx context.Context, ins []requestRecord) ([]recorded, error) {
			return recordRequests(ctx, h.Store, ins)
		})
	})
	return h.batch
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
