// Package cirro is the client for Cirro, the third-party warehouse that
// ships our orders: it creates B2C and B2B orders and reads the SendOrder
// callbacks Cirro posts when it accepts and ships them.
//
// What it guarantees:
//
//   - An order is created at most once per request id. Cirro accepts each
//     request_id only once; RequestID derives the id from the business key,
//     so a redelivered message sends the same id. When Cirro answers that it
//     already has the order (the request_id was used, or an order with the
//     reference_no exists), CreateOrder returns Created{Duplicate: true} and
//     no error: the effect the caller wanted has already happened.
//   - LookupOrder finds an order by its reference_no (the OMS order id), so
//     that a retry whose earlier attempt's outcome is unknown can record
//     Cirro's real order number before creating anything again; "not
//     found" is found = false and no error. It changes nothing at Cirro.
//   - The client never retries a failed call by itself, except once after a
//     401 (see below): retrying is the host's job, by redelivering the
//     message. Every failure is classified with package fault, so the
//     handler's answer to the host is decided here, once.
//   - Every call is bounded by its ctx and by Config.Timeout, rate-limit
//     wait, token refresh and retry included, and stays under
//     Config.RatePerMinute requests in any 60 seconds per endpoint.
//   - One access token is shared by all callers. It is refreshed about a
//     minute before its expired_at (by the injected clock); callers that
//     find it due share one fetch. A call answered with HTTP 401/403 or
//     CodeTokenInvalid drops the token, fetches a new one and is retried
//     once with the same request_id.
//   - No error carries consignee data or a credential: Cirro's message is
//     included, but any consignee value, app_key, app_token or access token
//     it repeats is replaced by [REDACTED]. The package never logs. The
//     HTTP plumbing is package partnerhttp's.
//
// # Error classes
//
//	answer                                         class
//	---------------------------------------------  --------------------------------------------
//	network error, timeout, ctx deadline           transient
//	HTTP 5xx, 408, 425                             transient (503 honours Retry-After)
//	HTTP 429, CodeRateLimited                      transient; Retry-After -> fault.RetryAfter
//	CodeSystemBusy, CodeSystemError                transient ("system busy")
//	2xx whose body is not the JSON envelope,       transient (a retry is safe: the request_id
//	  or code 0 without order_no                     turns it into a Duplicate)
//	2xx with an unknown non-zero code              transient (dead-lettered if it persists)
//	CodeDuplicateRequest, CodeReferenceExists,     success, Created.Duplicate = true
//	  HTTP 409 without a known code                  (transient on a lookup: its id is random)
//	CodeOrderNotFound on a lookup                  found = false, no error (transient on a create)
//	CodeMissingField, CodeInvalidParameter,        fault.Permanent, with Cirro's message
//	  CodeInvalidShippingMethod, CodeUnknownSKU,
//	  HTTP 400, 422 and other 4xx
//	401/403 or CodeTokenInvalid, again after one   transient, wrapping ErrCredentials: the
//	  token refresh; CodeAuthFailed on the token     credentials may be being rotated, but if it
//	  request                                        persists CIRRO_APP_KEY/CIRRO_APP_TOKEN are wrong
//
// The HTTP status decides first for 5xx, 429, 408 and 401/403; otherwise a
// known code decides; otherwise the status does.
//
// # Assumptions
//
// Cirro's account spec is not public. These are conventional guesses, every
// value kept in contract.go (paths, codes, statuses) or in the json tags of
// types.go (field names); change them there when the spec arrives:
//
//   - Paths: token POST /v1/auth/token; B2C POST /v1/order/create; B2B POST
//     /v1/order/create-b2b (this one is from the customer's notes); lookup
//     POST /v1/order/get.
//   - Lookup request_data is {reference_no}; data is {order_no,
//     reference_no, status} (status "created", "accepted" or "shipped"),
//     for B2C and B2B orders alike; an unknown reference_no answers code
//     20006. Its request_id is random: a read needs no idempotency, and if
//     Cirro burns ids of reads too, a fixed one would fail the second read.
//   - Token request_data is {app_key, app_token}; data is {access_token,
//     expired_at} with expired_at in Unix seconds; the token goes in
//     "Authorization: Bearer". The token request's own request_id is random.
//   - Codes: 10000 system error, 10001 wrong app_key/app_token, 10002 access
//     token invalid or expired, 10003 request_id already used, 10004 rate
//     limited, 10005 system busy, 20001 missing required field, 20002 invalid
//     parameter, 20003 unknown shipping method, 20004 unknown SKU, 20005
//     reference_no already exists, 20006 no order with that reference_no.
//   - A create answers data {order_no}; a duplicate may repeat the order_no.
//   - Cirro records a request_id only when it accepted the request, so a
//     reused id means the order exists. If Cirro also burns ids of refused
//     requests, a retry after a transient failure could be reported as a
//     Duplicate with no order: confirm this with Cirro.
//   - request_data field names: reference_no, shipping_method,
//     warehouse_code, consignee{name, company, phone, email, country_code,
//     province, city, address1, address2, zipcode}, items[]{sku, quantity},
//     remark; B2B adds po_number, label_template, carton_list at the same
//     level.
//   - SendOrder carries status "accepted" or "shipped" and shipped_at as
//     RFC 3339; box weight is a decimal (string or number on the wire).
package cirro
