// Package webhookbench measures the fulfilment-request webhook against its
// floor, on one durable PostgreSQL (fsync, synchronous_commit and
// full_page_writes on), in one run: pgbench's one-row INSERT rate, a minimal
// receiver written for the comparison (verify the Standard Webhooks
// signature, open the sealed data, one INSERT, 202), and the product's
// handler binary exec'd as the Functions host runs it. An independent OMS
// client in the benchmark posts sealed, signed requests to each receiver at
// 50 concurrent (saturation) and at an offered 200 req/s (open loop, latency
// from the scheduled send time).
//
// Every figure is measured in the run that prints it. The run fails when a
// request answered 202 has no row, or when an accepted request of the
// product was not published to the benchmark's stand-in for the local
// broker; duplicate publications are counted and reported.
//
// The package has no code outside its tests: run it with make bench-webhook.
package webhookbench
