package cirrotest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"time"

	"github.com/popsockets/integration/shared/cirro"
	"github.com/popsockets/integration/shared/fakeserver"
)

// DefaultInventoryWarehouses are the warehouses the fake keeps inventory
// history for when Config.InventoryWarehouses is empty.
var DefaultInventoryWarehouses = []string{"CIRRO-LA", "CIRRO-NJ"}

// DefaultInventorySKUs is how many SKUs each warehouse holds when
// Config.InventorySKUs is zero.
const DefaultInventorySKUs = 25

// InventorySKU is the fake's i-th SKU (from 0).
func InventorySKU(i int) string { return fmt.Sprintf("PS-%06d", i) }

// InventorySnapshot is the snapshot the fake serves for one warehouse, SKU
// and day: the same arguments always give the same snapshot, so a history
// of any length is served without being held. It was last updated at the
// end of its day (UTC).
func InventorySnapshot(warehouse string, sku int, day time.Time) cirro.InventorySnapshot {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%d|%s", warehouse, sku, day.Format(time.DateOnly))
	v := h.Sum64()
	onHand := int64(v % 5000)
	allocated := int64((v >> 16) % 200)
	if allocated > onHand {
		allocated = onHand
	}
	return cirro.InventorySnapshot{WarehouseCode: warehouse, SKU: InventorySKU(sku), Date: day.Format(time.DateOnly),
		OnHand: onHand, Available: onHand - allocated, Allocated: allocated,
		UpdatedAt: day.Add(24*time.Hour - time.Second).UTC().Format(time.RFC3339)}
}

// SetInventory reshapes the inventory history the fake serves: these
// warehouses, each holding skus SKUs every day.
func (s *Server) SetInventory(warehouses []string, skus int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.InventoryWarehouses = append([]string(nil), warehouses...)
	s.cfg.InventorySKUs = skus
}

// InventoryRows is how many snapshots a query's pages hold in all.
func (s *Server) InventoryRows(q cirro.InventoryQuery) int {
	_, days, whs, err := s.inventoryScope(q)
	if err != nil {
		return 0
	}
	return days * len(whs) * s.inventorySKUs()
}

// InventoryCalls is how many history pages were asked for.
func (s *Server) InventoryCalls() int {
	return s.count(func(p string) bool { return p == cirro.PathInventoryHistory })
}

func (s *Server) inventorySKUs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.InventorySKUs > 0 {
		return s.cfg.InventorySKUs
	}
	return DefaultInventorySKUs
}

// inventoryScope is the first day, the number of days and the warehouses
// q covers.
func (s *Server) inventoryScope(q cirro.InventoryQuery) (time.Time, int, []string, error) {
	from, err1 := time.Parse(time.DateOnly, q.StartDate)
	to, err2 := time.Parse(time.DateOnly, q.EndDate)
	if err1 != nil || err2 != nil || to.Before(from) {
		return time.Time{}, 0, nil, fmt.Errorf("start_date and end_date must be YYYY-MM-DD, in order")
	}
	if q.UpdatedSince != "" {
		since, err := time.Parse(time.RFC3339, q.UpdatedSince)
		if err != nil {
			return time.Time{}, 0, nil, fmt.Errorf("updated_since must be RFC 3339")
		}
		// A day's snapshots were updated at its end: skip the days before.
		for !from.After(to) && !from.Add(24*time.Hour-time.Second).After(since) {
			from = from.AddDate(0, 0, 1)
		}
	}
	s.mu.Lock()
	whs := s.cfg.InventoryWarehouses
	s.mu.Unlock()
	if len(whs) == 0 {
		whs = DefaultInventoryWarehouses
	}
	if q.WarehouseCode != "" {
		if !slices.Contains(whs, q.WarehouseCode) {
			return time.Time{}, 0, nil, fmt.Errorf("warehouse_code %s does not exist", q.WarehouseCode)
		}
		whs = []string{q.WarehouseCode}
	}
	days := 0
	if !from.After(to) {
		days = int(to.Sub(from)/(24*time.Hour)) + 1
	}
	return from, days, whs, nil
}

// inventory answers one history page: days in order, then warehouses,
// then SKUs.
func (s *Server) inventory(r *http.Request, body []byte) fakeserver.Answer {
	s.mu.Lock()
	a, refused := s.refuse(r)
	s.mu.Unlock()
	if refused {
		return a
	}
	var env cirro.Envelope
	var q cirro.InventoryQuery
	if json.Unmarshal(body, &env) != nil || json.Unmarshal(env.RequestData, &q) != nil {
		return envelope(http.StatusBadRequest, cirro.CodeInvalidParameter, "request is not a JSON envelope", nil)
	}
	if q.Page < 1 || q.PageSize < 1 || q.PageSize > cirro.MaxInventoryPageSize {
		return envelope(http.StatusOK, cirro.CodeInvalidParameter, "page and page_size are out of range", nil)
	}
	from, days, whs, err := s.inventoryScope(q)
	if err != nil {
		return envelope(http.StatusOK, cirro.CodeInvalidParameter, err.Error(), nil)
	}
	skus := s.inventorySKUs()
	total := days * len(whs) * skus
	page := cirro.InventoryPage{Total: total, Page: q.Page, PageSize: q.PageSize, Items: []cirro.InventorySnapshot{}}
	for i := (q.Page - 1) * q.PageSize; i < total && i < q.Page*q.PageSize; i++ {
		day := from.AddDate(0, 0, i/(len(whs)*skus))
		rest := i % (len(whs) * skus)
		page.Items = append(page.Items, InventorySnapshot(whs[rest/skus], rest%skus, day))
	}
	return envelope(http.StatusOK, cirro.CodeOK, "success", page)
}
