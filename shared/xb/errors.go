package xb

import (
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/popsockets/integration/shared/fault"
)

// Error is an answer of XB other than 2xx. It sits in the chain of the
// errors the client returns (errors.As), beside the fault class.
type Error struct {
	// Status is the HTTP status.
	Status int
	// Code and Message come from XB's body (the message cut to one short
	// line, personal values redacted); empty when XB sent none.
	Code    string
	Message string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("XB answered %d", e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// maxMessage is how much of a partner's message an error keeps.
const maxMessage = 200

// redacted replaces a personal value found in a partner's message.
const redacted = "[REDACTED]"

// oneLine cuts a partner's message to one short line of printable text and
// removes the given personal values from it.
func oneLine(s string, personal ...string) string {
	for _, p := range personal {
		if len(strings.TrimSpace(p)) >= 3 {
			s = strings.ReplaceAll(s, p, redacted)
		}
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if r := []rune(s); len(r) > maxMessage {
		s = string(r[:maxMessage]) + "..."
	}
	return s
}

// personal lists the values of an order that must not reach an error.
func personal(o Order) []string {
	t := o.ShipTo
	return []string{t.Name, t.Company, t.Phone, t.Email, t.Line1, t.Line2, t.PostalCode}
}

// classifyFailure classifies a non-2xx answer that is not a duplicate.
func classifyFailure(e *Error, h http.Header, now time.Time) error {
	switch {
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		return fault.Transient(fmt.Errorf("XB credentials refused (HTTP %d; XB_API_KEY may be mid-rotation): %w", e.Status, e), 0)
	case e.Status == http.StatusTooManyRequests || e.Status == http.StatusRequestTimeout || e.Status >= 500:
		return fault.Transient(e, fault.RetryAfterHeader(h, now))
	default:
		return fault.Permanent(e)
	}
}
