// Package product is the product-data flow: arena-item-poll reads what
// changed in Arena PLM and publishes one products message per item
// revision (item, attributes, BOM); product-to-oms, product-to-printstation
// and product-to-jackyun push it to their systems; arena-item answers the
// item lookup other teams call (GET /api/arena/item?item_number=).
//
// What it guarantees:
//
//   - Every Arena call uses the one session the app shares (package arena:
//     PostgreSQL, a login lease, one re-login on 401), so instances never
//     end each other's sessions.
//   - One instance polls at a time (a lease). With an outbound integration
//     the poll reads the unreconciled events and reconciles an event only
//     after each of its revisions is durable (recorded and in the outbox);
//     without one it reads items made effective since its watermark, which
//     moves only once every item read is durable. A revision is published
//     once (product_revisions), and one already published is not fetched
//     again.
//   - When Arena's quota is exhausted (429, or down to the reserve left for
//     the lookup) the poll stops cleanly, having reconciled and moved
//     nothing past what is durable, and the next run resumes.
//   - Each push is idempotent on item number + revision (a claim, and an
//     idempotency key sent to the system), and an older revision never
//     overwrites a newer one whatever the order of delivery: revisions of
//     one item go to a system one at a time (a lease per system and item),
//     and one older than what the system has (product_pushes) is skipped.
//     A system's refusal (an unknown SKU, a rejected value) is permanent:
//     the message is parked with the reason; outages are retried.
//   - PrintStation gets only what it prints (Image Type CPOD, CYO, STD or
//     POD); OMS and Jackyun get every item.
package product
