// Package webhook verifies and signs partner webhooks with the Standard
// Webhooks scheme: an HMAC-SHA256 over "id.timestamp.body", sent as
// webhook-id, webhook-timestamp and webhook-signature headers.
//
// What it guarantees:
//
//   - Verification runs on the raw body bytes, before anything parses them.
//   - Signatures are compared in constant time (the standard-webhooks
//     reference library does the HMAC and the comparison).
//   - A timestamp more than Tolerance (5 minutes) in the past or in the
//     future is refused, by the injected clock, so captured requests cannot
//     be replayed later.
//   - Several secrets are accepted at once so a partner can rotate its
//     secret without downtime; a request signed with any of them passes.
//   - Every refusal wraps fault.ErrUnauthorized (HTTP 401) and says why,
//     without echoing the signature or the secret.
//
// The webhook-id is the partner's idempotency key: callers store it with
// the body's hash, treat a repeat with the same body as a duplicate, and a
// repeat with a different body as a conflict.
package webhook
