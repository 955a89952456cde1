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
const (
	// PathOrders is GET with one filter (QueryEmail, QueryPhone, QueryName
	// or QueryCustomerID) and QueryLimit: order summaries, newest first.
	PathOrders = "/api/v3/osor_order/orders"
	// PathOrder is GET: one order, with lines and fulfilments.
	PathOrder = "/api/v3/osor_order/orders/{order_id}"
)

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
