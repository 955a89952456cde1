// Package cirrotest is a fake Cirro for tests and the local run: a Server
// that serves the wire protocol of package cirro (its contract.go) on a real
// loopback socket, and plays Cirro's callbacks to our webhook.
//
// What it guarantees:
//
//   - It enforces what the client relies on: tokens are issued only for the
//     configured app_key and app_token (CodeAuthFailed otherwise, with a
//     message that repeats the app_key and app_token it got); a call
//     with an unknown, revoked or expired token gets HTTP 401 with
//     CodeTokenInvalid; a request_id is accepted once (CodeDuplicateRequest
//     after, with the order_no); a reference_no holds one order
//     (CodeReferenceExists); the shipping method must be one of
//     Config.ShippingMethods (CodeInvalidShippingMethod) and, when
//     Config.SKUs is set, every SKU known (CodeUnknownSKU); a required field
//     that is missing gets HTTP 400 with CodeMissingField. Business refusals
//     are HTTP 200 with the code, as Cirro-style APIs answer.
//   - Orders on v1/order/create-b2b are recorded as B2B and called back
//     with Order_type 70; others with Order_type 0.
//   - v1/order/get answers from the orders it holds, B2C and B2B, by
//     reference_no (CodeOrderNotFound for none), with the status it last
//     called back ("created" before any). Its request_ids are not
//     remembered: a lookup changes nothing.
//   - Told answers apply to the order endpoints only and create nothing:
//     FailNext, ThrottleNext, MalformNext and EchoCredentialsNext (in the
//     order they were told) answer before the token is checked, as a
//     gateway would; RejectNext answers an authenticated request, as Cirro
//     would. Delay holds every answer, token ones included, after the
//     request was processed: a client that gives up still leaves the order
//     created, as with a real lost answer. Every request is recorded
//     (Calls, CreateCalls, TokenCalls). The plumbing is package
//     fakeserver's.
//   - Callbacks are signed with package webhook, and carry x-functions-key
//     when Callback.FunctionKey is set; the body and webhook-id of
//     an (order, event) are fixed the first time it is sent, so a resend is
//     byte-identical. Shipments carry a carrier, tracking numbers and cartons
//     with valid SSCC-18 codes. Sends are retried a few times on failure.
//   - It is safe for concurrent use; Close stops the socket and any
//     background callbacks and waits for them.
//
// It holds no real person's data and does not persist anything.
package cirrotest
