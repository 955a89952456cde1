package china

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/jackyun"
	"github.com/popsockets/integration/shared/store"
)

// kept is what keeping one page did.
type kept struct{ fresh, seen, parked int }

// head is what the poll reads of an order, leniently: the consumers read
// the rest, and refuse (park) what they cannot map.
type head struct {
	TradeID     jackyun.Num `json:"tradeId"`
	OrderNo     string      `json:"orderNo"`
	GmtModified string      `json:"gmtModified"`
}

func readHead(raw []byte) head {
	var h head
	if json.Unmarshal(raw, &h) != nil {
		return head{}
	}
	if azfunc.CheckField("orderNo", h.OrderNo, maxID, false) != nil {
		h.OrderNo = ""
	}
	if azfunc.CheckField("tradeId", string(h.TradeID), maxID, false) != nil {
		h.TradeID = ""
	}
	if azfunc.CheckField("gmtModified", h.GmtModified, maxID, false) != nil {
		h.GmtModified = ""
	}
	return h
}

// keep makes one page durable: an order without a usable tradeNo is parked
// (kept for a person: it cannot be deduplicated or sent on); each order
// seen for the first time is stored with its bytes and published to
// jackyun-orders in one transaction for the page; an order seen before
// is only counted.
func (p *Poll) keep(ctx context.Context, trades []jackyun.RawTrade) (kept, error) {
	var k kept
	inv := azfunc.Info(ctx)
	byNo := map[string]bool{}
	var nos, ids, orderNos, modified []string
	var raws [][]byte
	for _, t := range trades {
		if err := azfunc.CheckField("tradeNo", t.TradeNo, maxID, true); err != nil {
			sum := sha256.Sum256(t.Raw)
			res, perr := p.Parker.Park(ctx, azfunc.Parked{
				Function: inv.Function, Trigger: azfunc.KindTimer, Binding: "timer", MessageID: "jackyun/unusable/" + hex.EncodeToString(sum[:16]),
				InvocationID: inv.ID, DeliveryCount: 1, Payload: t.Raw,
				Reason: fmt.Sprintf("Jackyun order without a usable tradeNo (%v): it is not sent on; fix it in Jackyun and the poll reads it "+
					"again when its modification time moves", err),
			})
			if perr != nil {
				return kept{}, fmt.Errorf("keeping an order without a usable tradeNo: %w", perr)
			}
			if res.First {
				k.parked++
			}
			continue
		}
		if byNo[t.TradeNo] {
			k.seen++ // repeated within the page
			continue
		}
		byNo[t.TradeNo] = true
		h := readHead(t.Raw)
		nos, ids, orderNos, modified = append(nos, t.TradeNo), append(ids, string(h.TradeID)), append(orderNos, h.OrderNo), append(modified, h.GmtModified)
		raws = append(raws, t.Raw)
	}
	if len(nos) == 0 {
		return k, nil
	}
	now := p.Now()
	type queued struct {
		id  int64
		msg bus.Message
	}
	var out []queued
	err := p.Store.InTx(ctx, func(tx pgx.Tx) error {
		out = out[:0]
		rows, err := tx.Query(ctx, `
			INSERT INTO jackyun_orders (trade_no, trade_id, order_no, modified_at, raw)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[])
			ON CONFLICT (trade_no) DO UPDATE
			   SET times_seen = jackyun_orders.times_seen + 1, last_seen_at = now()
			RETURNING trade_no, xmax = 0`, nos, ids, orderNos, modified, raws)
		if err != nil {
			return fmt.Errorf("storing Jackyun orders: %w", err)
		}
		fresh := map[string]bool{}
		for rows.Next() {
			var no string
			var inserted bool
			if err := rows.Scan(&no, &inserted); err != nil {
				rows.Close()
				return fmt.Errorf("storing Jackyun orders: %w", err)
			}
			fresh[no] = inserted
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("storing Jackyun orders: %w", err)
		}
		var jNos, jDetails []string
		for i, no := range nos {
			if !fresh[no] {
				continue
			}
			msg, err := orderMessage(no, raws[i], 1, now)
			if err != nil {
				return err
			}
			id, err := store.Enqueue(ctx, tx, msg)
			if err != nil {
				return err
			}
			out = append(out, queued{id, msg})
			jNos = append(jNos, no)
			jDetails = append(jDetails, fmt.Sprintf("read from Jackyun: order no %s, modified %s (China time)", orderNos[i], modified[i]))
		}
		if len(jNos) == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO order_journey (order_id, state, system, function, message_id, detail)
			SELECT no, $2, $3, $4, no || '/jackyun-orders/1', d FROM unnest($1::text[], $5::text[]) AS j(no, d)`,
			jNos, StateReceivedFromJackyun, SystemJackyun, inv.Function, jDetails)
		if err != nil {
			return fmt.Errorf("recording Jackyun orders' journey: %w", err)
		}
		return nil
	})
	if err != nil {
		return kept{}, err
	}
	for _, q := range out {
		p.Outbox.Notify(q.id, q.msg)
	}
	k.fresh = len(out)
	k.seen += len(nos) - len(out)
	return k, nil
}

// orderMessage is an order published raw to jackyun-orders: its bytes as
// Jackyun sent them are the requested_payload; gen is its generation (1,
// then one more per repush), in the key and a property.
func orderMessage(tradeNo string, raw []byte, gen int, now time.Time) (bus.Message, error) {
	env, err := bus.Request("", EventJackyunOrder, bus.ObjectOrder, tradeNo, nil, now)
	if err != nil {
		return bus.Message{}, err
	}
	env.RequestedPayload = append([]byte(nil), raw...)
	return bus.Message{
		Topic: TopicJackyunOrders, Key: tradeNo + "/jackyun-orders/" + strconv.Itoa(gen), Envelope: env,
		Properties: map[string]string{PropSource: SourceJackyun, PropGeneration: strconv.Itoa(gen)},
	}, nil
}
