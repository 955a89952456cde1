// Package arena is the client of Arena PLM's REST API, the source of truth
// for items: it reads items with their additional attributes, BOMs, the
// outbound integration's change events (and reconciles them), and items
// made effective since a time.
//
// What it guarantees:
//
//   - One session for the whole app. Arena ends a session when the same
//     user logs in again, so the session lives in PostgreSQL
//     (PostgresSessions: partner_sessions), and only the holder of the login
//     lease (leases) logs in; every other instance waits for that session
//     and uses it. This replaces the Camel layer's Hazelcast token cache.
//   - A 401 (the session expired, or ended) is answered by one re-login
//     (or by the session another instance has just made) and one retry;
//     a second 401 is an error, never a loop. A session idle for close to
//     Arena's 90 minutes is renewed before use.
//   - X-Arena-Requests-Remaining is honoured: the client stops, without
//     calling, when the day's requests are down to its Reserve, and after a
//     429 until the reset (X-Arena-Next-Request-Limit-Reset); both are
//     ErrQuotaExhausted, transient with the wait until the reset, so a poll
//     can stop cleanly and resume on a later run.
//   - A page holds at most 400 results; content-type application/json is
//     sent on every request (Arena answers 415 without it).
//   - Errors are classified with package fault (404 permanent, with
//     ErrNotFound; 5xx transient; a refused login transient and named). No
//     error holds the password, the e-mail or the session token, and the
//     client never logs.
//
// Paths and shapes are in contract.go, from Arena's published docs.
package arena
