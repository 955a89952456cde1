package oms

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/popsockets/integration/shared/fault"
)

// Error is an answer of OMS other than 2xx. It sits in the chain of the
// errors the client returns (errors.As), beside the fault class.
type Error struct {
	// Status is the HTTP status.
	Status int
	// Code, Message, OrderID and CurrentStatus come from OMS's body (the
	// message cut to one short line); they are empty when OMS sent none.
	Code          string
	Message       string
	OrderID       string
	CurrentStatus string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "OMS answered %d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.CurrentStatus != "" {
		b.WriteString(" (order is " + e.CurrentStatus + ")")
	}
	return b.String()
}

// maxMessage is how much of a partner's message an error keeps.
const maxMessage = 200

// oneLine cuts a partner's message to one short line of printable text.
func oneLine(s string) string {
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

// classify turns an answer into nil (success, or already at or past target)
// or a classified error.
func classify(status int, h http.Header, body []byte, target string, now time.Time) error {
	if status >= 200 && status < 300 {
		return nil
	}
	var w WireError
	_ = json.Unmarshal(body, &w) // a body that is not ours still has a status
	e := &Error{Status: status, Code: oneLine(w.Code), Message: oneLine(w.Message), OrderID: w.OrderID, CurrentStatus: oneLine(w.CurrentStatus)}
	switch {
	case status == http.StatusConflict && (w.Code == CodeAlreadyInState || AtOrPast(w.CurrentStatus, target)):
		return nil
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fault.Transient(fmt.Errorf("OMS credentials refused (HTTP %d; OMS_API_TOKEN may be mid-rotation): %w", status, e), 0)
	case status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500:
		return fault.Transient(e, fault.RetryAfterHeader(h, now))
	default:
		// 400, 404, 409 (unexpected state), 422 and the rest of 4xx will
		// be the same on every retry.
		return fault.Permanent(e)
	}
}
