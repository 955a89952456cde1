package cirro

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/fault"
)

// ErrCredentials marks a failure caused by Cirro refusing our app_key and
// app_token, or answering 401/403 even with a fresh token. Its class is
// transient, because credentials may be in the middle of a rotation, but a
// failure that keeps carrying it means CIRRO_APP_KEY or CIRRO_APP_TOKEN is
// wrong: alerts can test for it with errors.Is.
var ErrCredentials = errors.New("cirro refused our credentials")

// APIError is an answer from Cirro that is not a success. Message is
// Cirro's own text with any consignee data removed.
type APIError struct {
	HTTPStatus int
	Code       int
	Message    string
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("cirro answered HTTP ")
	b.WriteString(strconv.Itoa(e.HTTPStatus))
	if e.Code != CodeOK {
		b.WriteString(" code ")
		b.WriteString(strconv.Itoa(e.Code))
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// outcome is what the client makes of one answer.
type outcome int

const (
	outcomeOK outcome = iota
	outcomeTransient
	outcomePermanent
	outcomeDuplicate
	outcomeReauth      // refresh the token and retry once
	outcomeCredentials // our app_key/app_token were refused
	outcomeNotFound    // a lookup found no such order
)

// decide classifies an answer that carried a reply envelope (or none, when
// hasReply is false). The HTTP status wins for the failures that are about
// the transport (5xx, 429, 401/403); otherwise a known code decides, and an
// unknown code falls back on the status.
func decide(status int, hasReply bool, code int) outcome {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return outcomeReauth
	case status >= 500, status == http.StatusTooManyRequests,
		status == http.StatusRequestTimeout, status == http.StatusTooEarly:
		return outcomeTransient
	}
	if hasReply && code != CodeOK {
		if o, ok := codeClass[code]; ok {
			return o
		}
	}
	switch {
	case status == http.StatusConflict:
		return outcomeDuplicate
	case status >= 400:
		return outcomePermanent
	case status < 200 || status >= 300:
		// 1xx and 3xx are not answers a JSON API gives: a proxy or a
		// misconfigured base URL; worth retrying, loudly.
		return outcomeTransient
	case !hasReply:
		return outcomeTransient // a 2xx we cannot read
	case code == CodeOK:
		return outcomeOK
	default:
		// A 2xx with a code we do not know: retrying is safe (the request_id
		// makes a second order impossible) and a failure that persists is
		// dead-lettered for a person.
		return outcomeTransient
	}
}

// values lists the consignee's personal values, which no error may hold
// (none for a nil consignee).
func (c *Consignee) values() []string {
	if c == nil {
		return nil
	}
	return []string{c.Name, c.Company, c.Phone, c.Email, c.Address1, c.Address2, c.Zipcode, c.City}
}

// failure builds the classified error for an answer that is not a success.
func failure(o outcome, apiErr *APIError, retryAfter time.Duration) error {
	switch o {
	case outcomePermanent:
		return fault.Permanent(apiErr)
	case outcomeCredentials:
		return fault.Transient(fmt.Errorf("%w (credentials may be being rotated; check CIRRO_APP_KEY and CIRRO_APP_TOKEN): %w", ErrCredentials, apiErr), 0)
	default:
		return fault.Transient(apiErr, retryAfter)
	}
}
