package xb

// Order is an order for XB to ship.
type Order struct {
	// OrderNo is our order number (the OMS order id); XB keeps it as its key.
	OrderNo string
	ShipTo  ShipTo
	Lines   []Line
	// ShipMethod is one of ShipMethods.
	ShipMethod string
	// Reference is free text shown on XB's side, such as the storefront's
	// order number or a PO number.
	Reference string
}

// ShipTo is the recipient: personal data, never logged.
type ShipTo struct {
	Name       string
	Company    string
	Phone      string
	Email      string
	Line1      string
	Line2      string
	City       string
	Region     string
	PostalCode string
	Country    string
}

// Line is one SKU and quantity.
type Line struct {
	SKU string
	Qty int
}

// Created is what CreateOrder made.
type Created struct {
	// OrderNo is the order number XB holds the order under.
	OrderNo string
	// Duplicate is true when XB already had the order: a replay of the key,
	// or the order number created under another key. Nothing new was made.
	Duplicate bool
}
