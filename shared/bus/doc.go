// Package bus publishes messages to Service Bus topics in the company's
// message envelope, the shape BatchStation, ADX and the Camel consumers
// already read.
//
// Every message carries a MessageId derived from its business key, so that
// publishing the same fact twice (a retried handler, a replay) is dropped by
// Service Bus duplicate detection and by our consumers' idempotency; a
// CorrelationId equal to the envelope's refe_id (the order or batch); the
// event type as Subject; the routing properties that subscription filters
// match (target, channel, source); and a W3C Diagnostic-Id built from the
// envelope's trace and span ids.
//
// Two implementations share the Publisher interface: ServiceBus (the
// azservicebus SDK, in Azure) and Local (the local Functions host's broker,
// for `make run` and tests). Handlers never know which one they have.
//
// Both also read subscriptions' dead-letter queues (DeadLetterReader: a
// peek locks nothing) and take messages back out of them
// (Resubmitter): a message is locked, handed to a redrive (its function
// runs it again, under its own MessageId), and completed only when that
// succeeded; every other message it looked at is abandoned, unchanged.
// Sending a copy back to the topic would reach every subscription and be
// dropped by duplicate detection within the topic's window, so nothing is
// ever re-published.
package bus
