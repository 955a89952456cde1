// Package fault classifies failures so that every handler answers the
// Functions host, and every partner, in the same way.
//
// A failure is one of a few classes. Transient failures (a partner's 5xx or
// timeout, an unreachable database) are worth retrying: the host redelivers
// the message. Permanent failures (an invalid payload, a partner's 4xx
// validation error) will fail again on every retry: the message is parked
// for a person and acknowledged. A duplicate is a message whose effect has
// already happened: it is acknowledged with no second effect. Unauthorized,
// malformed and oversized requests are rejected at the HTTP edge.
//
// Errors carry their class through wrapping, so a client deep in the stack
// decides the class once and every layer above keeps it:
//
//	return fault.Permanent(fmt.Errorf("cirro rejected order %s: %s", id, msg))
//
// An error with no class is transient. Guessing "transient" is the safe
// default: the message is retried and, if it keeps failing, dead-lettered,
// so nothing is lost. ClassOf is the only place the rule lives.
package fault
