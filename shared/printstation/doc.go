// Package printstation is the client of PrintStation, the production
// floor's system for custom-printed products: it takes print batches (the
// print flow, handlers/print) and product data (the product flow,
// handlers/product).
//
// PrintStation's API is private; every path, header and code used here is
// an assumption kept in contract.go, to be corrected in one place when the
// specification arrives. Calls carry an Idempotency-Key derived from the
// business key (a batch id, an item number and revision), so a retried call
// has no second effect; errors are classified with package fault through
// partnerhttp (5xx, 408, 429 and timeouts transient; other 4xx permanent;
// 401/403 credentials refused).
//
// The calls of each flow live in their own file (batches.go, products.go);
// this file and client.go hold what they share.
package printstation
