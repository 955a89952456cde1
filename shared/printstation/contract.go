package printstation

// ASSUMPTIONS. PrintStation's API is not public (reference/partners.md):
// the header below is the conventional form, and each flow's paths and
// shapes are in its own file next to the calls (batches.go, products.go).

// HeaderAPIKey carries the API key.
const HeaderAPIKey = "X-Api-Key"

// HeaderIdempotencyKey makes a retried call have no second effect.
const HeaderIdempotencyKey = "Idempotency-Key"
