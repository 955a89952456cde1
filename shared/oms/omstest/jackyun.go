package omstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/popsockets/integration/shared/oms"
)

// StateNew is the state an order created through PathOrders starts in;
// OMS then releases it and asks a warehouse for fulfilment as it does for
// its other orders.
const StateNew = "NEW"

// SourceOrder is an order the fake created through PathOrders.
type SourceOrder struct {
	OrderID string
	Request oms.WireCreateOrder
	// Calls counts the calls that named this source order, the first included.
	Calls int
}

type createdState struct {
	bySource map[string]*SourceOrder
	list     []*SourceOrder
	seq      int
}

func (s *Server) createdRoutes(mux *http.ServeMux) {
	s.created.bySource = map[string]*SourceOrder{}
	mux.HandleFunc(http.MethodPost+" "+oms.PathOrders, s.handleCreateOrder)
}

// CreatedOrder is the order the fake created for source and source order
// id, and whether there is one.
func (s *Server) CreatedOrder(source, sourceOrderID string) (SourceOrder, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.created.bySource[source+"/"+sourceOrderID]
	if !ok {
		return SourceOrder{}, false
	}
	return *o, true
}

// CreatedOrders is every order created through PathOrders, in order: one
// per source order, however often it was sent.
func (s *Server) CreatedOrders() []SourceOrder {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SourceOrder, 0, len(s.created.list))
	for _, o := range s.created.list {
		out = append(out, *o)
	}
	return out
}

// handleCreateOrder runs with s.mu held (see answer).
func (s *Server) handleCreateOrder(w http.ResponseWriter, r *http.Request) {
	var req oms.WireCreateOrder
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, oms.WireError{Code: oms.CodeValidationFailed, Message: "body is not JSON"})
		return
	}
	var problems []string
	if req.Source == "" || req.SourceOrderID == "" {
		problems = append(problems, "source and source_order_id are required")
	}
	if len(req.Lines) == 0 {
		problems = append(problems, "lines must not be empty")
	}
	for i, l := range req.Lines {
		if l.SKU == "" || l.Quantity <= 0 {
			problems = append(problems, fmt.Sprintf("lines[%d] needs a sku and a positive quantity", i))
		}
		if l.UnitPriceMinor < 0 {
			problems = append(problems, fmt.Sprintf("lines[%d].unit_price_minor is negative", i))
		}
	}
	if req.Currency == "" {
		problems = append(problems, "currency is required")
	}
	if len(problems) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, oms.WireError{Code: oms.CodeValidationFailed, Message: "invalid order", Details: problems})
		return
	}
	key := req.Source + "/" + req.SourceOrderID
	if o, ok := s.created.bySource[key]; ok {
		o.Calls++
		writeJSON(w, http.StatusOK, oms.WireCreatedOrder{OrderID: o.OrderID, Status: s.orders[o.OrderID].state, Created: false})
		return
	}
	s.created.seq++
	id := fmt.Sprintf("ORD%07d", 9_000_000+s.created.seq)
	o := &SourceOrder{OrderID: id, Request: req, Calls: 1}
	o.Request.Lines = slices.Clone(req.Lines)
	s.created.bySource[key] = o
	s.created.list = append(s.created.list, o)
	s.orders[id] = &order{state: StateNew, journey: []Step{{State: StateNew, At: s.now()}}}
	writeJSON(w, http.StatusCreated, oms.WireCreatedOrder{OrderID: id, Status: StateNew, Created: true})
}
