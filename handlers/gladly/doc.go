// Package gladly is the Gladly flow: gladly-lookup (POST
// /api/gladly/lookup), Gladly's Lookup Adapter answered from OMS orders.
// BASIC lookups (auto-link and search by emails, phones and name) answer
// the matching OMS customers; DETAILED lookups (by externalCustomerId, the
// OMS customer id) answer that one customer with ORDER transactions:
// status, total with its currency, products and fulfilments with tracking.
//
// What it guarantees:
//
//   - Nothing is read or answered before Gladly's signature is verified on
//     the raw body (shared/gladly); every signature failure is a 401 whose
//     log line holds a fixed reason, never what the caller sent.
//   - Gladly waits 5 s: every OMS call of one lookup runs within one
//     budget (GLADLY_OMS_BUDGET_MS, 3 s), in parallel, and whatever has
//     not answered by then is left out, and the answer says so
//     (customAttributes.lookupStatus "partial: ..."): partial data, never
//     a timeout.
//   - OMS answers are kept for GLADLY_CACHE_SECONDS and shared between
//     concurrent lookups (one OMS call for the same read at once); an
//     older answer (up to 15 minutes) stands in when OMS fails or is slow.
//   - The lookup never writes anything and needs no database; it logs one
//     line per lookup with counts only (no email, phone, name or address).
package gladly
