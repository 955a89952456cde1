// Package devhost is a local stand-in for the Azure Functions host, for
// the local run (tools/devrun, make run) and end-to-end tests. It never runs in Azure.
//
// It reads the same files the real host reads (host.json,
// functions/*/function.json, local settings) plus infra/messaging.json, and
// talks to the handler only through the custom-handler protocol: it starts
// the handler with FUNCTIONS_CUSTOMHANDLER_PORT, waits for GET / to answer,
// forwards /api/... requests to it, and posts {Data, Metadata} invocations
// shaped like the real host's (strings quoted twice, numbers as strings,
// bodies double-encoded, blobs in base64, a JSON body's properties merged
// into Metadata), so local runs exercise the production code path.
//
// Each behaviour follows the real host's source (Azure/azure-functions-host,
// Azure/azure-webjobs-sdk and the extensions), named in the comments where
// it is implemented:
//
//   - the front door: function keys (401 with an empty body), the empty
//     404 of an unmatched path or method, 413 past 100 MiB, 408 for a body
//     slower than 240 bytes/s, the host's 500 for a failed invocation, and
//     forwarding that keeps Host, appends to User-Agent, adds no
//     X-Forwarded-* and copies a body only when Content-Length is above 0;
//   - telemetry as Application Insights holds it (Telemetry): requests rows
//     whose success is the invocation's result and resultCode the HTTP
//     status (or "0"), and traces rows for the handler's console lines,
//     the reply's Logs and the host's own lines, sampled as host.json says;
//   - the handler's life: 30 s per start to answer, exit 0 not restarted,
//     exit 200 restarted, other exits and start-up timeouts counted, the
//     third error within 30 minutes stopping the host, and a restart after
//     a function timeout;
//   - timers on their six-field NCRONTAB schedules; a run that overlaps
//     the next tick delays it instead of running twice at once;
//   - a broker that honours messaging.json: correlation filters,
//     duplicate detection by MessageId, peek-lock delivery where a non-2xx
//     reply redelivers with DeliveryCount+1 and, after maxDeliveryCount,
//     dead-letters the message; per-function concurrency from host.json;
//     its dead-letter queues are peeked, received under a lock, completed
//     or abandoned as a Service Bus receiver does them (deadletters.go);
//   - blob triggers through Event Grid, the only source Flex Consumption
//     has: a new blob in the local store becomes a BlobCreated event posted
//     to the blob extension's webhook, queued, and invoked, five times at
//     most before its message goes to the poison queue;
//   - one short human line per invocation on its output.
//
// The broker, timers, blob queue and telemetry live in memory (telemetry
// can also go to JSON lines files): a restart of the devhost forgets them,
// which is what a throwaway local run wants.
package devhost
