package print

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/printstation"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/webhook"
)

// Verifier checks a partner webhook's signature.
type Verifier interface {
	Verify(h http.Header, body []byte) (webhook.Verified, error)
}

// Notifier hands a committed outbox row, with its message, to the
// background publisher.
type Notifier interface {
	Notify(id int64, m bus.Message)
}

var (
	_ Verifier = (*webhook.Verifier)(nil)
	_ Notifier = (*kit.Outbox)(nil)
)

// Webhook is the printstation-webhook function: POST
// /api/printstation/batches, PrintStation reporting a batch complete, an
// item to reprint or quarantined. Each order whose print state changes
// gets a batching-update message for OMS (in the transaction of the
// change); an order all of whose print lines are printed gets COMPLETE
// with its batch_reference, once.
type Webhook struct {
	Store    *store.Store
	Verifier Verifier
	Outbox   Notifier
	Parker   Parker
	Now      func() time.Time
}

// WebhookAnswer is the body of a 200 to PrintStation.
type WebhookAnswer struct {
	Status    string `json:"status"`
	BatchID   string `json:"batch_id"`
	Duplicate bool   `json:"duplicate"`
	// Completed are the orders this event finished (OMS is told).
	Completed []string `json:"completed_orders"`
}

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ans, err := h.handle(r)
	if err != nil {
		azfunc.Fail(w, r, err)
		return
	}
	w.Header().Set("X-Correlation-Id", ans.BatchID)
	azfunc.WriteJSON(w, http.StatusOK, ans)
}

// errUnknown marks an event about a batch or item this layer never sent.
var errUnknown = errors.New("not sent by this layer")

// errNotYetSent is an event for a batch whose sending is not recorded yet.
var errNotYetSent = errors.New("batch not yet recorded as sent")

func (h *Webhook) handle(r *http.Request) (*WebhookAnswer, error) {
	ctx := r.Context()
	body, err := azfunc.ReadBody(r)
	if err != nil {
		return nil, err
	}
	// Verify before parsing, on the raw bytes: a replayed (stale) or
	// tampered request stops here, with nothing stored.
	v, err := h.Verifier.Verify(r.Header, body)
	if err != nil {
		return nil, err
	}
	if err := azfunc.CheckJSONText(body); err != nil {
		return nil, err
	}
	ev, err := printstation.ParseBatchEvent(body)
	if err != nil {
		return nil, err
	}
	azfunc.SetCorrelationID(ctx, ev.Data.BatchID)
	ans := &WebhookAnswer{Status: "received", BatchID: ev.Data.BatchID, Completed: []string{}}
	fn := FnWebhook
	var msgs []bus.Message
	var ids []int64
	err = h.Store.InTx(ctx, func(tx pgx.Tx) error {
		msgs, ids = nil, nil
		first, err := store.RecordWebhook(ctx, tx, "printstation", v.ID, body)
		if err != nil {
			return err
		}
		if !first {
			ans.Duplicate = true
			return nil
		}
		var status, site string
		err = tx.QueryRow(ctx, `SELECT status, site FROM print_batches WHERE batch_id = $1 FOR UPDATE`, ev.Data.BatchID).Scan(&status, &site)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return fault.Permanent(fmt.Errorf("PrintStation %s for batch %s: %w", ev.Type, ev.Data.BatchID, errUnknown))
		case err != nil:
			return fmt.Errorf("reading print batch %s: %w", ev.Data.BatchID, err)
		case status == "formed":
			return fault.Transient(fmt.Errorf("PrintStation %s for batch %s: %w; retry", ev.Type, ev.Data.BatchID, errNotYetSent), 5*time.Second)
		case status == "refused":
			return fault.Permanent(fmt.Errorf("PrintStation %s for batch %s, which it refused: %w", ev.Type, ev.Data.BatchID, errUnknown))
		}
		changed, err := applyEvent(ctx, tx, ev)
		if err != nil {
			return err
		}
		now := h.Now()
		// One order's lines may be in several batches whose events arrive
		// at once: each order is locked (in order, so two events never wait
		// on each other) before its lines are counted, so the last event
		// sees the others' lines and COMPLETE is never missed.
		slices.Sort(changed.orders)
		for _, o := range changed.orders {
			m, completed, err := orderUpdate(ctx, tx, o, changed.byOrder[o], ev, site, fn, v.ID, now)
			if err != nil {
				return err
			}
			if completed {
				ans.Completed = append(ans.Completed, o)
			}
			for _, msg := range m {
				id, err := store.Enqueue(ctx, tx, msg)
				if err != nil {
					return err
				}
				msgs, ids = append(msgs, msg), append(ids, id)
			}
		}
		return nil
	})
	if errors.Is(err, errUnknown) {
		// Kept, and people are told; nothing else is written.
		if _, perr := h.Parker.Park(ctx, azfunc.Parked{
			Function: FnWebhook, Trigger: azfunc.KindHTTP, Binding: ev.Type, MessageID: "printstation/" + v.ID,
			CorrelationID: ev.Data.BatchID, InvocationID: azfunc.Info(ctx).ID, DeliveryCount: 1,
			Reason: err.Error() + ": kept for a person; it is not replayable, ask PrintStation to resend once the cause is fixed", Payload: body,
		}); perr != nil {
			return nil, fmt.Errorf("keeping the event for an unknown batch: %w", perr)
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	for i, m := range msgs {
		h.Outbox.Notify(ids[i], m)
	}
	azfunc.Note(ctx, "event", "printstation "+ev.Type+" received", "duplicate", ans.Duplicate, "orders_completed", len(ans.Completed),
		"messages", len(msgs))
	return ans, nil
}

// changedItem is one line whose print status an event changed.
type changedItem struct {
	line, status, reason string
}

type changes struct {
	orders  []string
	byOrder map[string][]changedItem
}

// applyEvent moves the event's lines to their new status. An item event
// naming a line that is not in the batch is refused (errUnknown).
func applyEvent(ctx context.Context, tx pgx.Tx, ev *printstation.BatchEvent) (changes, error) {
	c := changes{byOrder: map[string][]changedItem{}}
	add := func(order string, it changedItem) {
		if _, ok := c.byOrder[order]; !ok {
			c.orders = append(c.orders, order)
		}
		c.byOrder[order] = append(c.byOrder[order], it)
	}
	for _, it := range ev.Data.Items {
		var order string
		err := tx.QueryRow(ctx, `
			UPDATE print_items SET status = $4, reason = $5, updated_at = now()
			 WHERE batch_id = $1 AND order_id = $2 AND line_number = $3 AND status IN ('sent', 'printed', 'reprint', 'quarantined')
			RETURNING order_id`, ev.Data.BatchID, it.OrderID, it.LineNumber, it.Status, store.Text(it.Reason, 500)).Scan(&order)
		if errors.Is(err, pgx.ErrNoRows) {
			return c, fault.Permanent(fmt.Errorf("PrintStation %s names order %s line %s, which is not in batch %s: %w",
				ev.Type, it.OrderID, it.LineNumber, ev.Data.BatchID, errUnknown))
		}
		if err != nil {
			return c, fmt.Errorf("recording %s of order %s line %s: %w", it.Status, it.OrderID, it.LineNumber, err)
		}
		add(order, changedItem{line: it.LineNumber, status: it.Status, reason: it.Reason})
	}
	if ev.Type != printstation.EventBatchCompleted {
		return c, nil
	}
	rows, err := tx.Query(ctx, `
		UPDATE print_items SET status = 'printed', updated_at = now() WHERE batch_id = $1 AND status = 'sent'
		RETURNING order_id, line_number`, ev.Data.BatchID)
	if err != nil {
		return c, fmt.Errorf("recording batch %s printed: %w", ev.Data.BatchID, err)
	}
	type ol struct{ order, line string }
	printed, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ol, error) {
		var x ol
		err := r.Scan(&x.order, &x.line)
		return x, err
	})
	if err != nil {
		return c, fmt.Errorf("recording batch %s printed: %w", ev.Data.BatchID, err)
	}
	slices.SortFunc(printed, func(a, b ol) int { return strings.Compare(a.order+"\x00"+a.line, b.order+"\x00"+b.line) })
	for _, p := range printed {
		add(p.order, changedItem{line: p.line, status: printstation.ItemPrinted})
	}
	if _, err := tx.Exec(ctx, `UPDATE print_batches SET status = 'completed', completed_at = now() WHERE batch_id = $1`, ev.Data.BatchID); err != nil {
		return c, fmt.Errorf("recording batch %s completed: %w", ev.Data.BatchID, err)
	}
	return c, nil
}

// orderUpdate records what an event changed for one order in its journey
// and builds the batching-update messages OMS gets: REPRINT and
// QUARANTINED for held lines, COMPLETE once every print line is printed.
func orderUpdate(ctx context.Context, tx pgx.Tx, orderID string, items []changedItem, ev *printstation.BatchEvent, site, fn, webhookID string,
	now time.Time) ([]bus.Message, bool, error) {
	if _, err := tx.Exec(ctx, `SELECT 1 FROM print_orders WHERE order_id = $1 FOR UPDATE`, orderID); err != nil {
		return nil, false, fmt.Errorf("locking print order %s: %w", orderID, err)
	}
	var total, printed int
	var batches []string
	if err := tx.QueryRow(ctx, `
		SELECT count(*), count(*) FILTER (WHERE status = 'printed'),
		       COALESCE(array_agg(DISTINCT batch_id) FILTER (WHERE batch_id IS NOT NULL), '{}')
		  FROM print_items WHERE order_id = $1`, orderID).Scan(&total, &printed, &batches); err != nil {
		return nil, false, fmt.Errorf("reading print lines of %s: %w", orderID, err)
	}
	step := store.JourneyStep{OrderID: orderID, System: SystemPrintStation, Function: fn, MessageID: webhookID}
	var held []BatchingUpdateItem
	heldStatus := ""
	for _, it := range items {
		switch it.status {
		case printstation.ItemReprint, printstation.ItemQuarantined:
			held = append(held, BatchingUpdateItem{OrderLineNumber: it.line, Status: strings.ToUpper(it.status), BatchReference: ev.Data.BatchID,
				Reason: azfunc.Clip(it.reason, 200)})
			if heldStatus != StatusQuarantined {
				heldStatus = map[string]string{printstation.ItemReprint: StatusReprint, printstation.ItemQuarantined: StatusQuarantined}[it.status]
			}
		}
	}
	var msgs []bus.Message
	if len(held) > 0 {
		lines := make([]string, len(held))
		for i, hi := range held {
			lines[i] = hi.OrderLineNumber
			if hi.Reason != "" {
				lines[i] += " (" + hi.Reason + ")"
			}
		}
		step.State = StatePrintReprint
		event := EventBatchingReprint
		if heldStatus == StatusQuarantined {
			step.State, event = StatePrintQuarantin, EventBatchingQuarantined
		}
		step.Detail = fmt.Sprintf("PrintStation %s in batch %s: %s; OMS is told (%s)", strings.ToLower(heldStatus), ev.Data.BatchID, strings.Join(lines, ", "), heldStatus)
		if err := store.RecordJourney(ctx, tx, step); err != nil {
			return nil, false, err
		}
		m, err := batchingMessage(BatchingUpdate{OrderID: orderID, SiteID: site, Status: heldStatus, BatchReference: ev.Data.BatchID,
			BatchReferences: batches, Items: held, OccurredAt: now.UTC()}, event, orderID+"/batching-update/"+heldStatus+"/"+webhookID, now)
		if err != nil {
			return nil, false, err
		}
		msgs = append(msgs, m)
	}
	nowPrinted := 0
	for _, it := range items {
		if it.status == printstation.ItemPrinted {
			nowPrinted++
		}
	}
	if nowPrinted == 0 {
		return msgs, false, nil
	}
	if printed < total {
		step.State = StateLinesPrinted
		step.Detail = fmt.Sprintf("%s printed in batch %s; %d of %d print lines printed, the order waits for the rest", lines(nowPrinted), ev.Data.BatchID, printed, total)
		return msgs, false, store.RecordJourney(ctx, tx, step)
	}
	tag, err := tx.Exec(ctx, `UPDATE print_orders SET completed_at = now(), updated_at = now() WHERE order_id = $1 AND completed_at IS NULL`, orderID)
	if err != nil {
		return nil, false, fmt.Errorf("recording print order %s complete: %w", orderID, err)
	}
	if tag.RowsAffected() == 0 {
		return msgs, false, nil // OMS was told already (a reprint printed again)
	}
	var lines []BatchingUpdateItem
	rows, err := tx.Query(ctx, `SELECT line_number, batch_id FROM print_items WHERE order_id = $1 ORDER BY line_number`, orderID)
	if err != nil {
		return nil, false, fmt.Errorf("reading print lines of %s: %w", orderID, err)
	}
	lines, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (BatchingUpdateItem, error) {
		var it BatchingUpdateItem
		err := r.Scan(&it.OrderLineNumber, &it.BatchReference)
		it.Status = "PRINTED"
		return it, err
	})
	if err != nil {
		return nil, false, fmt.Errorf("reading print lines of %s: %w", orderID, err)
	}
	omsOrder, err := keptOMSOrderID(ctx, tx, orderID)
	if err != nil {
		return nil, false, err
	}
	step.State = StatePrinted
	step.Detail = fmt.Sprintf("every print line printed (%d; batches %s); OMS is told: batching-update COMPLETE, batch_reference %s", total, strings.Join(batches, ", "), ev.Data.BatchID)
	if err := store.RecordJourney(ctx, tx, step); err != nil {
		return nil, false, err
	}
	m, err := batchingMessage(BatchingUpdate{OrderID: orderID, OMSOrderID: omsOrder, SiteID: site, Status: StatusComplete, BatchReference: ev.Data.BatchID,
		BatchReferences: batches, Items: lines, OccurredAt: now.UTC()}, EventBatchingCompleted, orderID+"/batching-update/"+StatusComplete, now)
	if err != nil {
		return nil, false, err
	}
	return append(msgs, m), true, nil
}

// keptOMSOrderID is the omsOrderId of the order-update message kept for
// the order ("" when it named none).
func keptOMSOrderID(ctx context.Context, tx pgx.Tx, orderID string) (string, error) {
	var kept []byte
	if err := tx.QueryRow(ctx, `SELECT payload FROM print_orders WHERE order_id = $1`, orderID).Scan(&kept); err != nil {
		return "", fmt.Errorf("reading the kept order %s: %w", orderID, err)
	}
	_, o, err := decodeOrderUpdate(&azfunc.Message{Body: kept})
	if err != nil {
		return "", nil // kept by this build, so readable; an old shape only loses the OMS id
	}
	return o.OMSOrderID, nil
}

func batchingMessage(u BatchingUpdate, event, key string, now time.Time) (bus.Message, error) {
	env, err := bus.Request("", event, bus.ObjectBatch, u.OrderID, u, now)
	if err != nil {
		return bus.Message{}, err
	}
	switch u.Status {
	case StatusComplete:
		env.Status, env.Message = bus.StatusSuccess, "printed: batch "+u.BatchReference
	case StatusQuarantined:
		env.Status, env.Code, env.Message = bus.StatusFailed, 500, "quarantined in batch "+u.BatchReference
	default:
		env.Message = strings.ToLower(u.Status) + " in batch " + u.BatchReference
	}
	m := bus.Message{Topic: TopicBatchingUpdate, Key: key, Envelope: env, Properties: map[string]string{PropStatus: u.Status}}
	if err := m.Encode(); err != nil {
		return bus.Message{}, err
	}
	return m, nil
}
