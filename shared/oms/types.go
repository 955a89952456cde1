package oms

import (
	"time"
)

// The OMS order states this layer moves or observes (the names OMS uses).
const (
	StatePendingNAVRelease              = "PENDING_NAV_RELEASE"
	StateReleasedFromNAV                = "RELEASED_FROM_NAV"
	StateWaitingFulfillmentConfirmation = "WAITING_FULFILLMENT_CONFIRMATION"
	StateExportedToTPL                  = "EXPORTED_TO_TPL"
	StateShipped                        = "SHIPPED"
)

// Order sources as OMS names them.
const (
	SourceSFCC      = "sfcc"
	SourceShopify   = "shopify"
	SourceB2BPortal = "b2b_portal"
	SourceEDI       = "edi"
	SourceJackyun   = "jackyun"
)

// FulfillmentRequest is what OMS posts to POST /api/fulfillment/request/{tpl}
// (Camel: cm-ext-service-exp .../fulfillment/request/cirro).
//
// Assumption (kept here, the one place): the routing data travels in clear
// so that the request can be classified without decrypting; the customer's
// personal data travels in Sealed, AES-256-GCM encrypted by OMS, and is only
// opened by the function that sends the order to the warehouse.
type FulfillmentRequest struct {
	// OrderID is the OMS order id (ORD225299); the business key of the flow.
	OrderID string `json:"order_id"`
	// OrderNumber is the storefront's number, shown to the customer.
	OrderNumber string `json:"order_number"`
	// Source is where the order came from (sfcc, shopify, b2b_portal, edi, jackyun).
	Source string `json:"source"`
	// OrderType is Cirro's Order_type when OMS knows it (0 B2C, 70 B2B).
	OrderType int `json:"order_type"`
	// ShipMethod is OMS's ship method code; mapped to the warehouse's code.
	ShipMethod string `json:"ship_method"`
	// PONumber is the retailer's purchase order for B2B orders.
	PONumber string `json:"po_number,omitempty"`
	// Warehouse is OMS's warehouse code for the partial order, if any.
	Warehouse   string    `json:"warehouse,omitempty"`
	RequestedAt time.Time `json:"requested_at"`
	Lines       []Line    `json:"lines"`
	// Sealed holds the Customer, encrypted.
	Sealed Sealed `json:"sealed"`
}

// Line is one order line.
type Line struct {
	LineNo   int    `json:"line_no"`
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
	// PackCode names the pre-pack the line ships in ("" when loose).
	PackCode string `json:"pack_code,omitempty"`
	// UnitPriceMinor is the unit price in minor units of Currency.
	UnitPriceMinor int64  `json:"unit_price_minor,omitempty"`
	Currency       string `json:"currency,omitempty"`
}

// Customer is the personal data of a request, only ever held decrypted in
// memory: it never reaches a log line, an alert or the database in clear.
type Customer struct {
	Name    string  `json:"name"`
	Company string  `json:"company,omitempty"`
	Email   string  `json:"email,omitempty"`
	Phone   string  `json:"phone,omitempty"`
	Address Address `json:"address"`
}

// Address is a postal address.
type Address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}
