package jackyun

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/fault"
)

// Error is a refusal Jackyun or the Qimen router answered with inside an
// HTTP 200 (a code other than 200, or an error_response). It sits in the
// chain of the errors the client returns (errors.As), beside the fault class.
type Error struct {
	// Method is the Qimen method called.
	Method string
	// Code, SubCode, Msg and SubMsg come from the answer, cut to one short line.
	Code, SubCode string
	Msg, SubMsg   string
	// Router is true for an error_response (the router refused the call).
	Router bool
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Jackyun refused %s: code %s", e.Method, e.Code)
	if e.SubCode != "" {
		b.WriteString(" (" + e.SubCode + ")")
	}
	if e.Msg != "" {
		b.WriteString(": " + e.Msg)
	}
	if e.SubMsg != "" {
		b.WriteString(": " + e.SubMsg)
	}
	return b.String()
}

// codeText reads a code written as a number or a string.
func codeText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return strings.TrimSpace(string(raw))
}

// classify gives a refusal its class: limits and the service's own failures
// are transient (with a pause), refused credentials transient and named,
// the rest (a bad parameter, unknown goods) permanent.
func classify(e *Error, credentialSetting string) error {
	sub := strings.ToLower(e.SubCode)
	switch {
	case credentialCodes[e.Code]:
		return fault.Transient(fmt.Errorf("credentials refused by Jackyun (%s may be mid-rotation, or the sign method is wrong): %w",
			credentialSetting, e), 0)
	case strings.HasPrefix(sub, "isv."):
		return fault.Permanent(e)
	case transientCodes[e.Code] || strings.HasPrefix(sub, "isp.") || strings.Contains(sub, "limit") || strings.Contains(sub, "busy"):
		return fault.Transient(e, 10*time.Second)
	default:
		return fault.Permanent(e)
	}
}
