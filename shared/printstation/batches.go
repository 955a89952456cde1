package printstation

// The print flow's calls (handlers/print): batch submission, and the
// events PrintStation's webhook sends about batches.
//
// ASSUMPTIONS (PrintStation's API is private; reference/partners.md):
//   - POST PathBatches takes one batch with our batch id and an
//     Idempotency-Key; 201 on creation, the first answer again (200) for a
//     repeated key, 409 {"code": "batch_exists"} when the batch id is
//     already there under another key (it is: that is a success), 422
//     {"code": "invalid_batch"} when it refuses the batch.
//   - The webhook is signed with Standard Webhooks (webhook-id,
//     webhook-timestamp, webhook-signature) and its body is
//     {"type", "timestamp", "data": {"batch_id", "printstation_batch_id",
//     "items": [{"order_id", "line_number", "status", "reason"}]}}, with
//     the types below; a batch.completed without items means every item of
//     the batch printed.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/partnerhttp"
)

// PathBatches is POSTed with a Batch.
const PathBatches = "/v1/batches"

// Codes PrintStation answers with, in WireError.Code.
const (
	CodeBatchExists  = "batch_exists"
	CodeInvalidBatch = "invalid_batch"
)

// Batch is one print batch: items of one print site and category.
type Batch struct {
	BatchID  string      `json:"batch_id"`
	SiteID   string      `json:"site_id"`
	Category string      `json:"category"`
	DueDate  string      `json:"due_date"`
	Items    []BatchItem `json:"items"`
}

// BatchItem is one order line to print.
type BatchItem struct {
	OrderID    string `json:"order_id"`
	LineNumber string `json:"line_number"`
	ProductSKU string `json:"product_sku"`
	RecipeID   string `json:"recipe_id,omitempty"`
	ImageType  string `json:"image_type"`
	ImageURL   string `json:"image_url"`
	Quantity   int    `json:"quantity"`
	// DueDate is YYYY-MM-DD.
	DueDate string `json:"due_date"`
}

// Submitted is PrintStation's answer to a batch.
type Submitted struct {
	BatchID             string `json:"batch_id"`
	PrintStationBatchID string `json:"printstation_batch_id"`
	Status              string `json:"status"`
	ItemCount           int    `json:"item_count"`
	// Duplicate is true when PrintStation already had the batch.
	Duplicate bool `json:"-"`
}

// WireError is PrintStation's error body.
type WireError struct {
	Code                string `json:"code"`
	Message             string `json:"message"`
	PrintStationBatchID string `json:"printstation_batch_id,omitempty"`
}

// Error is a failed answer of PrintStation.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("PrintStation answered HTTP %d", e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// SubmitBatch sends a batch. idempotencyKey makes a retry (after a
// timeout, a crash or a 5xx) have no second effect; a batch PrintStation
// already has is a success with Duplicate set.
func (c *Client) SubmitBatch(ctx context.Context, b Batch, idempotencyKey string) (Submitted, error) {
	switch {
	case b.BatchID == "":
		return Submitted{}, fault.Permanentf("sending a PrintStation batch: no batch id")
	case len(b.Items) == 0:
		return Submitted{}, fault.Permanentf("sending PrintStation batch %s: no items", b.BatchID)
	case idempotencyKey == "":
		return Submitted{}, fault.Permanentf("sending PrintStation batch %s: no idempotency key", b.BatchID)
	}
	a, err := c.http.Do(ctx, partnerhttp.Request{Method: http.MethodPost, Path: PathBatches, Body: b, IdempotencyKey: idempotencyKey})
	if err != nil {
		return Submitted{}, fmt.Errorf("sending PrintStation batch %s: %w", b.BatchID, err)
	}
	if a.OK() {
		var s Submitted
		if err := json.Unmarshal(a.Body, &s); err != nil || s.BatchID != b.BatchID {
			// It may have taken the batch: the next attempt repeats the key.
			return Submitted{}, fault.Transient(fmt.Errorf("sending PrintStation batch %s: the answer does not name the batch", b.BatchID), 0)
		}
		s.Duplicate = a.Status == http.StatusOK
		return s, nil
	}
	var we WireError
	_ = json.Unmarshal(a.Body, &we)
	if a.Status == http.StatusConflict && we.Code == CodeBatchExists {
		return Submitted{BatchID: b.BatchID, PrintStationBatchID: we.PrintStationBatchID, Status: "accepted", ItemCount: len(b.Items), Duplicate: true}, nil
	}
	return Submitted{}, fmt.Errorf("sending PrintStation batch %s: %w", b.BatchID,
		c.http.Failure(a, &Error{Status: a.Status, Code: c.http.Clean(we.Code), Message: c.http.Clean(we.Message)}))
}

// Webhook event types.
const (
	EventBatchCompleted  = "batch.completed"
	EventItemReprint     = "item.reprint"
	EventItemQuarantined = "item.quarantined"
	// EventItemPrinted reports a reprinted item done.
	EventItemPrinted = "item.printed"
)

// Item statuses in events.
const (
	ItemPrinted     = "printed"
	ItemReprint     = "reprint"
	ItemQuarantined = "quarantined"
)

// BatchEvent is the body of PrintStation's webhook.
type BatchEvent struct {
	Type      string         `json:"type"`
	Timestamp time.Time      `json:"timestamp"`
	Data      BatchEventData `json:"data"`
}

// BatchEventData is what an event is about.
type BatchEventData struct {
	BatchID             string      `json:"batch_id"`
	PrintStationBatchID string      `json:"printstation_batch_id,omitempty"`
	Items               []EventItem `json:"items,omitempty"`
}

// EventItem is one item an event reports on.
type EventItem struct {
	OrderID    string `json:"order_id"`
	LineNumber string `json:"line_number"`
	Status     string `json:"status,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// maxEventID bounds the ids an event carries; maxReason its reasons.
const (
	maxEventID = 64
	maxReason  = 500
)

// ParseBatchEvent reads and checks a webhook body. Every problem is
// Malformed, naming the field. For item events, each item's status is
// the event's (item.reprint: reprint, and so on).
func ParseBatchEvent(body []byte) (*BatchEvent, error) {
	var ev BatchEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, fault.Malformedf("PrintStation event is not valid JSON of the expected shape: %v", err)
	}
	if err := checkID("data.batch_id", ev.Data.BatchID, true); err != nil {
		return nil, err
	}
	if err := checkID("data.printstation_batch_id", ev.Data.PrintStationBatchID, false); err != nil {
		return nil, err
	}
	itemStatus := ""
	switch ev.Type {
	case EventBatchCompleted:
	case EventItemReprint:
		itemStatus = ItemReprint
	case EventItemQuarantined:
		itemStatus = ItemQuarantined
	case EventItemPrinted:
		itemStatus = ItemPrinted
	default:
		return nil, fault.Malformedf("PrintStation event type %q is not one of %s, %s, %s, %s", clip(ev.Type),
			EventBatchCompleted, EventItemReprint, EventItemQuarantined, EventItemPrinted)
	}
	if itemStatus != "" && len(ev.Data.Items) == 0 {
		return nil, fault.Malformedf("PrintStation %s event names no item (data.items)", ev.Type)
	}
	seen := map[[2]string]bool{}
	for i := range ev.Data.Items {
		it := &ev.Data.Items[i]
		if err := checkID(fmt.Sprintf("data.items[%d].order_id", i), it.OrderID, true); err != nil {
			return nil, err
		}
		if err := checkID(fmt.Sprintf("data.items[%d].line_number", i), it.LineNumber, true); err != nil {
			return nil, err
		}
		k := [2]string{it.OrderID, it.LineNumber}
		if seen[k] {
			return nil, fault.Malformedf("PrintStation event names order %s line %s twice", it.OrderID, it.LineNumber)
		}
		seen[k] = true
		if itemStatus != "" {
			if it.Status != "" && it.Status != itemStatus {
				return nil, fault.Malformedf("data.items[%d].status %q contradicts the event type %s", i, clip(it.Status), ev.Type)
			}
			it.Status = itemStatus
			continue
		}
		switch it.Status {
		case "":
			it.Status = ItemPrinted
		case ItemPrinted, ItemReprint, ItemQuarantined:
		default:
			return nil, fault.Malformedf("data.items[%d].status %q is not printed, reprint or quarantined", i, clip(it.Status))
		}
	}
	for i, it := range ev.Data.Items {
		if len(it.Reason) > maxReason {
			return nil, fault.Malformedf("data.items[%d].reason is over %d bytes", i, maxReason)
		}
	}
	return &ev, nil
}

func checkID(name, v string, required bool) error {
	switch {
	case v == "" && required:
		return fault.Malformedf("%s is missing", name)
	case len(v) > maxEventID:
		return fault.Malformedf("%s is %d bytes long, over the %d allowed", name, len(v), maxEventID)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return fault.Malformedf("%s holds a control character", name)
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) <= 32 {
		return s
	}
	cut := 32
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
