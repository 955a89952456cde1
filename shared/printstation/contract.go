package printstation

// ASSUMPTIONS. PrintStation's API is not public (reference/partners.md):
// the header below is the conventional form, and each flow's paths and
// shapes are in its own file next to the calls (batches.go, products.go).

// HeaderAPIKey carries the API key.
const HeaderAPIKey = "X-Api-Key"

// HeaderIdempotencyKey makes a retried call have no second effect.
const HeaderIdempotencyKey = "Idempotency-Key"

// ASSUMPTIONS of the product flow (handlers/product, products.go): Arena's
// printable items are upserted into PrintStation per SKU.

// PathProduct is PUT with a product.
const PathProduct = "/api/products/{sku}"

// ProductImageTypes are the image types PrintStation prints (custom print:
// CPOD, CYO, STD; POD for KH's print-on-demand lines).
var ProductImageTypes = []string{"CPOD", "CYO", "STD", "POD"}

// Product error codes.
const (
	// ProductCodeStaleRevision (409): PrintStation has a newer revision
	// (by effective_at, then revision) and kept it.
	ProductCodeStaleRevision = "stale_revision"
	// ProductCodeInvalid (422): the product was refused; error says why.
	ProductCodeInvalid = "invalid_product"
)

// WireProduct is the body of PUT PathProduct.
type WireProduct struct {
	SKU         string            `json:"sku"`
	Name        string            `json:"name"`
	Revision    string            `json:"revision"`
	EffectiveAt string            `json:"effective_at,omitempty"` // RFC 3339, UTC
	ImageType   string            `json:"image_type"`
	Category    string            `json:"category,omitempty"`
	Attributes  map[string]string `json:"attributes,omitempty"`
}

// WireProductAnswer is every answer of PathProduct: 200 {sku, revision,
// changed}; 409 {code: stale_revision, current_revision}; 4xx {code, error}.
type WireProductAnswer struct {
	SKU             string `json:"sku,omitempty"`
	Revision        string `json:"revision,omitempty"`
	Changed         bool   `json:"changed"`
	Code            string `json:"code,omitempty"`
	Error           string `json:"error,omitempty"`
	CurrentRevision string `json:"current_revision,omitempty"`
}
