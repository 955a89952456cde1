package china

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/jackyun"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/store"
)

// OMS is what the flow asks of the order management system.
type OMS interface {
	CreateOrder(ctx context.Context, o oms.SourceOrder, idempotencyKey string) (oms.CreatedOrder, error)
}

var _ OMS = (*oms.Client)(nil)

// claimLease bounds how long a claimed OMS call may take before another
// delivery may take it over (the client times out well before).
const claimLease = time.Minute

// decodeOrder reads a jackyun-orders message: the envelope, then the
// order as Jackyun sent it. What cannot be read is malformed (parked).
func decodeOrder(ctx context.Context, m *azfunc.Message) (bus.Envelope, jackyun.Trade, error) {
	if err := azfunc.CheckJSONText(m.Body); err != nil {
		return bus.Envelope{}, jackyun.Trade{}, err
	}
	env, err := bus.DecodeEnvelope(m.Body)
	if err != nil {
		return bus.Envelope{}, jackyun.Trade{}, fault.Malformed(err)
	}
	azfunc.SetCorrelationID(ctx, env.RefeID)
	if env.EventType != EventJackyunOrder {
		return bus.Envelope{}, jackyun.Trade{}, fault.Permanentf("message is a %q, not a %s", azfunc.Clip(env.EventType, 40), EventJackyunOrder)
	}
	t, err := jackyun.DecodeTrade(env.RequestedPayload)
	if err != nil {
		return bus.Envelope{}, jackyun.Trade{}, err
	}
	if t.TradeNo != env.RefeID {
		return bus.Envelope{}, jackyun.Trade{}, fault.Malformedf("envelope names order %s but the payload is order %s",
			azfunc.Clip(env.RefeID, maxID), azfunc.Clip(t.TradeNo, maxID))
	}
	return env, t, nil
}

// ToOMS is the jackyun-to-oms function.
type ToOMS struct {
	Store     *store.Store
	OMS       OMS
	Warehouse string
}

// Handle creates the order in OMS once: an order that cannot be mapped is
// refused with the reason (parked); otherwise it claims the order, asks
// OMS outside any transaction (OMS is idempotent on source + tradeNo, and
// the call carries an Idempotency-Key from the tradeNo as well), and
// records OMS's order id. A repush or a redelivery of an order OMS already
// has finds the claim done and does nothing. OMS then routes the order to
// the warehouse through the fulfilment flow.
func (h *ToOMS) Handle(ctx context.Context, m *azfunc.Message) error {
	_, t, err := decodeOrder(ctx, m)
	if err != nil {
		return err
	}
	order, err := OMSOrder(t, h.Warehouse)
	if err != nil {
		return err
	}
	inv := azfunc.Info(ctx)
	claim, err := h.Store.Claim(ctx, inv.Function, "jackyun/"+t.TradeNo, inv.ID, claimLease)
	if err != nil {
		return err
	}
	created, err := h.OMS.CreateOrder(ctx, order, claim.IdempotencyKey("jackyun/"+t.TradeNo+"/oms-create"))
	if err != nil {
		return errors.Join(err, release(ctx, claim, err))
	}
	detail := "created in OMS as " + created.OrderID
	if created.Duplicate {
		detail = "OMS already had it as " + created.OrderID
	}
	err = claim.Record(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE jackyun_orders SET oms_order_id = $2, oms_at = now() WHERE trade_no = $1`, t.TradeNo, created.OrderID); err != nil {
			return fmt.Errorf("recording the OMS order of %s: %w", t.TradeNo, err)
		}
		step := store.JourneyStep{OrderID: t.TradeNo, State: StateCreatedInOMS, System: SystemOMS, Function: inv.Function, MessageID: m.MessageID, Detail: detail}
		if err := store.RecordJourney(ctx, tx, step); err != nil {
			return err
		}
		step.OrderID, step.Detail = created.OrderID, fmt.Sprintf("created from Jackyun order %s (order no %s)", t.TradeNo, t.OrderNo)
		return store.RecordJourney(ctx, tx, step)
	})
	if err != nil {
		return err
	}
	azfunc.Note(ctx, "event", "jackyun order created in oms", "oms_order_id", created.OrderID, "duplicate", created.Duplicate,
		"lines", len(order.Lines), "attempt", claim.Attempt)
	return nil
}

// release gives a claim back after a failed OMS call; after an outright
// refusal (a 4xx: nothing happened) the next attempt carries a new key,
// since OMS answers a key with its first answer.
func release(ctx context.Context, c *store.Claim, cause error) error {
	var oe *oms.Error
	if errors.As(cause, &oe) && oe.Status >= 400 && oe.Status < 500 && oe.Status != http.StatusRequestTimeout && oe.Status != http.StatusTooManyRequests {
		return c.Refuse(ctx, cause)
	}
	return c.Release(ctx, cause)
}

// ToBatchStation is the jackyun-to-batchstation function.
type ToBatchStation struct {
	Store  *store.Store
	Outbox Notifier
	Site   string
	Now    func() time.Time
}

// Handle publishes BatchStation's payload for an order with print lines to
// order-update, exactly once per order and generation: the record and the
// outbox message are written in one transaction, keyed by the order and
// its generation, so a redelivery or a second copy of the message has no
// second effect (BatchStation refuses duplicates). An FG-only order is not
// for BatchStation: it is acknowledged and noted.
func (h *ToBatchStation) Handle(ctx context.Context, m *azfunc.Message) error {
	env, t, err := decodeOrder(ctx, m)
	if err != nil {
		return err
	}
	gen := 1
	if v := m.Property(PropGeneration); v != "" {
		if gen, err = strconv.Atoi(v); err != nil || gen < 1 {
			return fault.Malformedf("property %s %q is not a generation", PropGeneration, azfunc.Clip(v, 20))
		}
	}
	payload, pod, err := BatchStation(t, h.Site)
	if err != nil {
		return err
	}
	if !pod {
		azfunc.Note(ctx, "event", "jackyun order not for batchstation", "reason", "no line to print (FG only)")
		return nil
	}
	msg, err := batchStationMessage(env.TraceID, payload, gen, h.Now())
	if err != nil {
		return err
	}
	inv := azfunc.Info(ctx)
	var id int64
	key := t.TradeNo + "/generation-" + strconv.Itoa(gen)
	err = h.Store.Once(ctx, inv.Function, key, inv.ID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO jackyun_batchstation (trade_no, generation, payload) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, t.TradeNo, gen, payloadJSON(payload))
		if err != nil {
			return fmt.Errorf("recording the BatchStation order %s: %w", t.TradeNo, err)
		}
		if tag.RowsAffected() == 0 {
			return fault.Duplicatef("BatchStation already has order %s (generation %d)", t.TradeNo, gen)
		}
		if id, err = store.Enqueue(ctx, tx, msg); err != nil {
			return err
		}
		return store.RecordJourney(ctx, tx, store.JourneyStep{OrderID: t.TradeNo, State: StateSentToBatchStation, System: SystemIntegration,
			Function: inv.Function, MessageID: m.MessageID,
			Detail: fmt.Sprintf("to BatchStation (site %s, %d lines, generation %d) on %s", h.Site, len(payload.OrderItems), gen, TopicOrderUpdate)})
	})
	if err != nil {
		return err
	}
	h.Outbox.Notify(id, msg)
	azfunc.Note(ctx, "event", "jackyun order sent to batchstation", "site", h.Site, "lines", len(payload.OrderItems), "generation", gen)
	return nil
}

// batchStationMessage is BatchStation's payload in the company envelope on
// order-update; its key, and so its MessageId, is the order and generation.
func batchStationMessage(traceID string, p BatchStationOrder, gen int, now time.Time) (bus.Message, error) {
	env, err := bus.Request(traceID, EventBatchStationCreate, bus.ObjectOrder, p.OrderID, p, now)
	if err != nil {
		return bus.Message{}, err
	}
	return bus.Message{
		Topic: TopicOrderUpdate, Key: p.SiteID + "/" + p.OrderID + "/order-update/" + strconv.Itoa(gen), Envelope: env,
		Properties: map[string]string{PropSite: p.SiteID, PropSource: SourceJackyun},
	}, nil
}
