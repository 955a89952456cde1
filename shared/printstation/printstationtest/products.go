package printstationtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/popsockets/integration/shared/printstation"
)

// Product is a product as the fake holds it, and every revision applied.
type Product struct {
	Current printstation.WireProduct
	Applied []string
}

// productState is the product endpoints' state (held in Server.products).
type productState struct {
	bySKU   map[string]*Product
	refused map[string]string
}

// productRoutes registers PUT PathProduct: it checks the body, keeps the
// newest revision (an older one is a 409 stale_revision) and refuses an
// image type PrintStation does not print, or a SKU it was told to refuse.
func (s *Server) productRoutes() {
	s.products = productState{bySKU: map[string]*Product{}, refused: map[string]string{}}
	s.mux.HandleFunc(http.MethodPut+" "+printstation.PathProduct, s.handleProduct)
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
	return Product{Current: p.Current, Applied: slices.Clone(p.Applied)}, true
}

// Products counts the products the fake holds.
func (s *Server) Products() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.products.bySKU)
}

func productAnswer(w http.ResponseWriter, status int, a printstation.WireProductAnswer) {
	b, _ := json.Marshal(a)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func effective(p printstation.WireProduct) string { return p.EffectiveAt }

// newerProduct reports whether revision a is newer than b: by effective
// time, then by revision number (shorter first, then by text).
func newerProduct(a, b printstation.WireProduct) bool {
	if ea, eb := effective(a), effective(b); ea != eb && ea != "" && eb != "" {
		return ea > eb
	}
	if len(a.Revision) != len(b.Revision) {
		return len(a.Revision) > len(b.Revision)
	}
	return a.Revision > b.Revision
}

func (s *Server) handleProduct(w http.ResponseWriter, r *http.Request) {
	// The server routes with mux.Handler, which does not set path values
	// (r.PathValue is empty): the SKU is read from the path itself.
	sku, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/api/products/"))
	if err != nil {
		sku = ""
	}
	var req printstation.WireProduct
	if err := json.Unmarshal(Body(r.Context()), &req); err != nil {
		productAnswer(w, http.StatusBadRequest, printstation.WireProductAnswer{Code: printstation.ProductCodeInvalid, Error: "body is not JSON"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case req.SKU != sku || req.Name == "" || req.Revision == "":
		productAnswer(w, http.StatusUnprocessableEntity, printstation.WireProductAnswer{Code: printstation.ProductCodeInvalid,
			Error: "sku must match the path, and name and revision are required"})
		return
	case !slices.Contains(printstation.ProductImageTypes, req.ImageType):
		productAnswer(w, http.StatusUnprocessableEntity, printstation.WireProductAnswer{Code: printstation.ProductCodeInvalid,
			Error: "image_type " + req.ImageType + " is not printed here"})
		return
	}
	if msg, ok := s.products.refused[sku]; ok {
		productAnswer(w, http.StatusUnprocessableEntity, printstation.WireProductAnswer{Code: printstation.ProductCodeInvalid, Error: msg})
		return
	}
	p, ok := s.products.bySKU[sku]
	switch {
	case ok && p.Current.Revision == req.Revision:
		productAnswer(w, http.StatusOK, printstation.WireProductAnswer{SKU: sku, Revision: req.Revision})
		return
	case ok && !newerProduct(req, p.Current):
		productAnswer(w, http.StatusConflict, printstation.WireProductAnswer{SKU: sku, Revision: req.Revision,
			Code: printstation.ProductCodeStaleRevision, Error: "PrintStation has a newer revision", CurrentRevision: p.Current.Revision})
		return
	case !ok:
		p = &Product{}
		s.products.bySKU[sku] = p
	}
	p.Current = req
	p.Applied = append(p.Applied, req.Revision)
	productAnswer(w, http.StatusOK, printstation.WireProductAnswer{SKU: sku, Revision: req.Revision, Changed: true})
}
