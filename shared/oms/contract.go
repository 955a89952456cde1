package oms

// ASSUMPTIONS. This file is the one place that holds what this package
// assumes about OMS's private API: paths, headers, bodies, error codes and
// the order of states. The client and the fake (omstest) both read it, so a
// change here changes both. See "Assumptions" in doc.go.

import (
	"net/url"
	"slices"
	"time"
)

// Headers.
const (
	// HeaderIdempotencyKey carries the caller's key on every mutating call.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderAuthorization carries "Bearer <OMS_API_TOKEN>".
	HeaderAuthorization = "Authorization"
	// BearerPrefix starts the Authorization value.
	BearerPrefix = "Bearer "
)

// Paths, relative to OMS_BASE_URL. The {order_id} pattern is the one
// net/http's ServeMux reads, so the fake registers these strings as they are.
const (
	// PathOrderStatus is PATCHed on NAV release (Camel: cm-osor-sys "PATCH status").
	PathOrderStatus = "/api/v3/osor_order/orders/{order_id}/status"
	// PathCirroConfirmation is POSTed when the warehouse accepts the order.
	PathCirroConfirmation = "/order/cirro-confirmation"
	// PathFulfillOrders is POSTed with tracking when the order ships.
	PathFulfillOrders = "/api/v3/osor_order/fulfill_orders"
)

// OrderStatusPath is PathOrderStatus for one order, its id escaped.
func OrderStatusPath(orderID string) string {
	return "/api/v3/osor_order/orders/" + url.PathEscape(orderID) + "/status"
}

// Error codes OMS answers with, in WireError.Code.
const (
	// CodeInvalidTransition (409): the order is in a state the call cannot
	// move it from; WireError.CurrentStatus says which.
	CodeInvalidTransition = "invalid_transition"
	// CodeAlreadyInState (409): the order is already in the target state or
	// past it; the call changed nothing.
	CodeAlreadyInState = "already_in_state"
	// CodeNotFound (404): no such order.
	CodeNotFound = "not_found"
	// CodeValidationFailed (422): the body is missing or has wrong fields.
	CodeValidationFailed = "validation_failed"
	// CodeIdempotencyKeyReused (422): the key came back with another request.
	CodeIdempotencyKeyReused = "idempotency_key_reused"
	// CodeUnauthorized (401): no or a wrong bearer token.
	CodeUnauthorized = "unauthorized"
)

// lifecycle is the line of states this layer sees, in order.
var lifecycle = []string{
	StatePendingNAVRelease,
	StateReleasedFromNAV,
	StateWaitingFulfillmentConfirmation,
	StateExportedToTPL,
	StateShipped,
}

// AtOrPast reports whether state is target or a later state on the line of
// states this layer sees. A state off the line is never at or past.
func AtOrPast(state, target string) bool {
	s, t := slices.Index(lifecycle, state), slices.Index(lifecycle, target)
	return s >= 0 && t >= 0 && s >= t
}

// WireStatusChange is the body of PATCH PathOrderStatus.
type WireStatusChange struct {
	Status         string `json:"status"`
	ExpectedStatus string `json:"expected_status,omitempty"`
}

// WireConfirmation is the body of POST PathCirroConfirmation.
type WireConfirmation struct {
	OrderID    string     `json:"order_id"`
	TPL        string     `json:"tpl"`
	TPLOrderNo string     `json:"tpl_order_no,omitempty"`
	AcceptedAt *time.Time `json:"accepted_at,omitempty"`
}

// WireFulfillOrders is the body of POST PathFulfillOrders.
type WireFulfillOrders struct {
	Orders []WireFulfilledOrder `json:"orders"`
}

// WireFulfilledOrder is one shipped order in WireFulfillOrders.
type WireFulfilledOrder struct {
	OrderID         string            `json:"order_id"`
	Carrier         string            `json:"carrier"`
	TrackingNumbers []string          `json:"tracking_numbers"`
	ShippedAt       time.Time         `json:"shipped_at"`
	TPL             string            `json:"tpl,omitempty"`
	Lines           []WireShippedLine `json:"lines,omitempty"`
}

// WireShippedLine is one shipped line.
type WireShippedLine struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// WireOrderStatus is a 2xx answer for one order.
type WireOrderStatus struct {
	OrderID string `json:"order_id"`
	Status  string `json:"status"`
	// Changed is false when the order was already in the state.
	Changed bool `json:"changed"`
}

// WireFulfillResult is the 2xx answer of PathFulfillOrders.
type WireFulfillResult struct {
	Orders []WireOrderStatus `json:"orders"`
}

// WireError is the body of every 4xx and 5xx answer.
type WireError struct {
	Code          string   `json:"code"`
	Message       string   `json:"message"`
	OrderID       string   `json:"order_id,omitempty"`
	CurrentStatus string   `json:"current_status,omitempty"`
	Details       []string `json:"details,omitempty"`
}

// wireConfirmation maps a Confirmation to its body.
func wireConfirmation(c Confirmation) WireConfirmation {
	w := WireConfirmation{OrderID: c.OrderID, TPL: c.TPL, TPLOrderNo: c.TPLOrderNo}
	if !c.AcceptedAt.IsZero() {
		at := c.AcceptedAt.UTC()
		w.AcceptedAt = &at
	}
	return w
}

// wireFulfillOrders maps Fulfillments to their body.
func wireFulfillOrders(fs []Fulfillment) WireFulfillOrders {
	w := WireFulfillOrders{Orders: make([]WireFulfilledOrder, 0, len(fs))}
	for _, f := range fs {
		o := WireFulfilledOrder{
			OrderID:         f.OrderID,
			Carrier:         f.Carrier,
			TrackingNumbers: slices.Clone(f.TrackingNumbers),
			ShippedAt:       f.ShippedAt.UTC(),
			TPL:             f.TPL,
		}
		for _, l := range f.Lines {
			o.Lines = append(o.Lines, WireShippedLine(l))
		}
		w.Orders = append(w.Orders, o)
	}
	return w
}

// ASSUMPTIONS of the China flow (handlers/china, jackyun.go): orders from
// Jackyun are created in OMS, which then routes them (to XB) through the
// fulfilment flow that exists.

// PathOrders is POSTed to create an order from another source (A: the
// GeneralizeOrderJob's endpoint of the v3 namespace).
const PathOrders = "/api/v3/osor_order/orders"

// CodeDuplicateOrder (409): OMS already has an order for the source and
// source order id; WireCreatedOrder's order_id names it (A). An answer of
// 200 with created false says the same.
const CodeDuplicateOrder = "duplicate_order"

// WireCreateOrder is the body of POST PathOrders. OMS is idempotent on
// source + source_order_id: the same pair never makes a second order (A).
type WireCreateOrder struct {
	Source        string          `json:"source"`
	SourceOrderID string          `json:"source_order_id"`
	OrderNumber   string          `json:"order_number"`
	Shop          string          `json:"shop,omitempty"`
	Warehouse     string          `json:"warehouse,omitempty"`
	Currency      string          `json:"currency"`
	OrderedAt     *time.Time      `json:"ordered_at,omitempty"`
	Lines         []WireOrderLine `json:"lines"`
}

// WireOrderLine is one line of WireCreateOrder.
type WireOrderLine struct {
	LineNo         int    `json:"line_no"`
	SKU            string `json:"sku"`
	Quantity       int    `json:"quantity"`
	UnitPriceMinor int64  `json:"unit_price_minor"`
	// Print is true for a line to be printed (custom print).
	Print bool `json:"print,omitempty"`
}

// WireCreatedOrder is the 201 (created) or 200 (existing) answer, and the
// body of a 409 duplicate_order.
type WireCreatedOrder struct {
	OrderID string `json:"order_id"`
	Status  string `json:"status,omitempty"`
	Created bool   `json:"created"`
	Code    string `json:"code,omitempty"`
}

// ASSUMPTIONS of the product flow (handlers/product, products.go): Arena's
// item data is upserted into OMS per SKU (reference/partners.md: "PUT
// /products/{sku} (Arena fan-out)").

// PathProduct is PUT with a product (A: in the v3 namespace).
const PathProduct = "/api/v3/products/{sku}"

// ProductPath is PathProduct for one SKU, escaped.
func ProductPath(sku string) string { return "/api/v3/products/" + url.PathEscape(sku) }

// Error codes of PathProduct.
const (
	// CodeStaleRevision (409): OMS has a newer revision of the product
	// (by effective_at, then revision) and kept it; current_revision says
	// which. The client treats it as done: an older revision never
	// overwrites a newer one.
	CodeStaleRevision = "stale_revision"
	// CodeUnknownSKU (422): a BOM component is a SKU OMS does not know.
	CodeUnknownSKU = "unknown_sku"
)

// WireProduct is the body of PUT PathProduct.
type WireProduct struct {
	SKU            string             `json:"sku"`
	Name           string             `json:"name"`
	Description    string             `json:"description,omitempty"`
	Revision       string             `json:"revision"`
	EffectiveAt    *time.Time         `json:"effective_at,omitempty"`
	LifecyclePhase string             `json:"lifecycle_phase,omitempty"`
	Category       string             `json:"category,omitempty"`
	UOM            string             `json:"uom,omitempty"`
	Attributes     map[string]string  `json:"attributes,omitempty"`
	BOM            []WireBOMComponent `json:"bom,omitempty"`
}

// WireBOMComponent is one component of WireProduct.
type WireBOMComponent struct {
	SKU      string `json:"sku"`
	Quantity string `json:"quantity"`
}

// WireProductResult is the 200 answer of PathProduct, and (with Code and
// CurrentRevision) the body of a 409 stale_revision.
type WireProductResult struct {
	SKU             string `json:"sku"`
	Revision        string `json:"revision"`
	Changed         bool   `json:"changed"`
	Code            string `json:"code,omitempty"`
	Message         string `json:"message,omitempty"`
	CurrentRevision string `json:"current_revision,omitempty"`
}

// LOOKUP ASSUMPTIONS (Gladly's lookups read orders; nothing here changes one).
//
//   - GET PathOrders with exactly one filter, email, phone, name or
//     customer_id, and a limit (at most MaxOrdersLimit), answers
//     {"orders":[OrderSummary...]}, newest first; no match is an empty
//     list, not a 404. Emails and names match whatever their case (a name
//     matches the customer's full name); phones match on their digits.
//   - GET PathOrder answers one OrderDetail: the summary, its lines and its
//     fulfilments with carrier and tracking; 404 not_found for an unknown id.
//   - A customer's id (customer.id) is OMS's own and stable: it is the
//     externalCustomerId Gladly keeps for a linked customer.
//   - Reads need no Idempotency-Key; the bearer token is the same kind as
//     for the other calls (a read-only one is enough).
//   - Money is in minor units of the order's currency (total_minor,
//     unit_price_minor).

// Lookup paths, relative to OMS_BASE_URL.
//
// PathOrders (declared above with the China flow's create, which POSTs
// to it) is also GET, with one filter (QueryEmail, QueryPhone, QueryName or
// QueryCustomerID) and QueryLimit: order summaries, newest first.

// PathOrder is GET: one order, with lines and fulfilments.
const PathOrder = "/api/v3/osor_order/orders/{order_id}"

// OrderPath is PathOrder for one order, its id escaped.
func OrderPath(orderID string) string {
	return "/api/v3/osor_order/orders/" + url.PathEscape(orderID)
}

// Query parameters of PathOrders.
const (
	QueryEmail      = "email"
	QueryPhone      = "phone"
	QueryName       = "name"
	QueryCustomerID = "customer_id"
	QueryLimit      = "limit"
)

// MaxOrdersLimit is the largest limit PathOrders takes.
const MaxOrdersLimit = 50

// OrderList is the answer of PathOrders.
type OrderList struct {
	Orders []OrderSummary `json:"orders"`
}

// OrderSummary is an order as a search lists it.
type OrderSummary struct {
	OrderID     string    `json:"order_id"`
	OrderNumber string    `json:"order_number"`
	Status      string    `json:"status"`
	Source      string    `json:"source"`
	CreatedAt   time.Time `json:"created_at"`
	// TotalMinor is the order total in minor units of Currency.
	TotalMinor int64         `json:"total_minor"`
	Currency   string        `json:"currency"`
	Customer   OrderCustomer `json:"customer"`
}

// OrderCustomer is who placed an order. Personal data: never logged.
type OrderCustomer struct {
	// ID is OMS's customer id.
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Email   string   `json:"email,omitempty"`
	Phone   string   `json:"phone,omitempty"`
	Address *Address `json:"address,omitempty"`
}

// OrderDetail is one order with its lines and fulfilments (PathOrder).
type OrderDetail struct {
	OrderSummary
	Lines        []OrderLine        `json:"lines"`
	Fulfillments []OrderFulfillment `json:"fulfillments"`
}

// OrderLine is one line of an order.
type OrderLine struct {
	SKU            string `json:"sku"`
	Name           string `json:"name"`
	Quantity       int    `json:"quantity"`
	UnitPriceMinor int64  `json:"unit_price_minor"`
	// Status is the line's own state (open, shipped, cancelled).
	Status string `json:"status,omitempty"`
}

// OrderFulfillment is one shipment of an order.
type OrderFulfillment struct {
	// Status is pending, shipped, delivered or cancelled.
	Status          string     `json:"status"`
	TPL             string     `json:"tpl,omitempty"`
	Carrier         string     `json:"carrier,omitempty"`
	TrackingNumbers []string   `json:"tracking_numbers,omitempty"`
	TrackingURL     string     `json:"tracking_url,omitempty"`
	ShippedAt       *time.Time `json:"shipped_at,omitempty"`
}
