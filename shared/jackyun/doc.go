// Package jackyun is the client of Jackyun (吉客云), the China warehouse's
// ERP, reached through the Qimen (奇门) router: it lists sales orders ready
// to ship (jackyun.tradenotsensitiveinfos.list.get) and syncs SKUs to the
// goods master.
//
// What it guarantees:
//
//   - Every call is form-posted and signed: md5 (the public Qimen
//     algorithm) or hmac-sha256 (the company's), chosen by configuration;
//     both are tested against vectors worked out by hand (sign_test.go).
//     The timestamp and every window bound are written in China time
//     (Asia/Shanghai, from the zone database embedded in the binary), so
//     the host's zone never matters.
//   - An answer is an error unless it says success: an HTTP error, a code
//     other than 200 inside HTTP 200, and the router's error_response are
//     all errors, classified with package fault (limits and service
//     failures transient, refused credentials transient and named, a
//     refused parameter or SKU permanent). A refusal is never an empty page.
//   - data is read whether Jackyun sends it as an object or as a JSON
//     string holding the object.
//   - Orders are returned as the bytes Jackyun sent (RawTrade.Raw), for
//     publishing and keeping untransformed; DecodeTrade reads one when a
//     flow needs its fields, whatever the case of its keys.
//   - No error holds the secret or a signature; the client never logs.
//
// Every name, shape and code assumed about the router lives in contract.go.
package jackyun
