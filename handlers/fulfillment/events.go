package fulfillment

import (
	"encoding/json"
	"time"

	"github.com/popsockets/integration/shared/oms"
)

// Topics of this flow (logical names from infra/messaging.json).
const (
	TopicFulfillmentRequest      = "fulfillment-request"
	TopicFulfillmentConfirmation = "fulfillment-confirmation"
	TopicShipped                 = "shipped"
	TopicNAVOrderRelease         = "nav-order-release"
)

// Event types (the envelope's event_type and the message Subject).
const (
	EventFulfillmentRequested = "fulfillment.requested"
	EventFulfillmentAccepted  = "fulfillment.accepted"
	EventOrderShipped         = "order.shipped"
	// EventNAVOrderReleased is what NAV publishes (assumption: the company
	// envelope with refe_id = the OMS order id).
	EventNAVOrderReleased = "nav.order.released"
)

// Routing properties that subscription filters match.
const (
	PropTarget  = "target"
	PropChannel = "channel"
	PropSource  = "source"
	// PropOrigin is "oms" for orders OMS asked us to fulfil (they get OMS
	// confirmations) and "edi" for orders that came through NAV's 940s.
	PropOrigin = "origin"
)

// Journey states this flow records, beside OMS's own state names.
const (
	StateTPLOrderCreated = "TPL_ORDER_CREATED"
	StateAcceptedByTPL   = "ACCEPTED_BY_TPL"
	StateShippedByTPL    = "SHIPPED_BY_TPL"
)

// Systems named in the journey.
const (
	SystemOMS         = "oms"
	SystemNAV         = "nav"
	SystemIntegration = "integration"
)

// Requested is the payload of a fulfillment-request message: the request
// as OMS sent it (customer data still sealed) and how it was classified.
type Requested struct {
	TPL            string                 `json:"tpl"`
	Request        oms.FulfillmentRequest `json:"request"`
	Classification Classification         `json:"classification"`
	// Labels, for a retailer's order that came through EDI, are the
	// label_template and carton_list of Cirro's B2B create, built from the
	// trading-partner configuration (absent for OMS's orders).
	Labels *B2BLabels `json:"labels,omitempty"`
}

// B2BLabels are what a retailer wants printed and applied, per its
// trading-partner configuration.
type B2BLabels struct {
	LabelTemplate json.RawMessage `json:"label_template,omitempty"`
	CartonList    json.RawMessage `json:"carton_list,omitempty"`
}

// Accepted is the payload of a fulfillment-confirmation message.
type Accepted struct {
	OrderID    string    `json:"order_id"`
	TPL        string    `json:"tpl"`
	TPLOrderNo string    `json:"tpl_order_no"`
	Channel    string    `json:"channel"`
	AcceptedAt time.Time `json:"accepted_at"`
}

// Shipped is the payload of a shipped message.
type Shipped struct {
	OrderID         string    `json:"order_id"`
	TPL             string    `json:"tpl"`
	TPLOrderNo      string    `json:"tpl_order_no"`
	Channel         string    `json:"channel"`
	PONumber        string    `json:"po_number,omitempty"`
	Carrier         string    `json:"carrier"`
	TrackingNumbers []string  `json:"tracking_numbers"`
	ShippedAt       time.Time `json:"shipped_at"`
	Cartons         []Carton  `json:"cartons,omitempty"`
}

// Carton is one shipped box.
type Carton struct {
	SSCC           string     `json:"sscc"`
	TrackingNumber string     `json:"tracking_number,omitempty"`
	Items          []Quantity `json:"items,omitempty"`
}

// Quantity is a SKU and how many.
type Quantity struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// NAVReleased is the payload NAV publishes (assumption; only the order id is used).
type NAVReleased struct {
	OrderID    string `json:"order_id"`
	NAVOrderNo string `json:"nav_order_no,omitempty"`
}
