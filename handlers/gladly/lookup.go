package gladly

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/popsockets/integration/shared/azfunc"
	glad "github.com/popsockets/integration/shared/gladly"
	"github.com/popsockets/integration/shared/oms"
)

// Verifier checks Gladly's request signature.
type Verifier interface {
	Verify(r *http.Request, body []byte) error
}

// OrderReader reads OMS orders.
type OrderReader interface {
	SearchOrders(ctx context.Context, q oms.OrderQuery) ([]oms.OrderSummary, error)
	GetOrder(ctx context.Context, orderID string) (*oms.OrderDetail, error)
}

var (
	_ Verifier    = (*glad.Verifier)(nil)
	_ OrderReader = (*oms.Client)(nil)
)

// Lookup is the gladly-lookup function: POST /api/gladly/lookup.
type Lookup struct {
	Verifier Verifier
	OMS      OrderReader
	// Budget bounds every OMS call of one lookup together (default 3 s).
	Budget time.Duration
	// MaxOrders bounds the orders of a DETAILED answer (default 10).
	MaxOrders int
	Cache     *Cache
	Mapping   Mapping
}

// maxSearches bounds the OMS searches of one BASIC lookup (one per email,
// phone and the name); parallel bounds the reads in flight at once.
const (
	maxSearches = 10
	parallel    = 8
)

func (h *Lookup) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp, err := h.handle(r)
	if err != nil {
		azfunc.Fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	azfunc.WriteJSON(w, http.StatusOK, resp)
}

// reads counts what one lookup asked of OMS.
type reads struct {
	asked, answered, cached, stale atomic.Int32
}

func (h *Lookup) handle(r *http.Request) (*glad.LookupResponse, error) {
	ctx := r.Context()
	body, err := azfunc.ReadBody(r)
	if err != nil {
		return nil, err
	}
	// Verify before parsing, on the raw bytes.
	if err := h.Verifier.Verify(r, body); err != nil {
		azfunc.Note(ctx, "reason", glad.Reason(err))
		return nil, err
	}
	if id := r.Header.Get(glad.HeaderCorrelationID); plainID(id) {
		azfunc.Note(ctx, "gladly_correlation_id", id)
	}
	if err := azfunc.CheckJSONText(body); err != nil {
		return nil, err
	}
	req, err := glad.DecodeLookup(body)
	if err != nil {
		return nil, err
	}
	budget := h.Budget
	if budget <= 0 {
		budget = 3 * time.Second
	}
	octx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	var rd reads
	var results []glad.Result
	if req.LookupLevel == glad.LevelDetailed {
		azfunc.SetCorrelationID(ctx, req.Query.ExternalCustomerID)
		results = h.detailed(octx, budget, req.Query.ExternalCustomerID, &rd)
	} else {
		results = h.basic(octx, budget, req.Query, &rd)
	}
	asked, answered := int(rd.asked.Load()), int(rd.answered.Load())
	azfunc.Note(ctx, "event", "gladly lookup answered", "level", req.LookupLevel, "results", len(results),
		"partial", answered < asked, "oms_reads", asked, "oms_answered", answered, "from_cache", rd.cached.Load(), "stale", rd.stale.Load())
	if results == nil {
		results = []glad.Result{}
	}
	return &glad.LookupResponse{Results: results}, nil
}

// plainID reports whether a correlation id is safe to log as it is.
func plainID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (h *Lookup) maxOrders() int {
	if h.MaxOrders <= 0 {
		return 10
	}
	return min(h.MaxOrders, oms.MaxOrdersLimit)
}

// search runs one OMS search through the cache; ok is false when OMS gave
// no answer in time and no older one could stand in.
func (h *Lookup) search(ctx context.Context, budget time.Duration, q oms.OrderQuery, rd *reads) ([]oms.OrderSummary, bool) {
	rd.asked.Add(1)
	key := "search|" + q.Email + "|" + q.Phone + "|" + strings.ToLower(q.Name) + "|" + q.CustomerID
	v, src, err := h.Cache.Get(ctx, key, budget, func(ctx context.Context) (any, error) { return h.OMS.SearchOrders(ctx, q) })
	if err != nil {
		azfunc.Logger(ctx).Debug("an OMS search for a lookup failed", "error", err)
		return nil, false
	}
	rd.count(src)
	return v.([]oms.OrderSummary), true
}

func (h *Lookup) order(ctx context.Context, budget time.Duration, id string, rd *reads) (*oms.OrderDetail, bool) {
	rd.asked.Add(1)
	v, src, err := h.Cache.Get(ctx, "order|"+id, budget, func(ctx context.Context) (any, error) { return h.OMS.GetOrder(ctx, id) })
	if err != nil {
		if errors.Is(err, oms.ErrOrderNotFound) {
			rd.answered.Add(1) // OMS answered: there is no such order
		}
		return nil, false
	}
	rd.count(src)
	return v.(*oms.OrderDetail), true
}

func (rd *reads) count(src Source) {
	rd.answered.Add(1)
	switch src {
	case FromCache:
		rd.cached.Add(1)
	case FromStale:
		rd.stale.Add(1)
	}
}

// basic searches OMS by each email, each phone and the name at once, and
// answers the customers found by those that answered in time.
func (h *Lookup) basic(ctx context.Context, budget time.Duration, q glad.Query, rd *reads) []glad.Result {
	var qs []oms.OrderQuery
	for _, e := range q.Emails {
		qs = append(qs, oms.OrderQuery{Email: e})
	}
	for _, p := range q.Phones {
		qs = append(qs, oms.OrderQuery{Phone: p})
	}
	if q.Name != "" {
		qs = append(qs, oms.OrderQuery{Name: q.Name})
	}
	if len(qs) > maxSearches {
		qs = qs[:maxSearches]
	}
	var mu sync.Mutex
	var found []oms.OrderSummary
	forEach(len(qs), func(i int) {
		qs[i].Limit = h.maxOrders()
		orders, ok := h.search(ctx, budget, qs[i], rd)
		if ok {
			mu.Lock()
			found = append(found, orders...)
			mu.Unlock()
		}
	})
	return BasicResults(found)
}

// detailed answers one customer: their orders (one search), then each
// order's details at once; whatever is late is left out and said so.
func (h *Lookup) detailed(ctx context.Context, budget time.Duration, id string, rd *reads) []glad.Result {
	orders, ok := h.search(ctx, budget, oms.OrderQuery{CustomerID: id, Limit: h.maxOrders()}, rd)
	if !ok {
		// Gladly asked for a customer it has linked: answer it, and say
		// nothing was read, rather than time out or drop the link.
		return []glad.Result{{ExternalCustomerID: id, CustomAttributes: map[string]string{"lookupStatus": PartialStatus(0, 1)}}}
	}
	if len(orders) == 0 {
		return nil // OMS knows no such customer
	}
	details := make(map[string]*oms.OrderDetail, len(orders))
	var mu sync.Mutex
	forEach(len(orders), func(i int) {
		if d, ok := h.order(ctx, budget, orders[i].OrderID, rd); ok {
			mu.Lock()
			details[orders[i].OrderID] = d
			mu.Unlock()
		}
	})
	status := StatusComplete
	if a, n := int(rd.answered.Load()), int(rd.asked.Load()); a < n {
		status = PartialStatus(a, n)
	}
	return []glad.Result{h.Mapping.DetailedResult(id, orders, details, status)}
}

// forEach runs fn(0..n-1), at most parallel at once, and waits for them.
func forEach(n int, fn func(i int)) {
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(i)
		}()
	}
	wg.Wait()
}
