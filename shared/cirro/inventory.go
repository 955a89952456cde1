package cirro

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/popsockets/integration/shared/fault"
)

// ---------------------------------------------------------------------------
// ASSUMPTIONS (inventory history). Cirro lists "Inventory List" among its
// resources; the history endpoint, its query and its page shape below are
// conventional guesses in the envelope every other call uses. The fake in
// cirrotest serves exactly this.
// ---------------------------------------------------------------------------

// PathInventoryHistory pages a warehouse's daily inventory snapshots:
// POST with the usual envelope, request_data InventoryQuery, data
// InventoryPage. Reading changes nothing, so the request_id is random.
const PathInventoryHistory = "/v1/inventory/history"

// MaxInventoryPageSize is the most rows Cirro returns in one page.
const MaxInventoryPageSize = 1000

// InventoryQuery asks for the snapshots of the days from StartDate to
// EndDate (YYYY-MM-DD, the warehouse's day, both included), of one
// warehouse or of all (WarehouseCode empty), changed after UpdatedSince
// when it is set.
type InventoryQuery struct {
	WarehouseCode string `json:"warehouse_code,omitempty"`
	StartDate     string `json:"start_date"`
	EndDate       string `json:"end_date"`
	UpdatedSince  string `json:"updated_since,omitempty"` // RFC 3339
	Page          int    `json:"page"`                    // from 1
	PageSize      int    `json:"page_size"`
}

// InventorySnapshot is one SKU's quantities in one warehouse on one day.
type InventorySnapshot struct {
	WarehouseCode string `json:"warehouse_code"`
	SKU           string `json:"sku"`
	Date          string `json:"date"`
	OnHand        int64  `json:"on_hand_qty"`
	Available     int64  `json:"available_qty"`
	Allocated     int64  `json:"allocated_qty"`
	UpdatedAt     string `json:"updated_at"` // RFC 3339
}

// InventoryPage is one page of snapshots; Total counts them all.
type InventoryPage struct {
	Total    int                 `json:"total"`
	Page     int                 `json:"page"`
	PageSize int                 `json:"page_size"`
	Items    []InventorySnapshot `json:"items"`
}

// Last reports whether no page follows this one.
func (p InventoryPage) Last() bool {
	return len(p.Items) == 0 || p.Page*p.PageSize >= p.Total
}

// InventoryHistory reads one page of inventory history, within the
// endpoint's own rate budget. Errors are classified as CreateOrder's are;
// a malformed query is permanent.
func (c *Client) InventoryHistory(ctx context.Context, q InventoryQuery) (InventoryPage, error) {
	if err := q.check(); err != nil {
		return InventoryPage{}, fault.Permanent(fmt.Errorf("reading Cirro inventory history: %w", err))
	}
	data, err := json.Marshal(q)
	if err != nil {
		return InventoryPage{}, fault.Permanent(fmt.Errorf("reading Cirro inventory history: encoding the query: %w", err))
	}
	ans, o, err := c.call(ctx, PathInventoryHistory, randomID(), data, nil)
	if err != nil {
		return InventoryPage{}, fmt.Errorf("reading Cirro inventory history page %d: %w", q.Page, err)
	}
	if o != outcomeOK {
		return InventoryPage{}, fmt.Errorf("reading Cirro inventory history page %d: %w", q.Page, failure(outcomeTransient, c.apiError(ans, nil), 0))
	}
	var p InventoryPage
	if err := json.Unmarshal(ans.reply.Data, &p); err != nil {
		return InventoryPage{}, fault.Transient(fmt.Errorf("reading Cirro inventory history page %d: the data is not a page: %w", q.Page, err), 0)
	}
	return p, nil
}

func (q InventoryQuery) check() error {
	from, err1 := time.Parse(time.DateOnly, q.StartDate)
	to, err2 := time.Parse(time.DateOnly, q.EndDate)
	switch {
	case err1 != nil || err2 != nil:
		return errors.New("start_date and end_date must be YYYY-MM-DD")
	case to.Before(from):
		return fmt.Errorf("end_date %s is before start_date %s", q.EndDate, q.StartDate)
	case q.Page < 1:
		return fmt.Errorf("page %d: pages start at 1", q.Page)
	case q.PageSize < 1 || q.PageSize > MaxInventoryPageSize:
		return fmt.Errorf("page_size %d: from 1 to %d", q.PageSize, MaxInventoryPageSize)
	}
	if q.UpdatedSince != "" {
		if _, err := time.Parse(time.RFC3339, q.UpdatedSince); err != nil {
			return errors.New("updated_since must be RFC 3339")
		}
	}
	return nil
}
