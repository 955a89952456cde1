// Package xb is the client of XB, the secondary warehouse (3PL) for China:
// it creates the warehouse order for an OMS fulfilment request.
//
// What it guarantees:
//
//   - An order is created at most once per idempotency key (the message id
//     or the order id): CreateOrder sends it as Idempotency-Key, and XB
//     answers a replay with the first result. A replay (200) and an order
//     number XB already holds under another key (409) are both reported
//     as Created{Duplicate: true} with a nil error, so a redelivered
//     message is a success with no second order.
//   - 400 and 422 are permanent (fault.ErrPermanent) and carry XB's code
//     and message, with any of the order's personal values in it replaced
//     by [REDACTED]; an *Error is in the chain.
//   - Network errors, timeouts, 5xx and 429 are transient, Retry-After kept
//     (fault.RetryAfter). 401 and 403 are transient, saying "credentials
//     refused": the API key may be mid-rotation.
//   - Every call is bounded by Config.Timeout (default 20 s) inside the
//     caller's ctx; the order is checked before any I/O.
//   - The client never logs, and no error holds the API key, even when XB
//     repeats it in its error body (it is replaced by [REDACTED]).
//
// # Assumptions
//
// XB publishes no API documentation. This package assumes a conventional
// REST contract, and every such choice lives in contract.go, the one place
// to change when XB's real contract is known:
//
//   - Auth: header "X-Api-Key: <XB_API_KEY>".
//   - POST /orders with "Idempotency-Key" and the JSON body
//     {orderNo, shipTo{name, company, phone, email, line1, line2, city,
//     region, postalCode, country}, lines[{sku, qty}], shipMethod,
//     reference}.
//   - 201 {orderNo, status} for a new order; 200 with the same body for a
//     replay of the same key; 409 {code:"order_exists", message, orderNo}
//     when the orderNo exists under another key; 422 {code, message,
//     details[]} for validation ("invalid_ship_method",
//     "validation_failed", "idempotency_key_reused"); 401
//     "unauthorized"; 429 with Retry-After.
//   - Ship method codes: STANDARD, EXPRESS, ECONOMY (ShipMethods). The
//     caller maps OMS's codes to these.
//   - XB documents no rate limit, so the client does not limit itself; it
//     honours Retry-After.
//
// The fake in xbtest serves exactly this contract.
package xb
