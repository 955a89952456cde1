package cirro

import "time"

// ---------------------------------------------------------------------------
// ASSUMPTIONS. Cirro's account spec is not public: the paths, codes and
// status values below are conventional guesses, kept in this one file (and
// listed in doc.go) so they can be corrected in one place when the spec
// arrives. The fake in cirrotest serves exactly these values.
// ---------------------------------------------------------------------------

// Endpoint paths, relative to Config.BaseURL. (Assumption: the B2B path
// v1/order/create-b2b is from the customer's notes; the token, B2C and
// lookup paths follow the same form.)
const (
	PathToken          = "/v1/auth/token"
	PathCreateOrder    = "/v1/order/create"
	PathCreateB2BOrder = "/v1/order/create-b2b"
	// PathGetOrder looks an order up by reference_no (assumption): POST
	// with the usual envelope, request_data OrderQuery {reference_no};
	// data OrderInfo {order_no, reference_no, status} when Cirro has the
	// order (B2C or B2B alike), CodeOrderNotFound when it does not.
	PathGetOrder = "/v1/order/get"
)

// Response codes in the reply envelope. 0 is documented; every other number
// is an assumption.
const (
	// CodeOK means the request was accepted.
	CodeOK = 0

	// CodeSystemError is an internal error on Cirro's side: transient.
	CodeSystemError = 10000
	// CodeAuthFailed answers a token request whose app_key or app_token is
	// wrong: transient (credentials may be being rotated), marked ErrCredentials.
	CodeAuthFailed = 10001
	// CodeTokenInvalid answers a call whose access token is unknown or
	// expired: the client refreshes the token once and retries once.
	CodeTokenInvalid = 10002
	// CodeDuplicateRequest means the request_id was accepted before: the
	// client reports success with Created.Duplicate.
	CodeDuplicateRequest = 10003
	// CodeRateLimited means over the per-API request rate: transient.
	CodeRateLimited = 10004
	// CodeSystemBusy means Cirro is overloaded ("system busy"): transient.
	CodeSystemBusy = 10005

	// CodeMissingField means a required field is absent: permanent.
	CodeMissingField = 20001
	// CodeInvalidParameter means a field has an invalid value: permanent.
	CodeInvalidParameter = 20002
	// CodeInvalidShippingMethod means the shipping method is unknown to the
	// warehouse: permanent.
	CodeInvalidShippingMethod = 20003
	// CodeUnknownSKU means an item's SKU is not a Cirro product: permanent.
	CodeUnknownSKU = 20004
	// CodeReferenceExists means an order with this reference_no already
	// exists (the "conflict" of the Camel runbook): the client reports
	// success with Created.Duplicate.
	CodeReferenceExists = 20005
	// CodeOrderNotFound answers a lookup of a reference_no Cirro has no
	// order for (HTTP 200, or 404): LookupOrder reports found = false.
	CodeOrderNotFound = 20006
)

// codeClass is the decision for each known code; unknown codes fall back on
// the HTTP status, and a 2xx with an unknown code is transient (see doc.go).
var codeClass = map[int]outcome{
	CodeSystemError:           outcomeTransient,
	CodeAuthFailed:            outcomeCredentials,
	CodeTokenInvalid:          outcomeReauth,
	CodeDuplicateRequest:      outcomeDuplicate,
	CodeRateLimited:           outcomeTransient,
	CodeSystemBusy:            outcomeTransient,
	CodeMissingField:          outcomePermanent,
	CodeInvalidParameter:      outcomePermanent,
	CodeInvalidShippingMethod: outcomePermanent,
	CodeUnknownSKU:            outcomePermanent,
	CodeReferenceExists:       outcomeDuplicate,
	CodeOrderNotFound:         outcomeNotFound,
}

// Values of SendOrder.Status. (Assumption: Cirro's acceptance and shipment
// callbacks say which they are in a status field with these values.)
const (
	StatusAccepted = "accepted"
	StatusShipped  = "shipped"
)

// StatusCreated is OrderInfo.Status of an order Cirro holds but has not yet
// accepted. (Assumption: a lookup reports the order's state in the
// SendOrder values, with "created" before them.)
const StatusCreated = "created"

// tokenRefreshMargin is how long before expired_at the client fetches a new
// token (at most half the token's lifetime).
const tokenRefreshMargin = time.Minute
