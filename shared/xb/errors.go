package xb

import (
	"fmt"
	"strings"
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

// apiError describes a failed answer: XB's code and message, cut to one
// short line, with the order's personal values redacted.
func (c *Client) apiError(status int, w WireError, o Order) *Error {
	p := personal(o)
	msg := w.Message
	if len(w.Details) > 0 {
		msg = strings.TrimSpace(msg + " (" + strings.Join(w.Details, "; ") + ")")
	}
	return &Error{Status: status, Code: c.http.Clean(w.Code, p...), Message: c.http.Clean(msg, p...)}
}

// personal lists the values of an order that must not reach an error.
func personal(o Order) []string {
	t := o.ShipTo
	return []string{t.Name, t.Company, t.Phone, t.Email, t.Line1, t.Line2, t.PostalCode}
}
