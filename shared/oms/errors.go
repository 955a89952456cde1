package oms

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/popsockets/integration/shared/partnerhttp"
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

// classify turns an answer into nil (success, or already at or past target)
// or a classified error.
func (c *Client) classify(a partnerhttp.Answer, target string) error {
	if a.OK() {
		return nil // a success whose body was cut is still a success
	}
	var w WireError
	_ = json.Unmarshal(a.Body, &w) // a body that is not ours still has a status
	if a.Status == http.StatusConflict && (w.Code == CodeAlreadyInState || AtOrPast(w.CurrentStatus, target)) {
		return nil
	}
	e := &Error{
		Status:        a.Status,
		Code:          c.http.Clean(w.Code),
		Message:       c.http.Clean(w.Message),
		OrderID:       c.http.Clean(w.OrderID),
		CurrentStatus: c.http.Clean(w.CurrentStatus),
	}
	// 401/403, 429, 408 and 5xx are transient; 400, 404, 409 (an
	// unexpected state), 422 and the rest of 4xx are permanent.
	return c.http.Failure(a, e)
}
