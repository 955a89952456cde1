// Package china is the China order flow: orders ready to ship in Jackyun
// (the China warehouse's ERP, through Qimen) are read by jackyun-order-poll,
// published raw to jackyun-orders, created in OMS by jackyun-to-oms (OMS then
// routes them to XB through the fulfilment flow), and, for those with a line
// to print, sent to BatchStation on order-update by jackyun-to-batchstation.
//
// What it guarantees:
//
//   - One instance polls at a time (a PostgreSQL lease, renewed per page).
//     A poll reads from the watermark less an overlap (10 minutes) to now
//     less a minute, in China time, page by page with the scroll id until a
//     short or empty page, and keeps each order once by tradeNo: an order
//     read again (the overlap, a repeat on the next page, a late arrival)
//     is counted, never published twice.
//   - Each new order is stored with the bytes Jackyun sent and published
//     (its bytes as the envelope's requested_payload) in one transaction
//     per page; the watermark moves to a window's end only once every
//     order of the window is durable, and never past one that failed: a
//     run that stops half-way (killed, Jackyun refusing inside HTTP 200)
//     loses nothing, and the next run publishes nothing twice.
//   - An order without a usable tradeNo is parked (kept, people told) and
//     the page goes on; an order that cannot be mapped for OMS or
//     BatchStation is parked by its consumer with the reason.
//   - jackyun-to-oms creates each order in OMS once (claimed by tradeNo,
//     OMS idempotent on source + tradeNo, an Idempotency-Key from the
//     tradeNo); jackyun-to-batchstation publishes BatchStation's payload
//     exactly once per order and generation (BatchStation refuses
//     duplicates); an order with finished goods only goes to OMS only.
//   - Repush (`handler jackyun repush <tradeNo>`, RepushCommand) reads the
//     order from Jackyun again and publishes it as its next generation.
package china
