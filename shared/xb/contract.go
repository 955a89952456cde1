package xb

// ASSUMPTIONS. This file is the one place that holds what this package
// assumes about XB's API: paths, headers, bodies, codes and ship methods.
// The client and the fake (xbtest) both read it. See "Assumptions" in doc.go.

// Headers.
const (
	// HeaderAPIKey carries XB_API_KEY.
	HeaderAPIKey = "X-Api-Key"
	// HeaderIdempotencyKey carries the caller's key on CreateOrder.
	HeaderIdempotencyKey = "Idempotency-Key"
)

// PathOrders is POSTed to create an order, relative to XB_BASE_URL.
//
// There is deliberately no lookup (a GET /orders/{orderNo} is plausible):
// XB keeps the order under our order number, and a retried CreateOrder
// whose earlier outcome is unknown already learns it, as a replay of the
// Idempotency-Key (200 with the first body) or, past the key's lifetime,
// as 409 order_exists with the orderNo. A lookup would add a call and an
// assumption, and tell the flow nothing more.
const PathOrders = "/orders"

// Error codes XB answers with, in WireError.Code.
const (
	// CodeOrderExists (409): the orderNo was created before, under another key.
	CodeOrderExists = "order_exists"
	// CodeValidationFailed (422): fields missing or wrong; Details say which.
	CodeValidationFailed = "validation_failed"
	// CodeInvalidShipMethod (422): the ship method is not one of ShipMethods.
	CodeInvalidShipMethod = "invalid_ship_method"
	// CodeIdempotencyKeyReused (422): the key came back with another body.
	CodeIdempotencyKeyReused = "idempotency_key_reused"
	// CodeUnauthorized (401): no or a wrong API key.
	CodeUnauthorized = "unauthorized"
)

// Ship method codes XB accepts.
const (
	ShipMethodStandard = "STANDARD"
	ShipMethodExpress  = "EXPRESS"
	ShipMethodEconomy  = "ECONOMY"
)

// ShipMethods are the ship method codes XB accepts.
var ShipMethods = []string{ShipMethodStandard, ShipMethodExpress, ShipMethodEconomy}

// WireOrder is the body of POST PathOrders.
type WireOrder struct {
	OrderNo    string     `json:"orderNo"`
	ShipTo     WireShipTo `json:"shipTo"`
	Lines      []WireLine `json:"lines"`
	ShipMethod string     `json:"shipMethod"`
	Reference  string     `json:"reference,omitempty"`
}

// WireShipTo is the recipient.
type WireShipTo struct {
	Name       string `json:"name"`
	Company    string `json:"company,omitempty"`
	Phone      string `json:"phone,omitempty"`
	Email      string `json:"email,omitempty"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postalCode"`
	Country    string `json:"country"`
}

// WireLine is one order line.
type WireLine struct {
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

// WireCreated is the body of a 201 or a replayed 200.
type WireCreated struct {
	OrderNo string `json:"orderNo"`
	Status  string `json:"status"`
}

// WireError is the body of every 4xx and 5xx answer.
type WireError struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	OrderNo string   `json:"orderNo,omitempty"`
	Details []string `json:"details,omitempty"`
}

// ToWire maps an Order to its body.
func ToWire(o Order) WireOrder {
	w := WireOrder{
		OrderNo:    o.OrderNo,
		ShipTo:     WireShipTo(o.ShipTo),
		ShipMethod: o.ShipMethod,
		Reference:  o.Reference,
		Lines:      make([]WireLine, 0, len(o.Lines)),
	}
	for _, l := range o.Lines {
		w.Lines = append(w.Lines, WireLine(l))
	}
	return w
}

// FromWire maps a body back to an Order (the fake uses it).
func FromWire(w WireOrder) Order {
	o := Order{
		OrderNo:    w.OrderNo,
		ShipTo:     ShipTo(w.ShipTo),
		ShipMethod: w.ShipMethod,
		Reference:  w.Reference,
	}
	for _, l := range w.Lines {
		o.Lines = append(o.Lines, Line(l))
	}
	return o
}
