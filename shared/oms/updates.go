package oms

import "time"

// Confirmation says that a warehouse accepted an order; OMS moves the order
// from WAITING_FULFILLMENT_CONFIRMATION to EXPORTED_TO_TPL.
type Confirmation struct {
	// OrderID is the OMS order id.
	OrderID string
	// TPL is the warehouse ("cirro", "xb").
	TPL string
	// TPLOrderNo is the warehouse's own number for the order, if it has one.
	TPLOrderNo string
	// AcceptedAt is when the warehouse accepted the order; zero leaves it
	// to OMS. Take it from the warehouse's message, never from the clock,
	// so that a redelivery sends the same body.
	AcceptedAt time.Time
}

// Fulfillment says that an order shipped; OMS moves it to SHIPPED.
type Fulfillment struct {
	OrderID         string
	Carrier         string
	TrackingNumbers []string
	ShippedAt       time.Time
	// TPL is the warehouse that shipped it.
	TPL   string
	Lines []ShippedLine
}

// ShippedLine is one shipped SKU and quantity.
type ShippedLine struct {
	SKU      string
	Quantity int
}
