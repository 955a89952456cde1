package fault

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Class is what a failure means for the caller.
type Class int

// The classes, from the error table in DESIGN.md.
const (
	// Transient failures are retried: 500 to the host, the message is redelivered.
	ClassTransient Class = iota
	// Permanent failures are parked for a person and acknowledged.
	ClassPermanent
	// Duplicate means the effect already happened: acknowledged, nothing done.
	ClassDuplicate
	// Unauthorized means the caller could not be verified (HTTP 401).
	ClassUnauthorized
	// Malformed means the input cannot be read (HTTP 400; parked for messages).
	ClassMalformed
	// TooLarge means the input is over the size limit (HTTP 413; parked for messages).
	ClassTooLarge
	// Conflict means the input contradicts what was received before, such as
	// a webhook id reused with another body (HTTP 409; parked for messages).
	ClassConflict
)

var classNames = map[Class]string{
	ClassTransient:    "transient",
	ClassPermanent:    "permanent",
	ClassDuplicate:    "duplicate",
	ClassUnauthorized: "unauthorized",
	ClassMalformed:    "malformed",
	ClassTooLarge:     "too_large",
	ClassConflict:     "conflict",
}

func (c Class) String() string {
	if s, ok := classNames[c]; ok {
		return s
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// Sentinels, one per class that a caller may test with errors.Is.
var (
	ErrTransient    = errors.New("transient failure")
	ErrPermanent    = errors.New("permanent failure")
	ErrDuplicate    = errors.New("already processed")
	ErrUnauthorized = errors.New("unauthorized")
	ErrMalformed    = errors.New("malformed input")
	ErrTooLarge     = errors.New("input too large")
	ErrConflict     = errors.New("conflicting input")
)

var sentinels = []struct {
	err   error
	class Class
}{
	{ErrDuplicate, ClassDuplicate},
	{ErrUnauthorized, ClassUnauthorized},
	{ErrTooLarge, ClassTooLarge},
	{ErrConflict, ClassConflict},
	{ErrMalformed, ClassMalformed},
	{ErrPermanent, ClassPermanent},
	{ErrTransient, ClassTransient},
}

// ClassOf returns the class of err. nil has no class and returns Transient;
// callers check for nil first. An error without a class is Transient.
//
// The outermost decision wins: a layer that knows more than the client
// below it re-classifies by wrapping. An OMS 409 is permanent to the OMS
// client, and the flow that knows an earlier step is on its way turns it
// into Transient(err, wait); that error is transient. Where an error joins
// several (errors.Join), the first classified branch decides.
func ClassOf(err error) Class {
	if c, ok := classOf(err); ok {
		return c
	}
	return ClassTransient
}

func classOf(err error) (Class, bool) {
	for err != nil {
		if c, ok := err.(*classified); ok {
			return sentinelClass(c.class), true
		}
		for _, s := range sentinels {
			if err == s.err { //nolint:errorlint // identity with a sentinel, by design
				return s.class, true
			}
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if c, ok := classOf(e); ok {
					return c, true
				}
			}
			return 0, false
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		default:
			return 0, false
		}
	}
	return 0, false
}

func sentinelClass(sentinel error) Class {
	for _, s := range sentinels {
		if sentinel == s.err { //nolint:errorlint // identity with a sentinel, by design
			return s.class
		}
	}
	return ClassTransient
}

// classified keeps the original message and adds a class sentinel to the chain.
type classified struct {
	err        error
	class      error
	retryAfter time.Duration
}

func (c *classified) Error() string   { return c.err.Error() }
func (c *classified) Unwrap() []error { return []error{c.err, c.class} }

func mark(err, class error) error {
	if err == nil {
		return nil
	}
	return &classified{err: err, class: class}
}

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return mark(err, ErrPermanent) }

// Permanentf is Permanent(fmt.Errorf(format, args...)).
func Permanentf(format string, args ...any) error {
	return Permanent(fmt.Errorf(format, args...))
}

// Malformed marks err as unreadable input.
func Malformed(err error) error { return mark(err, ErrMalformed) }

// Malformedf is Malformed(fmt.Errorf(format, args...)).
func Malformedf(format string, args ...any) error {
	return Malformed(fmt.Errorf(format, args...))
}

// Unauthorizedf returns an Unauthorized error with the given message.
func Unauthorizedf(format string, args ...any) error {
	return mark(fmt.Errorf(format, args...), ErrUnauthorized)
}

// TooLargef returns a TooLarge error with the given message.
func TooLargef(format string, args ...any) error {
	return mark(fmt.Errorf(format, args...), ErrTooLarge)
}

// Conflictf returns a Conflict error with the given message.
func Conflictf(format string, args ...any) error {
	return mark(fmt.Errorf(format, args...), ErrConflict)
}

// Duplicatef returns a Duplicate error with the given message.
func Duplicatef(format string, args ...any) error {
	return mark(fmt.Errorf(format, args...), ErrDuplicate)
}

// Transient marks err as worth retrying, optionally after a delay the partner
// asked for (HTTP 429 or 503 Retry-After); zero means no hint.
func Transient(err error, retryAfter time.Duration) error {
	if err == nil {
		return nil
	}
	return &classified{err: err, class: ErrTransient, retryAfter: retryAfter}
}

// RetryAfter returns the delay a partner asked for, if any error in the chain carries one.
func RetryAfter(err error) (time.Duration, bool) {
	var c *classified
	for e := err; errors.As(e, &c); {
		if c.retryAfter > 0 {
			return c.retryAfter, true
		}
		e = c.err
	}
	return 0, false
}
