package bus

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Envelope statuses.
const (
	StatusRequest = "request"
	StatusSuccess = "SUCCESS"
	StatusFailed  = "FAILED"
)

// Object types seen in the company's envelopes.
const (
	ObjectOrder       = "ORDER"
	ObjectFulfillment = "FULFILLMENT"
	ObjectBatch       = "BATCH"
	ObjectShipment    = "SHIPMENT"
	ObjectDocument    = "DOCUMENT"
	ObjectProduct     = "PRODUCT"
)

// Envelope is the company's Service Bus message body ("Azure Service Bus
// Architecture standard"). RequestedPayload is the business payload; it is
// base64 in JSON, as the standard requires.
type Envelope struct {
	TraceID          string          `json:"trace_id"`
	SpanID           string          `json:"span_id"`
	EventType        string          `json:"event_type"`
	Timestamp        time.Time       `json:"timestamp"`
	Status           string          `json:"status"`
	Code             int             `json:"code"`
	Message          string          `json:"message"`
	ObjectType       string          `json:"object_type"`
	RefeID           string          `json:"refe_id"`
	RequestedPayload []byte          `json:"requested_payload"`
	ResponsePayload  json.RawMessage `json:"response_payload"`
}

var (
	traceIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)
	spanIDPattern  = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

// NewTraceID returns a random 32-hex trace id.
func NewTraceID() string { return randomHex(16) }

// NewSpanID returns a random 16-hex span id.
func NewSpanID() string { return randomHex(8) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Request builds a request envelope for an event about refeID. Pass the
// trace id of the message being handled to keep one trace across a flow,
// or "" to start a new trace.
func Request(traceID, eventType, objectType, refeID string, payload any, now time.Time) (Envelope, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return Envelope{}, fmt.Errorf("encoding %s payload: %w", eventType, err)
	}
	if traceID == "" {
		traceID = NewTraceID()
	}
	return Envelope{
		TraceID: traceID, SpanID: NewSpanID(), EventType: eventType, Timestamp: now.UTC(),
		Status: StatusRequest, Code: 200, ObjectType: objectType, RefeID: refeID, RequestedPayload: b,
		ResponsePayload: json.RawMessage("null"),
	}, nil
}

// Validate checks the fields every consumer relies on.
func (e Envelope) Validate() error {
	var errs []error
	if !traceIDPattern.MatchString(e.TraceID) {
		errs = append(errs, fmt.Errorf("trace_id %q is not 32 lower-case hex digits", e.TraceID))
	}
	if !spanIDPattern.MatchString(e.SpanID) {
		errs = append(errs, fmt.Errorf("span_id %q is not 16 lower-case hex digits", e.SpanID))
	}
	if e.EventType == "" {
		errs = append(errs, errors.New("event_type is empty"))
	}
	if e.Timestamp.IsZero() {
		errs = append(errs, errors.New("timestamp is zero"))
	}
	switch e.Status {
	case StatusRequest, StatusSuccess, StatusFailed:
	default:
		errs = append(errs, fmt.Errorf("status %q is not request, SUCCESS or FAILED", e.Status))
	}
	if e.ObjectType == "" {
		errs = append(errs, errors.New("object_type is empty"))
	}
	if e.RefeID == "" {
		errs = append(errs, errors.New("refe_id is empty"))
	}
	return errors.Join(errs...)
}

// Traceparent is the W3C trace context of the envelope, sent as the
// Diagnostic-Id application property so Application Insights links the
// publisher's and the consumer's telemetry.
func (e Envelope) Traceparent() string {
	return "00-" + e.TraceID + "-" + e.SpanID + "-01"
}

// DecodeEnvelope reads an envelope from a message body and checks it.
func DecodeEnvelope(body []byte) (Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(body, &e); err != nil {
		return Envelope{}, fmt.Errorf("decoding message envelope: %w", err)
	}
	if err := e.Validate(); err != nil {
		return Envelope{}, fmt.Errorf("invalid message envelope: %w", err)
	}
	return e, nil
}

// maxMessageIDLen is Service Bus's limit on MessageId.
const maxMessageIDLen = 128

// MessageID derives the broker MessageId from a business key such as
// "ORD-1001/fulfillment-request". Keys within the broker's 128-character
// limit are used as they are, so people can read them; longer ones are hashed.
func MessageID(key string) string {
	if len(key) <= maxMessageIDLen {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256-" + hex.EncodeToString(sum[:])
}
