package china

// Topics of this flow (logical names from infra/messaging.json).
const (
	// TopicJackyunOrders carries each Jackyun order as Jackyun sent it.
	TopicJackyunOrders = "jackyun-orders"
	// TopicOrderUpdate carries BatchStation's payloads (the print flow
	// declares it too; BatchStation reads its subscription "batchstation").
	TopicOrderUpdate = "order-update"
)

// Event types (the envelope's event_type and the message Subject).
const (
	// EventJackyunOrder is an order read from Jackyun; requested_payload is
	// the order's JSON exactly as Jackyun sent it.
	EventJackyunOrder = "jackyun.order.received"
	// EventBatchStationCreate is what BatchStation takes (G1): create-only,
	// and BatchStation refuses a duplicate.
	EventBatchStationCreate = "jackyun.order.create.request"
)

// Routing and bookkeeping properties of this flow's messages.
const (
	PropSource = "source"
	// PropGeneration is 1 for an order's first publication and grows with
	// each repush; BatchStation gets one message per generation.
	PropGeneration = "generation"
	PropSite       = "site"
	SourceJackyun  = "jackyun"
)

// Journey states this flow records (handler trace <tradeNo> or <OMS order>).
const (
	StateReceivedFromJackyun = "RECEIVED_FROM_JACKYUN"
	StateRepushed            = "REPUSHED_FROM_JACKYUN"
	StateCreatedInOMS        = "CREATED_IN_OMS"
	StateSentToBatchStation  = "SENT_TO_BATCHSTATION"
)

// Systems named in the journey.
const (
	SystemJackyun     = "jackyun"
	SystemOMS         = "oms"
	SystemIntegration = "integration"
)

// BatchStationOrder is the payload BatchStation takes (requested_payload
// of EventBatchStationCreate), the shape OMS sends it today (G1).
type BatchStationOrder struct {
	SiteID     string `json:"siteId"`
	OrderID    string `json:"orderId"`
	OMSOrderID string `json:"omsOrderId"`
	// Shipping is the comma-separated address: null for Jackyun orders.
	Shipping   *string            `json:"shipping"`
	Date       string             `json:"date"`
	Status     string             `json:"status"`
	OrderItems []BatchStationItem `json:"orderItems"`
}

// BatchStationItem is one line of a BatchStationOrder.
type BatchStationItem struct {
	// OrderLineNumber is "10000", "20000", ... in the order's line order.
	OrderLineNumber string `json:"orderLineNumber"`
	Quantity        int    `json:"quantity"`
	ProductSKU      string `json:"productSku"`
	// ImageType is the print's type (CPOD, CYO, STD, POD) or FG for goods
	// picked as they are.
	ImageType string  `json:"imageType"`
	RecipeID  *string `json:"recipeId"`
}
