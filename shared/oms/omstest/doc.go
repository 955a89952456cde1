// Package omstest is a fake OMS for tests and the local run: a Server that
// serves the contract of package oms on a real socket, and a Requester
// that plays OMS's outbound side (signed, sealed fulfilment requests).
//
// What it guarantees:
//
//   - Server enforces what the client relies on: the bearer token (401),
//     the transitions PENDING_NAV_RELEASE -> RELEASED_FROM_NAV,
//     WAITING_FULFILLMENT_CONFIRMATION -> EXPORTED_TO_TPL and
//     EXPORTED_TO_TPL -> SHIPPED (409 invalid_transition otherwise, 409
//     already_in_state when at or past the target, 404 for an unknown
//     order, 422 for a bad body), and Idempotency-Key: a repeated key gets
//     the first answer and makes no second effect; a key reused for
//     another request gets 422 idempotency_key_reused.
//   - It records every request (Calls), every applied transition
//     (Effects: one per change, so a test can assert "one confirmation")
//     and each order's journey; it can be told to fail (FailNext),
//     answer anything (RejectNext), repeat the token it got in an error
//     (EchoCredentialsNext) or be slow (Delay). Told answers make
//     no effect and are not remembered for their key.
//   - Requester sends the same bytes for a resend of the same request,
//     under a webhook-id stable per order and warehouse (WebhookID).
//   - It answers the lookups of contract.go (orders searched by email,
//     phone, name or customer id, newest first; one order with lines and
//     fulfilments) from the orders given to AddCustomerOrder, in their
//     live state; reads need the token but no Idempotency-Key. It can be
//     told to throttle one order (ThrottleOrder: 429 with a Retry-After).
//   - SampleOrders and SampleCustomers are deterministic per seed and hold
//     no real person's data.
package omstest
