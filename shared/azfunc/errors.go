package azfunc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/popsockets/integration/shared/fault"
)

// Outcome is how an invocation ended; it is the "outcome" field of the
// invocation's final log line.
type Outcome string

// The outcomes.
const (
	OutcomeSucceeded Outcome = "succeeded"
	OutcomeDuplicate Outcome = "duplicate"
	OutcomeParked    Outcome = "parked"
	OutcomeFailed    Outcome = "failed"   // 5xx: the host retries or the caller retries
	OutcomeRejected  Outcome = "rejected" // HTTP 4xx: nothing stored
)

// Trigger kinds, with the binding type names function.json uses.
const (
	KindServiceBus = "serviceBusTrigger"
	KindTimer      = "timerTrigger"
	KindBlob       = "blobTrigger"
	KindHTTP       = "httpTrigger"
)

// decide is the error-class table of DESIGN.md for non-HTTP invocations.
// Messages and blobs that will never succeed are parked and acknowledged, so
// they neither block the subscription nor burn maxDeliveryCount. A timer has
// nothing to park: its failure is reported as a failed run.
func decide(kind string, err error) Outcome {
	if err == nil {
		return OutcomeSucceeded
	}
	switch fault.ClassOf(err) {
	case fault.ClassDuplicate:
		return OutcomeDuplicate
	case fault.ClassPermanent, fault.ClassMalformed, fault.ClassTooLarge, fault.ClassUnauthorized, fault.ClassConflict:
		if kind == KindServiceBus || kind == KindBlob {
			return OutcomeParked
		}
		return OutcomeFailed
	default:
		return OutcomeFailed
	}
}

// HTTPStatus is the error-class table for HTTP callers: the status a
// partner receives for err.
func HTTPStatus(err error) int {
	if errors.Is(err, ErrBodyTimeout) {
		return http.StatusRequestTimeout
	}
	switch fault.ClassOf(err) {
	case fault.ClassDuplicate:
		return http.StatusOK
	case fault.ClassUnauthorized:
		return http.StatusUnauthorized
	case fault.ClassMalformed:
		return http.StatusBadRequest
	case fault.ClassTooLarge:
		return http.StatusRequestEntityTooLarge
	case fault.ClassConflict:
		return http.StatusConflict
	case fault.ClassPermanent:
		return http.StatusUnprocessableEntity
	default:
		return http.StatusServiceUnavailable
	}
}

// ErrorBody is the JSON a partner receives with a 4xx or 5xx.
type ErrorBody struct {
	Error        string `json:"error"`
	Class        string `json:"class"`
	InvocationID string `json:"invocation_id,omitempty"`
}

// WriteError answers an HTTP caller with the status of err's class. A 4xx
// carries the precise reason; a 5xx carries only a generic text and the
// invocation id (internals stay in the logs), and Retry-After.
func WriteError(ctx context.Context, w http.ResponseWriter, err error) {
	status := HTTPStatus(err)
	body := ErrorBody{Error: Clip(err.Error(), 1024), Class: classOf(err), InvocationID: Info(ctx).ID}
	if status >= 500 {
		body.Error = "temporarily unable to process the request; retry later"
		retry := 30 * time.Second
		if d, ok := fault.RetryAfter(err); ok {
			retry = d
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds())))
	}
	WriteJSON(w, status, body)
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// isTooLarge reports whether err came from an http.MaxBytesReader.
func isTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
