package print

import (
	"time"
)

// Topics of this flow (logical names from infra/messaging.json).
const (
	// TopicOrderUpdate carries BatchStation payloads: OMS's printable
	// orders (and the Jackyun flow's), read here by subscription print.
	TopicOrderUpdate = "order-update"
	// TopicBatchingUpdate carries print results to OMS, which reads it
	// itself (subscription oms) and sets the order's batch_reference.
	TopicBatchingUpdate = "batching-update"
)

// Event types of batching-update messages (envelope event_type, Subject).
const (
	EventBatchingCompleted   = "batching.completed"
	EventBatchingReprint     = "batching.reprint"
	EventBatchingQuarantined = "batching.quarantined"
)

// Order print statuses in a BatchingUpdate.
const (
	StatusComplete    = "COMPLETE"
	StatusReprint     = "REPRINT"
	StatusQuarantined = "QUARANTINED"
)

// PropStatus is the routing property carrying the BatchingUpdate status.
const PropStatus = "status"

// PropSource is the order-update property naming who published the order
// (the China flow sets "jackyun"; OMS sets none); Rules.BatchedElsewhere
// reads it.
const PropSource = "source"

// Journey states this flow records (handler trace shows them).
const (
	StateNotForPrint    = "NOT_FOR_PRINT"
	StatePrintQueued    = "PRINT_QUEUED"
	StatePrintWithdrawn = "PRINT_WITHDRAWN"
	StatePrintWaiting   = "PRINT_WAITING"
	StateImageRejected  = "IMAGE_REJECTED"
	StatePrintBatched   = "PRINT_BATCHED"
	StateBatchRefused   = "PRINT_BATCH_REFUSED"
	StateLinesPrinted   = "PRINT_LINES_PRINTED"
	StatePrinted        = "PRINTED"
	StatePrintReprint   = "PRINT_REPRINT"
	StatePrintQuarantin = "PRINT_QUARANTINED"
)

// Systems named in the journey.
const (
	SystemIntegration    = "integration"
	SystemImageValidator = "validator"
	SystemPrintStation   = "printstation"
)

// OrderUpdate is the payload of an order-update message: the BatchStation
// payload of reference/current-camel-layer.md G1 (what OMS sends
// BatchStation today).
//
// ASSUMPTIONS beyond G1, kept here: Warehouse is the partial order's OMS
// warehouse (its print_station_batching configuration decides; absent, the
// site id is the warehouse), DueDate is when the print is due (absent, the
// order date), and each printable line carries ImageURL, the image the
// validator checks and PrintStation prints. The shipping address of G1
// is deliberately not decoded: this flow never stores or logs it.
type OrderUpdate struct {
	SiteID     string      `json:"siteId"`
	OrderID    string      `json:"orderId"`
	OMSOrderID string      `json:"omsOrderId,omitempty"`
	Warehouse  string      `json:"warehouse,omitempty"`
	Date       string      `json:"date"`
	DueDate    string      `json:"dueDate,omitempty"`
	Status     string      `json:"status"`
	OrderItems []OrderItem `json:"orderItems"`
}

// OrderItem is one line of an OrderUpdate.
type OrderItem struct {
	OrderLineNumber string `json:"orderLineNumber"`
	Quantity        int    `json:"quantity"`
	ProductSKU      string `json:"productSku"`
	ImageType       string `json:"imageType"`
	RecipeID        string `json:"recipeId,omitempty"`
	ImageURL        string `json:"imageUrl,omitempty"`
}

// BatchingUpdate is the payload of a batching-update message, one per
// order, in the shape BatchStation sends OMS (camelCase, as G1's payload).
//
// ASSUMPTIONS: OMS reads int-{env}-batching-update (subscription oms) as it
// reads int-prod-batching-update-oms today (reference/current-camel-layer.md
// section 4); it sets batch_reference from BatchReference on COMPLETE, when
// every print line of the order is printed, and the order proceeds to
// fulfilment. REPRINT and QUARANTINED tell it which lines are held.
type BatchingUpdate struct {
	OrderID    string `json:"orderId"`
	OMSOrderID string `json:"omsOrderId,omitempty"`
	SiteID     string `json:"siteId"`
	Status     string `json:"status"`
	// BatchReference is the batch that completed the order (or holds the
	// line reported).
	BatchReference string `json:"batchReference"`
	// BatchReferences are every batch the order's lines were printed in.
	BatchReferences []string             `json:"batchReferences,omitempty"`
	Items           []BatchingUpdateItem `json:"items"`
	OccurredAt      time.Time            `json:"occurredAt"`
}

// BatchingUpdateItem is one line's print status.
type BatchingUpdateItem struct {
	OrderLineNumber string `json:"orderLineNumber"`
	Status          string `json:"status"`
	BatchReference  string `json:"batchReference,omitempty"`
	Reason          string `json:"reason,omitempty"`
}
