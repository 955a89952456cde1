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
//     and a logger that writes each JSON line once, Debug and Info to
//     stdout, Warn and Error to stderr, so the host's severity rule makes
//     them Information, Warning and Error rows (see [Logging]); nothing is
//     mirrored into the reply's Logs. An invocation or a request is one
//     line unless a handler logs more; [Note] adds facts to that line.
//     Configured secrets and personal-data fields are redacted before a
//     line is written; over-long strings are cut.
//   - A transient failure of a Service Bus or blob invocation is tried
//     again inside the invocation, with exponential back-off honouring a
//     Retry-After hint, for Config.RetryBudget, before the invocation fails:
//     the host hands an abandoned message straight back, so failing fast
//     would burn every delivery of a short outage in seconds.
//   - A panic in a handler becomes a 500 (a 503 with Retry-After for HTTP
//     callers) with its stack logged; the process keeps serving.
//
// Forwarded HTTP functions (host.json enableForwardingHttpRequest) are plain
// net/http handlers registered at their /api/... route; they get the same
// logger, deadline, panic recovery, a body size limit and a body read
// deadline, and JSON answers for wrong methods (405). [ReadBody],
// [CheckJSONText] and [CheckField] refuse empty, slow, invalid UTF-8, NUL
// and over-long input with precise 4xx errors.
package azfunc
