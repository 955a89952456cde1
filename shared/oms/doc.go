// Package oms is the client of the order management system (OMS, the
// agency-hosted Rails app; "OSOR" is its v3 API namespace): it moves orders
// through the states this layer owns, and it holds the shapes OMS sends us
// (FulfillmentRequest, with the customer sealed by a Keyring).
//
// What it guarantees:
//
//   - Every mutating call carries the caller's Idempotency-Key (the message
//     id), so a redelivered message never makes a second effect in OMS.
//   - A call whose order is already in the target state, or past it, is a
//     success (nil): a redelivery after a lost answer, or a confirmation
//     overtaken by the shipment, changes nothing and needs no person.
//   - An unknown order, an order in an unexpected state and a validation
//     refusal are permanent (fault.ErrPermanent) and carry OMS's code and
//     message (an *Error in the chain); OMS's message is cut to a short,
//     single line.
//   - Network errors, timeouts, 5xx and 429 are transient, with Retry-After
//     kept (fault.RetryAfter). 401 and 403 are transient too, saying
//     "credentials refused": the token may be mid-rotation, and a retry
//     after the rotation succeeds.
//   - Every call is bounded by Config.Timeout (default 20 s) inside the
//     caller's ctx. Arguments are checked before any I/O.
//   - The client never logs, and no error holds the token or personal data,
//     even when OMS repeats the token in its error body (it is replaced by
//     [REDACTED]).
//
// # Assumptions
//
// OMS's API is private. Where a detail is not known this package chooses
// the conventional form, and every such choice lives in contract.go, the
// one place to change when OMS's real contract is known:
//
//   - Auth: "Authorization: Bearer <OMS_API_TOKEN>".
//   - Idempotency: OMS honours the "Idempotency-Key" header; a repeated key
//     answers the first answer and has no second effect.
//   - NAV release: PATCH /api/v3/osor_order/orders/{order_id}/status with
//     {"status":"RELEASED_FROM_NAV","expected_status":"PENDING_NAV_RELEASE"}.
//   - Acceptance: POST /order/cirro-confirmation with
//     {"order_id","tpl","tpl_order_no","accepted_at"} -> EXPORTED_TO_TPL
//     (the path is known from Camel; the body is assumed).
//   - Shipment: POST /api/v3/osor_order/fulfill_orders with
//     {"orders":[{"order_id","carrier","tracking_numbers","shipped_at","tpl",
//     "lines":[{"sku","quantity"}]}]} -> SHIPPED (path known, body assumed).
//     A batch is all or nothing; orders already shipped are skipped.
//   - Answers: 2xx is success. Errors are JSON
//     {"code","message","order_id","current_status","details"}: 409
//     "invalid_transition" (unexpected state) or "already_in_state", 404
//     "not_found", 422 "validation_failed" or "idempotency_key_reused",
//     401 "unauthorized", 429 with Retry-After.
//   - The states this layer sees are one line, PENDING_NAV_RELEASE ->
//     RELEASED_FROM_NAV -> WAITING_FULFILLMENT_CONFIRMATION ->
//     EXPORTED_TO_TPL -> SHIPPED, so "at or past the target" is an order
//     on that line (AtOrPast). A state off the line is unexpected.
//   - OMS documents no rate limit, so the client does not limit itself; it
//     honours Retry-After.
//   - Lookups (SearchOrders, GetOrder; LOOKUP ASSUMPTIONS in contract.go)
//     read only, carry no Idempotency-Key, and never put the value searched
//     for (an email, a phone, a name) into an error.
//
// The fake in omstest serves exactly this contract.
package oms
