package oms

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/partnerhttp"
)

// Product is an item's data from Arena, at one revision.
type Product struct {
	SKU, Name, Description string
	Revision               string
	EffectiveAt            time.Time
	LifecyclePhase         string
	Category, UOM          string
	Attributes             map[string]string
	BOM                    []Component
}

// Component is one BOM line: a SKU and its quantity as Arena writes it.
type Component struct {
	SKU      string
	Quantity string
}

// Upserted is what OMS did with a product.
type Upserted struct {
	// Changed is false when OMS had this revision already.
	Changed bool
	// Stale is true when OMS has a newer revision and kept it.
	Stale bool
	// CurrentRevision is OMS's revision when Stale.
	CurrentRevision string
}

// UpsertProduct creates or updates a product at one revision. OMS keeps the
// newest revision: an older one is answered Stale, not an error. A
// component SKU OMS does not know, or another refusal, is permanent.
func (c *Client) UpsertProduct(ctx context.Context, p Product, idempotencyKey string) (Upserted, error) {
	if strings.TrimSpace(p.SKU) == "" || strings.TrimSpace(p.Revision) == "" {
		return Upserted{}, fault.Permanentf("sending a product to OMS: no SKU or revision")
	}
	what := fmt.Sprintf("sending product %s revision %s to OMS", p.SKU, p.Revision)
	if err := checkKey(idempotencyKey); err != nil {
		return Upserted{}, fmt.Errorf("%s: %w", what, err)
	}
	body := WireProduct{SKU: p.SKU, Name: p.Name, Description: p.Description, Revision: p.Revision, LifecyclePhase: p.LifecyclePhase,
		Category: p.Category, UOM: p.UOM, Attributes: p.Attributes}
	if !p.EffectiveAt.IsZero() {
		at := p.EffectiveAt.UTC()
		body.EffectiveAt = &at
	}
	for _, b := range p.BOM {
		body.BOM = append(body.BOM, WireBOMComponent(b))
	}
	a, err := c.http.Do(ctx, partnerhttp.Request{Method: http.MethodPut, Path: ProductPath(p.SKU), Body: body, IdempotencyKey: idempotencyKey})
	if err != nil {
		return Upserted{}, fmt.Errorf("%s: %w", what, err)
	}
	var w WireProductResult
	_ = json.Unmarshal(a.Body, &w)
	switch {
	case a.OK():
		return Upserted{Changed: w.Changed}, nil
	case a.Status == http.StatusConflict && w.Code == CodeStaleRevision:
		return Upserted{Stale: true, CurrentRevision: c.http.Clean(w.CurrentRevision)}, nil
	}
	return Upserted{}, fmt.Errorf("%s: %w", what, c.failed(a))
}
