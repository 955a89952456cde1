package gladly

// ASSUMPTIONS. This file holds what this package assumes where Gladly's
// public documentation (reference/partners.md, section 5) is silent. The
// verifier, the signer of the fake (gladlytest) and the flow read it.
//
//   - The canonical query line is the query's parameters sorted by name,
//     then value, each name=value URL-encoded (as AWS SigV4 does), joined
//     by "&"; empty when there is none. Configure the lookup URL in Gladly
//     without a query, and this line is empty whatever the encoding.
//   - A signed header absent from the request contributes "name:" (empty
//     value); several values of one header are joined by ",".
//   - The signing key is used as the bytes of the string Gladly shows when
//     the adapter is set up.
//   - Gladly-Time may be Window off our clock either way.
//   - A DETAILED lookup for a customer OMS does not know is answered with
//     no result ({"results": []}).
//   - orderStatus values (Sidekick's enum): PENDING, PROCESSING, SHIPPED,
//     CANCELLED; products carry name, sku, quantity, unitPrice, status;
//     fulfillments carry status, carrier, trackingNumber, trackingUrl,
//     shippedAt.

import "time"

// Headers Gladly sends.
const (
	HeaderAuthorization = "Gladly-Authorization"
	HeaderTime          = "Gladly-Time"
	HeaderCorrelationID = "Gladly-Correlation-Id"
)

// Algorithm is the only signing algorithm Gladly uses.
const Algorithm = "hmac-sha256"

// TimeLayout is Gladly-Time's format (YYYYMMDDTHHMMSSZ, UTC).
const TimeLayout = "20060102T150405Z"

// Window is how far Gladly-Time may be from our clock, either way.
const Window = 5 * time.Minute

// DefaultSignedHeaders are the headers Gladly signs on a lookup; the
// verifier reads the list from each request, never from here.
var DefaultSignedHeaders = []string{"accept", "content-type", "gladly-correlation-id", "gladly-time"}

// Lookup levels.
const (
	LevelBasic    = "BASIC"
	LevelDetailed = "DETAILED"
)

// Transaction types and the ORDER statuses.
const (
	TransactionOrder = "ORDER"

	OrderPending    = "PENDING"
	OrderProcessing = "PROCESSING"
	OrderShipped    = "SHIPPED"
	OrderCancelled  = "CANCELLED"
)
