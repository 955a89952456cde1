// Package azfunc is the Azure Functions custom-handler protocol: it decodes
// the invocations the Functions host posts, runs a handler, and writes the
// reply the host expects.
//
// What it guarantees:
//
//   - The server answers GET / (the host's readiness probe) as soon as it
//     listens; building the server does no network I/O.
//   - Invocations are decoded defensively: metadata strings quoted twice,
//     numbers and booleans sent as strings, dates without an offset,
//     message bodies encoded once or twice, binary blobs in base64.
//   - Every reply is decided by one table (see [Outcome]): success and
//     duplicates are 2xx; a permanent failure is parked through the
//     [Parker] and acknowledged with 2xx; anything else is a 500 so the
//     host retries. A failure is never a 2xx with an error body.
//   - Each invocation has a deadline shorter than the host's functionTimeout
//     and a logger that writes one JSON line per event to stdout (errors to
//     stderr), mirrored into the reply's Logs on success; configured secrets
//     and personal-data fields are redacted before a line is written.
//   - A panic in a handler becomes a 500 with its stack logged; the process
//     keeps serving.
//
// Forwarded HTTP functions (host.json enableForwardingHttpRequest) are plain
// net/http handlers registered at their /api/... route; they get the same
// logger, deadline, panic recovery and a request body limit.
package azfunc
