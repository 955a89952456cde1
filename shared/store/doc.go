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
//   - Once records a message id in the same transaction as its effect: the
//     effect happens at most once per consumer and message id, even when
//     two deliveries race.
//   - A parked message is stored once per function and message id; parking
//     it again updates the record.
//   - A lease has one holder at a time; an expired lease can be taken over.
//     Lease times come from the database clock.
package store
