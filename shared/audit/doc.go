// Package audit is the audit trail: one event for every partner call and
// every message, request, timer run or blob the layer handles, written in
// the background to Azure Data Explorer (in Azure) or PostgreSQL (locally).
//
// What it guarantees:
//
//   - Recording never blocks or fails the business path. Record puts the
//     event in a bounded buffer and returns; when the buffer is full the
//     event is dropped, counted (Dropped) and logged, once per burst.
//   - Events are written in batches by one background loop (Run), at most
//     Config.Batch at a time and at least every Config.Every. A batch the
//     sink refuses is retried with backoff and then dropped (counted); a
//     sink that keeps failing calls Config.Broken once until it recovers,
//     which the app turns into one alert.
//   - An event carries no personal data and no secret: the system, the
//     operation (an HTTP method and path without its query, or a function
//     name), the invocation and correlation ids (order or document), the
//     outcome, status, size and duration. A raw payload the layer archived
//     is named by its archive blob, never copied.
//   - Every event has a unique id; the sinks write an event at most once
//     per id (PostgreSQL on its key, ADX with an ingest-by tag per batch).
//
// Handlers do not call the package: the kit records each invocation, and
// package partnerhttp records each partner call, both through the Recorder
// the kit puts in the invocation's context (From, With).
package audit
