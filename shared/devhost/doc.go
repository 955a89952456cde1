// Package devhost is a local stand-in for the Azure Functions host, for
// `handler dev` (make run) and end-to-end tests. It never runs in Azure.
//
// It reads the same files the real host reads (host.json,
// functions/*/function.json, local settings) plus infra/messaging.json, and
// talks to the handler only through the custom-handler protocol: it starts
// the handler with FUNCTIONS_CUSTOMHANDLER_PORT, waits for GET / to answer,
// forwards /api/... requests to it, and posts {Data, Metadata} invocations
// shaped like the real host's (strings quoted twice, numbers as strings,
// bodies double-encoded, blobs in base64), so local runs exercise the
// production code path.
//
// Around the handler it provides:
//
//   - timers on their six-field NCRONTAB schedules; a run that overlaps
//     the next tick delays it instead of running twice at once;
//   - a broker that honours messaging.json: correlation filters,
//     duplicate detection by MessageId, peek-lock delivery where a non-2xx
//     reply redelivers with DeliveryCount+1 and, after maxDeliveryCount,
//     dead-letters the message; per-function concurrency from host.json;
//   - blob triggers that fire when a blob lands (or changes) in the local
//     filesystem store, retried five times and then set aside as poison;
//   - a restart of the handler after a function timeout or a crash, as the
//     real host does;
//   - one short human line per invocation on its output.
//
// The broker, timers and blob receipts live in memory: a restart of the
// devhost forgets them, which is what a throwaway local run wants.
package devhost
