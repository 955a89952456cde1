// Package partnerhttp is the plumbing the JSON-over-HTTP partner clients
// (oms, xb, cirro, teams) share: checking a base URL setting, sending one
// request with its credential and idempotency key under a deadline,
// reading the answer, and classifying a failed answer with package fault.
// It is not a client of any partner, so client packages may import it.
//
// What it guarantees:
//
//   - Do bounds each request by Config.Timeout inside the caller's ctx. A
//     request that gets no answer is transient (fault.Unreachable: the URL
//     is left out, a timeout says how long was waited). A failed answer
//     whose body cannot be read is transient too; a 2xx whose body was cut
//     is returned with Answer.Cut set, for the caller to judge.
//   - Failure maps a non-2xx status the same way for every partner: 401
//     and 403 are transient, saying "credentials refused" and naming the
//     setting (it may be mid-rotation); 408, 429 and 5xx are transient
//     with the partner's Retry-After (fault.RetryAfter); every other status
//     is permanent.
//   - Clean makes a partner's message safe to put in an error: one short
//     line, with every configured secret (Config.Secrets) and every value
//     the caller names replaced by [REDACTED], whatever its case, even
//     when the partner echoes it back.
//   - Nothing here logs.
package partnerhttp
