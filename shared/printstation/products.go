package printstation

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/partnerhttp"
)

// Product is a printable item's data from Arena, at one revision.
type Product struct {
	SKU, Name   string
	Revision    string
	EffectiveAt time.Time
	// ImageType is one of ProductImageTypes.
	ImageType  string
	Category   string
	Attributes map[string]string
}

// ProductPath is PathProduct for one SKU, escaped.
func ProductPath(sku string) string { return "/api/products/" + url.PathEscape(sku) }

// ProductResult is what PrintStation did with a product.
type ProductResult struct {
	// Changed is false when PrintStation had this revision already.
	Changed bool
	// Stale is true when PrintStation has a newer revision and kept it.
	Stale bool
	// CurrentRevision is PrintStation's revision when Stale.
	CurrentRevision string
}

// ProductError is an answer of PathProduct other than 2xx and 409
// stale_revision, in the chain of UpsertProduct's errors.
type ProductError struct {
	Status  int
	Code    string
	Message string
}

func (e *ProductError) Error() string {
	return fmt.Sprintf("PrintStation answered %d %s: %s", e.Status, e.Code, e.Message)
}

// UpsertProduct creates or updates a product at one revision, with an
// Idempotency-Key (derive it from the SKU and revision). An older revision
// than PrintStation's is answered Stale, not an error; a refusal (4xx) is
// permanent, an outage transient.
func (c *Client) UpsertProduct(ctx context.Context, p Product, idempotencyKey string) (ProductResult, error) {
	if strings.TrimSpace(p.SKU) == "" || strings.TrimSpace(p.Revision) == "" || strings.TrimSpace(idempotencyKey) == "" {
		return ProductResult{}, fault.Permanentf("sending a product to PrintStation: no SKU, revision or idempotency key")
	}
	what := fmt.Sprintf("sending product %s revision %s to PrintStation", p.SKU, p.Revision)
	if !slices.Contains(ProductImageTypes, p.ImageType) {
		return ProductResult{}, fault.Permanentf("%s: image type %q is not one PrintStation prints (%s)", what, p.ImageType, strings.Join(ProductImageTypes, ", "))
	}
	body := WireProduct{SKU: p.SKU, Name: p.Name, Revision: p.Revision, ImageType: p.ImageType, Category: p.Category, Attributes: p.Attributes}
	if !p.EffectiveAt.IsZero() {
		body.EffectiveAt = p.EffectiveAt.UTC().Format(time.RFC3339)
	}
	a, err := c.http.Do(ctx, partnerhttp.Request{Method: http.MethodPut, Path: ProductPath(p.SKU), Body: body, IdempotencyKey: idempotencyKey})
	if err != nil {
		return ProductResult{}, fmt.Errorf("%s: %w", what, err)
	}
	var w WireProductAnswer
	_ = json.Unmarshal(a.Body, &w)
	switch {
	case a.OK():
		return ProductResult{Changed: w.Changed}, nil
	case a.Status == http.StatusConflict && w.Code == ProductCodeStaleRevision:
		return ProductResult{Stale: true, CurrentRevision: c.http.Clean(w.CurrentRevision)}, nil
	}
	e := &ProductError{Status: a.Status, Code: c.http.Clean(w.Code), Message: c.http.Clean(w.Error)}
	if e.Message == "" {
		e.Message = c.http.Clean(string(a.Body))
	}
	return ProductResult{}, fmt.Errorf("%s: %w", what, c.http.Failure(a, e))
}
