// Package store is the product's PostgreSQL: a pgx connection pool, the
// schema migrations embedded in the binary, and the repositories that every
// flow shares (idempotency, parked messages, watermarks, leases).
//
// What it guarantees:
//
//   - Opening a Store does no I/O; the first query connects, with a
//     connect timeout, so a missing database fails invocations (as
//     transient) instead of hanging start-up.
//   - Migrations run only through Migrate (`handler migrate`, `make run`,
//     tests), under a PostgreSQL advisory lock, so two runners never race.
//     A running handler never migrates: Ready reports a database that is
//     behind the binary, and the invocation fails as transient until the
//     pipeline has migrated.
//   - Claim, then Record (or Release/Refuse), is how a partner call is
//     made exactly once per consumer and key with no transaction open
//     during the call; Once records a message id in the transaction of a
//     database-only effect. Either way the effect happens at most once per
//     consumer and key, even when two deliveries race.
//   - Batcher records concurrent callers' items in one statement and one
//     commit, and answers each only after that commit.
//   - The outbox holds what is still to publish; ClaimOutbox, SendOutbox and
//     FailOutbox publish, remove, back off and park without ever sending one
//     row from two relays at once or letting a failing row block newer ones.
//   - A parked message is stored once per function and message id, whatever
//     bytes it holds; parking it again updates the record.
//   - Data the database refuses for good (SQLSTATE classes 22 and 54) is a
//     permanent failure (Classify), never retried forever.
//   - A lease has one holder at a time; an expired lease can be taken over.
//     Lease times come from the database clock.
//   - Operations (ops.go, migration 00007): a timer's last success only
//     moves forward, and a stale mark is set once and cleared once; a dead
//     letter is recorded once per topic, subscription and sequence number;
//     an alert kind is claimed by one caller per window.
package store
