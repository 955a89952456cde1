// Package gladly is Gladly's Lookup Adapter protocol as the adapter (this
// layer) sees it: the request signature Gladly puts on every lookup, the
// lookup request (BASIC or DETAILED) and the answer's shape (customers with
// ORDER transactions for Sidekick).
//
// What it guarantees:
//
//   - Verify checks a request exactly as Gladly signs it: a canonical
//     request of the method, the path, the sorted query, the headers named
//     in Gladly-Authorization's SignedHeaders (whatever they are: never a
//     fixed list) and the SHA-256 of the raw body; a string to sign with
//     the algorithm and Gladly-Time; a key derived from the signing key
//     and Gladly-Time's date; HMAC-SHA256 compared in constant time. Every
//     configured key is tried, so keys rotate with no downtime.
//   - A Gladly-Time further than Window from the clock, either way, is
//     refused, so a captured request cannot be replayed later.
//   - Every failure is an Unauthorized error (401) whose text is one of a
//     few fixed phrases: it never repeats a header, a signature or any
//     other value the caller sent, so logging it is safe.
//   - DecodeLookup refuses a request Gladly would never send (a level other
//     than BASIC or DETAILED, a DETAILED one without externalCustomerId,
//     emails or phones that are not strings) with an error naming the
//     field, never its value (a lookup carries personal data).
//
// What is not documented publicly is an assumption kept in contract.go.
package gladly
