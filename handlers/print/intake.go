package print

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/store"
)

// Intake is the print-order-intake function: an order-update message ->
// its printable lines in the batch queue, and the decision in the order's
// journey.
type Intake struct {
	Store *store.Store
	Rules *Rules
}

// Handle decides and records once per message: the queue rows, the
// order's row and its journey step are one transaction that also marks the
// message processed, so a redelivery does nothing. Every decision, "not
// printable" included, is a journey step and the invocation's log line
// names it with the order id. A line already queued or batched is left
// alone; a line parked earlier (image rejected, batch refused) is queued
// again, with the image the message names.
func (h *Intake) Handle(ctx context.Context, m *azfunc.Message) error {
	env, o, err := decodeOrderUpdate(m)
	if err != nil {
		return err
	}
	azfunc.SetCorrelationID(ctx, o.OrderID)
	if h.Rules.Withdraws(o.Status) {
		return h.withdraw(ctx, m, o)
	}
	var d Decision
	if by, ok := h.Rules.BatchedElsewhere[m.Property(PropSource)]; ok {
		d.Reason = fmt.Sprintf("not for PrintStation batching: %s batches %s orders from its own copy of order-update",
			by, m.Property(PropSource))
	} else if d, err = Decide(o, h.Rules); err != nil {
		return err
	}
	step := store.JourneyStep{OrderID: o.OrderID, System: SystemIntegration, Function: FnIntake, MessageID: m.MessageID}
	var added, requeued, unchanged int
	err = h.Store.Once(ctx, FnIntake, m.MessageID, azfunc.Info(ctx).ID, func(tx pgx.Tx) error {
		if !d.Printable {
			step.State, step.Detail = StateNotForPrint, d.Reason
			return store.RecordJourney(ctx, tx, step)
		}
		kept, err := keptMessage(env, o)
		if err != nil {
			return err
		}
		if added, requeued, unchanged, err = queueLines(ctx, tx, o.OrderID, d, kept, m.MessageID, h.Rules); err != nil {
			return err
		}
		step.State, step.Detail = StatePrintQueued, QueuedDetail(d, h.Rules, added, requeued, unchanged)
		return store.RecordJourney(ctx, tx, step)
	})
	if err != nil {
		return err
	}
	if !d.Printable {
		azfunc.Note(ctx, "event", "order not for print", "reason", d.Reason, "warehouse", d.Warehouse)
		return nil
	}
	azfunc.Note(ctx, "event", "print lines queued", "site", d.Site, "warehouse", d.Warehouse, "lines", len(d.Lines),
		"added", added, "requeued", requeued, "unchanged", unchanged, "reason", step.Detail)
	return nil
}

func decodeOrderUpdate(m *azfunc.Message) (bus.Envelope, OrderUpdate, error) {
	var o OrderUpdate
	if err := azfunc.CheckJSONText(m.Body); err != nil {
		return bus.Envelope{}, o, err
	}
	env, err := bus.DecodeEnvelope(m.Body)
	if err != nil {
		return bus.Envelope{}, o, fault.Malformed(err)
	}
	if err := azfunc.CheckJSONText(env.RequestedPayload); err != nil {
		return bus.Envelope{}, o, fmt.Errorf("%s payload of %s: %w", env.EventType, azfunc.Clip(env.RefeID, 64), err)
	}
	if err := json.Unmarshal(env.RequestedPayload, &o); err != nil {
		return bus.Envelope{}, o, fault.Malformedf("%s payload of %s is not a BatchStation order: %v", env.EventType, azfunc.Clip(env.RefeID, 64), err)
	}
	if o.OrderID == "" {
		o.OrderID = env.RefeID
	}
	return env, o, nil
}

// withdraw takes a cancelled order's lines out of the queue, once per
// message: the lines PrintStation does not have yet are withdrawn (a
// builder holding one in a batch it is forming keeps it: the row lock
// decides), and the journey names those it has, which only PrintStation
// can pull.
func (h *Intake) withdraw(ctx context.Context, m *azfunc.Message, o OrderUpdate) error {
	var withdrawn, kept []string
	err := h.Store.Once(ctx, FnIntake, m.MessageID, azfunc.Info(ctx).ID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			UPDATE print_items SET status = 'withdrawn', reason = $2, lease_until = NULL, lease_holder = '', updated_at = now()
			 WHERE order_id = $1 AND status IN ('queued', 'validating', 'validated', 'rejected', 'refused')
			RETURNING line_number`, o.OrderID, "order-update status "+azfunc.Clip(o.Status, 32))
		if err != nil {
			return fmt.Errorf("withdrawing the print lines of %s: %w", o.OrderID, err)
		}
		if withdrawn, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return fmt.Errorf("withdrawing the print lines of %s: %w", o.OrderID, err)
		}
		rows, err = tx.Query(ctx, `
			SELECT line_number || ' (' || status || COALESCE(', batch ' || batch_id, '') || ')' FROM print_items
			 WHERE order_id = $1 AND status IN ('assigned', 'sent', 'reprint', 'quarantined') ORDER BY line_number`, o.OrderID)
		if err != nil {
			return fmt.Errorf("reading the print lines of %s: %w", o.OrderID, err)
		}
		if kept, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return fmt.Errorf("reading the print lines of %s: %w", o.OrderID, err)
		}
		detail := fmt.Sprintf("order-update status %s: %d print lines withdrawn", azfunc.Clip(o.Status, 32), len(withdrawn))
		if len(withdrawn) > 0 {
			detail += " (" + strings.Join(withdrawn, ", ") + ")"
		}
		if len(kept) > 0 {
			detail += "; with PrintStation already, ask it to pull them: " + strings.Join(kept, ", ")
		}
		return store.RecordJourney(ctx, tx, store.JourneyStep{OrderID: o.OrderID, State: StatePrintWithdrawn, System: SystemIntegration,
			Function: FnIntake, MessageID: m.MessageID, Detail: detail})
	})
	if err != nil {
		return err
	}
	azfunc.Note(ctx, "event", "print lines withdrawn", "status", o.Status, "withdrawn", len(withdrawn), "with_printstation", len(kept))
	return nil
}

// keptMessage is the message as it is kept for a re-drive (a parked line's
// replay runs it through this function again): the envelope as received,
// with the payload decoded and encoded again, so that the shipping address
// it may carry is not kept.
func keptMessage(env bus.Envelope, o OrderUpdate) ([]byte, error) {
	p, err := json.Marshal(o)
	if err != nil {
		return nil, fault.Permanent(fmt.Errorf("encoding the kept order %s: %w", o.OrderID, err))
	}
	env.RequestedPayload = p
	b, err := json.Marshal(env)
	if err != nil {
		return nil, fault.Permanent(fmt.Errorf("encoding the kept order %s: %w", o.OrderID, err))
	}
	return b, nil
}

// queueLines records the order and upserts its printable lines: new lines
// are inserted, parked lines (rejected, refused) are queued again, the
// rest are left as they are.
func queueLines(ctx context.Context, tx pgx.Tx, orderID string, d Decision, kept []byte, messageID string, r *Rules) (added, requeued, unchanged int, err error) {
	if _, err = tx.Exec(ctx, `
		INSERT INTO print_orders (order_id, warehouse, site, message_id, payload) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (order_id) DO UPDATE SET warehouse = excluded.warehouse, site = excluded.site,
		       message_id = excluded.message_id, payload = excluded.payload, updated_at = now()`,
		orderID, d.Warehouse, d.Site, messageID, kept); err != nil {
		return 0, 0, 0, fmt.Errorf("recording print order %s: %w", orderID, err)
	}
	n := len(d.Lines)
	lines, skus, recipes, types, urls, cats, waits := make([]string, n), make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n)
	qty, dues := make([]int32, n), make([]time.Time, n)
	for i, l := range d.Lines {
		lines[i], skus[i], recipes[i], types[i], urls[i], cats[i] = l.LineNumber, l.ProductSKU, l.RecipeID, l.ImageType, l.ImageURL, l.Category
		qty[i], dues[i], waits[i] = int32(l.Quantity), l.Due, r.WaitReason(d.Site, l.Category)
	}
	rows, err := tx.Query(ctx, `
		INSERT INTO print_items (order_id, line_number, warehouse, site, category, product_sku, recipe_id, image_type, image_url,
		                         quantity, due_date, wait_reason)
		SELECT $1, l, $2, $3, c, s, rc, t, u, q, d, w
		  FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::int[], $11::date[], $12::text[])
		       AS x(l, s, rc, t, u, c, q, d, w)
		ON CONFLICT (order_id, line_number) DO UPDATE SET
		       warehouse = excluded.warehouse, site = excluded.site, category = excluded.category,
		       product_sku = excluded.product_sku, recipe_id = excluded.recipe_id, image_type = excluded.image_type,
		       image_url = excluded.image_url, quantity = excluded.quantity, due_date = excluded.due_date,
		       status = 'queued', reason = '', lease_until = NULL, lease_holder = '', batch_id = NULL,
		       wait_reason = excluded.wait_reason, queued_at = now(), updated_at = now()
		 WHERE print_items.status IN ('rejected', 'refused')
		RETURNING (xmax = 0)`,
		orderID, d.Warehouse, d.Site, lines, skus, recipes, types, urls, cats, qty, dues, waits)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("queueing print lines of %s: %w", orderID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var inserted bool
		if err := rows.Scan(&inserted); err != nil {
			return 0, 0, 0, fmt.Errorf("queueing print lines of %s: %w", orderID, err)
		}
		if inserted {
			added++
		} else {
			requeued++
		}
	}
	if err := rows.Err(); err != nil {
		return 0, 0, 0, fmt.Errorf("queueing print lines of %s: %w", orderID, err)
	}
	return added, requeued, n - added - requeued, nil
}
