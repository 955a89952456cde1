// Package edi is the B2B retail flow: retailers' purchase orders from SPS
// Commerce into NAV, NAV's warehouse orders (940s) to Cirro as B2B orders,
// and, when Cirro ships, the ship notice (856) to SPS and the shipping
// advice (945) to NAV, with 997s both ways and a deadline engine.
//
// Functions: sps-inbound-poll and nav-outbound-poll (timers) take files
// from SPS's and NAV's SFTP; nav-sales-order (edi-inbound/nav) creates,
// replaces or cancels NAV's sales order over SOAP; edi-shipment-docs
// (shipped/edi, channel b2b) builds and sends the 856 and 945;
// edi-deadlines (timer) sends what is still queued and announces due, late
// and rejected documents.
//
// What it guarantees:
//
//   - A file is taken only when its size and modification time are the
//     same in two looks; it is downloaded whole, archived with its SHA-256
//     (edi-archive/inbound/{partner}/{date}/{hash}-{name}), recorded with what it
//     causes (messages, orders, 997s) in one transaction, and deleted on
//     the server only after that commit. A file seen again (same hash) is
//     never processed twice; a partner's interchange control number seen
//     again is reported, not processed.
//   - A bad file is archived, recorded, parked with the reason (and
//     alerted), and only then deleted. Every received X12 group gets a 997,
//     with AK3/AK4/AK5 detail when it fails.
//   - A PO is kept once per trading partner and PO number: an original seen
//     again never creates a second order; 01 cancels and 05 replaces.
//   - An unmapped partner, ship-to or item parks the whole PO with every
//     reason; NAV is never asked to guess.
//   - Outbound control numbers (ISA13, GS06, ST02) come from per-partner
//     sequences in PostgreSQL, taken in the transaction that records the
//     document before the file leaves: no gap, no reuse (a ledger keeps
//     every number with its document).
//   - An 856 leaves only after a compliance pre-flight (SSCC check digits,
//     an SSCC never reused, items on the PO, quantities within what was
//     ordered, the RSX read back); otherwise it is parked with the reasons.
//   - Uploads are written under a temporary name and renamed; a document is
//     queued before it is sent and sent again until it is, under the same
//     name with the same bytes.
//   - Labels for Cirro (label_template, carton_list) and what platform_sku
//     means come from the trading-partner configuration (partners.json,
//     or EDI_PARTNERS), never from per-retailer code.
package edi
