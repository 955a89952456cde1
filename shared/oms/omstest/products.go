package omstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/popsockets/integration/shared/oms"
)

// Product is a product as the fake holds it, and every revision it took.
type Product struct {
	Current oms.WireProduct
	// Applied is every revision applied, in order.
	Applied []string
}

type productState struct {
	bySKU   map[string]*Product
	known   map[string]bool
	refused map[string]string
}

func (s *Server) productRoutes(mux *http.ServeMux) {
	s.products = productState{bySKU: map[string]*Product{}, known: map[string]bool{}, refused: map[string]string{}}
	mux.HandleFunc(http.MethodPut+" "+oms.PathProduct, s.handleProduct)
}

// KnowSKUs makes the fake know SKUs (as components) without a product record.
func (s *Server) KnowSKUs(skus ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range skus {
		s.products.known[k] = true
	}
}

// RefuseProduct makes every upsert of sku a 422 with msg ("" to stop).
func (s *Server) RefuseProduct(sku, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if msg == "" {
		delete(s.products.refused, sku)
		return
	}
	s.products.refused[sku] = msg
}

// Product is the product the fake holds for sku, and whether it has one.
func (s *Server) Product(sku string) (Product, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.products.bySKU[sku]
	if !ok {
		return Product{}, false
	}
	out := *p
	out.Applied = append([]string(nil), p.Applied...)
	return out, true
}

// newer reports whether revision a (effective at ea) is newer than b (eb):
// by effective time, then by revision number (shorter first, then by text,
// so "Z" < "AA" and "9" < "10").
func newer(a string, ea string, b string, eb string) bool {
	if ea != eb && ea != "" && eb != "" {
		return ea > eb // RFC 3339 in UTC sorts as text
	}
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

// handleProduct runs with s.mu held (see answer).
func (s *Server) handleProduct(w http.ResponseWriter, r *http.Request) {
	sku := r.PathValue("sku")
	var req oms.WireProduct
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, oms.WireError{Code: oms.CodeValidationFailed, Message: "body is not JSON"})
		return
	}
	if req.SKU != sku || req.Revision == "" || req.Name == "" {
		writeJSON(w, http.StatusUnprocessableEntity, oms.WireError{Code: oms.CodeValidationFailed,
			Message: "sku must match the path, and revision and name are required"})
		return
	}
	if msg, ok := s.products.refused[sku]; ok {
		writeJSON(w, http.StatusUnprocessableEntity, oms.WireError{Code: oms.CodeValidationFailed, Message: msg})
		return
	}
	var unknown []string
	for _, c := range req.BOM {
		if _, ok := s.products.bySKU[c.SKU]; !ok && !s.products.known[c.SKU] {
			unknown = append(unknown, c.SKU)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		writeJSON(w, http.StatusUnprocessableEntity, oms.WireError{Code: oms.CodeUnknownSKU,
			Message: fmt.Sprintf("BOM of %s names SKUs OMS does not know: %s", sku, strings.Join(unknown, ", "))})
		return
	}
	at := func(p oms.WireProduct) string {
		if p.EffectiveAt == nil {
			return ""
		}
		return p.EffectiveAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	p, ok := s.products.bySKU[sku]
	switch {
	case ok && p.Current.Revision == req.Revision:
		writeJSON(w, http.StatusOK, oms.WireProductResult{SKU: sku, Revision: req.Revision, Changed: false})
		return
	case ok && !newer(req.Revision, at(req), p.Current.Revision, at(p.Current)):
		writeJSON(w, http.StatusConflict, oms.WireProductResult{SKU: sku, Revision: req.Revision, Code: oms.CodeStaleRevision,
			Message: "OMS has a newer revision", CurrentRevision: p.Current.Revision})
		return
	case !ok:
		p = &Product{}
		s.products.bySKU[sku] = p
	}
	p.Current = req
	p.Applied = append(p.Applied, req.Revision)
	writeJSON(w, http.StatusOK, oms.WireProductResult{SKU: sku, Revision: req.Revision, Changed: true})
}
