package omstest

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/oms"
)

// lookups are the orders the fake answers reads with (contract.go,
// LOOKUP ASSUMPTIONS), by order id, with the order of their adding.
type lookups struct {
	byID  map[string]*oms.OrderDetail
	order []string
}

func (s *Server) lookupRoutes(mux *http.ServeMux) {
	mux.HandleFunc(http.MethodGet+" "+oms.PathOrders, s.handleSearch)
	mux.HandleFunc(http.MethodGet+" "+oms.PathOrder, s.handleGetOrder)
}

// AddCustomerOrder adds an order the lookups answer with, or replaces it.
// An order also moved by the API (AddOrder, the transitions) is answered
// in its current state.
func (s *Server) AddCustomerOrder(d oms.OrderDetail) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lookups.byID == nil {
		s.lookups.byID = map[string]*oms.OrderDetail{}
	}
	if _, ok := s.lookups.byID[d.OrderID]; !ok {
		s.lookups.order = append(s.lookups.order, d.OrderID)
	}
	c := d
	c.Lines = slices.Clone(d.Lines)
	c.Fulfillments = slices.Clone(d.Fulfillments)
	s.lookups.byID[d.OrderID] = &c
}

// current is a copy of an order with its live state (s.mu held).
func (s *Server) current(id string) oms.OrderDetail {
	d := *s.lookups.byID[id]
	if o := s.orders[id]; o != nil {
		d.Status = o.state
	}
	return d
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// The route handlers run with s.mu held (see answer).

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var by, want string
	n := 0
	for _, f := range []string{oms.QueryEmail, oms.QueryPhone, oms.QueryName, oms.QueryCustomerID} {
		if v := q.Get(f); v != "" {
			by, want = f, v
			n++
		}
	}
	if n != 1 {
		writeJSON(w, http.StatusUnprocessableEntity, oms.WireError{Code: oms.CodeValidationFailed, Message: "give exactly one of email, phone, name, customer_id"})
		return
	}
	limit, err := strconv.Atoi(q.Get(oms.QueryLimit))
	if err != nil || limit < 1 || limit > oms.MaxOrdersLimit {
		writeJSON(w, http.StatusUnprocessableEntity, oms.WireError{Code: oms.CodeValidationFailed, Message: fmt.Sprintf("limit must be 1 to %d", oms.MaxOrdersLimit)})
		return
	}
	var found []oms.OrderSummary
	for _, id := range s.lookups.order {
		d := s.current(id)
		c := d.Customer
		var ok bool
		switch by {
		case oms.QueryEmail:
			ok = strings.EqualFold(c.Email, want)
		case oms.QueryPhone:
			ok = digits(c.Phone) != "" && digits(c.Phone) == digits(want)
		case oms.QueryName:
			ok = strings.EqualFold(strings.Join(strings.Fields(c.Name), " "), strings.Join(strings.Fields(want), " "))
		case oms.QueryCustomerID:
			ok = c.ID == want
		}
		if ok {
			found = append(found, d.OrderSummary)
		}
	}
	slices.SortStableFunc(found, func(a, b oms.OrderSummary) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if len(found) > limit {
		found = found[:limit]
	}
	if found == nil {
		found = []oms.OrderSummary{}
	}
	writeJSON(w, http.StatusOK, oms.OrderList{Orders: found})
}

func (s *Server) handleGetOrder(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("order_id")
	if _, ok := s.lookups.byID[id]; !ok {
		writeJSON(w, http.StatusNotFound, oms.WireError{Code: oms.CodeNotFound, OrderID: id, Message: fmt.Sprintf("order %s not found", id)})
		return
	}
	writeJSON(w, http.StatusOK, s.current(id))
}

// SampleCustomers returns n invented customers with one to four orders
// each, the same for the same seed: lines of the sample SKUs, totals in
// USD, and for shipped orders a fulfilment with carrier and tracking.
// Customer ids are CUST-<n>, order ids ORD and 7 digits (the fulfilment
// samples have 6); emails are @example.com, phones 555-01xx.
func SampleCustomers(n int, seed int64) [][]oms.OrderDetail {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x61ad))
	states := []string{oms.StateShipped, oms.StateShipped, oms.StateExportedToTPL, oms.StateWaitingFulfillmentConfirmation, oms.StateReleasedFromNAV}
	out := make([][]oms.OrderDetail, 0, n)
	orderNo := 500000 + rng.IntN(400000)
	for i := range n {
		first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
		place := places[rng.IntN(len(places))]
		cust := oms.OrderCustomer{
			ID:    fmt.Sprintf("CUST-%06d", 100000+int(seed%1000)*1000+i),
			Name:  first + " " + last,
			Email: fmt.Sprintf("%s.%s.%d@example.com", strings.ToLower(first), strings.ToLower(last), i),
			Phone: fmt.Sprintf("+1 (%03d) 555-01%02d", 200+rng.IntN(700), rng.IntN(100)),
			Address: &oms.Address{Line1: fmt.Sprintf("%d %s", 10+rng.IntN(9000), streets[rng.IntN(len(streets))]),
				City: place.city, Region: place.region, PostalCode: place.zip, Country: "US"},
		}
		var orders []oms.OrderDetail
		for k := range 1 + rng.IntN(4) {
			orderNo++
			created := sampleEpoch.Add(time.Duration(i*97+k*31) * time.Hour)
			d := oms.OrderDetail{OrderSummary: oms.OrderSummary{
				OrderID: fmt.Sprintf("ORD%07d", orderNo), OrderNumber: fmt.Sprintf("SF%07d", orderNo), Status: states[rng.IntN(len(states))],
				Source: oms.SourceSFCC, CreatedAt: created, Currency: "USD", Customer: cust,
			}}
			for range 1 + rng.IntN(3) {
				sk := skus[rng.IntN(len(skus))]
				q := 1 + rng.IntN(3)
				d.Lines = append(d.Lines, oms.OrderLine{SKU: sk.code, Name: strings.ReplaceAll(sk.code, "-", " "), Quantity: q, UnitPriceMinor: sk.price, Status: "open"})
				d.TotalMinor += int64(q) * sk.price
			}
			if d.Status == oms.StateShipped {
				shipped := created.Add(30 * time.Hour)
				d.Fulfillments = []oms.OrderFulfillment{{Status: "shipped", TPL: "cirro", Carrier: "UPS", ShippedAt: &shipped,
					TrackingNumbers: []string{fmt.Sprintf("1ZCRR%013d", orderNo)},
					TrackingURL:     fmt.Sprintf("https://www.ups.com/track?tracknum=1ZCRR%013d", orderNo)}}
				for j := range d.Lines {
					d.Lines[j].Status = "shipped"
				}
			}
			orders = append(orders, d)
		}
		out = append(out, orders)
	}
	return out
}
