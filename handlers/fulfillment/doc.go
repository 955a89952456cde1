// Package fulfillment is the order flow from the OMS to the warehouses and
// back (it replaces cm-ext-service-exp, cm-fulfill-prc, cm-cirro-sys,
// cm-order-prc and cm-osor-sys):
//
//	nav-order-release        NAV allocated the order   -> OMS RELEASED_FROM_NAV
//	fulfillment-request      OMS asks for fulfilment   -> stored, classified, WAITING_FULFILLMENT_CONFIRMATION, topic fulfillment-request
//	cirro-fulfill, xb-fulfill                          -> the order is created at the warehouse, once
//	cirro-webhook            Cirro accepted / shipped  -> topic fulfillment-confirmation or shipped
//	oms-fulfillment-confirm                            -> OMS EXPORTED_TO_TPL
//	oms-ship-confirm                                   -> OMS SHIPPED, with carrier and tracking
//
// Every state change is a row of the order's journey, written in the same
// transaction as the change; `handler trace <order>` prints it. The order's
// recorded state only moves forward (states.go holds the one table), so a
// step that arrives late is journaled without moving the order back.
//
// Guarantees: every handler is safe to run twice. Partner webhooks are
// verified on the raw bytes before anything parses them and answered only
// after they are committed (fulfilment requests of concurrent callers in
// one statement and one commit); a repeat is answered as its first
// delivery was, with no second effect. Messages to publish are written to
// the outbox with the change that caused them. Partner calls are never
// made inside a database transaction: the message is claimed, the partner
// called with a key derived from the order (Cirro's request_id, XB's and
// OMS's Idempotency-Key; a new key only after an outright refusal), then
// the effect recorded, so a redelivered message never makes a second order
// or a second confirmation. A Cirro event for an order this layer never
// routed is refused (422) and kept, not acted on. Customer data is
// decrypted only in cirro-fulfill and xb-fulfill, in memory, and never
// logged.
//
// The rules live in pure functions beside the handlers (classify.go,
// mapping.go) with table and golden tests.
package fulfillment
