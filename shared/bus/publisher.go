package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/popsockets/integration/shared/fault"
)

// Message is one thing to publish.
type Message struct {
	// Topic is the logical topic name from infra/messaging.json.
	Topic string
	// Key is the business key (order id and step); the MessageId derives from it.
	Key string
	// Envelope is the body.
	Envelope Envelope
	// Properties are the routing properties subscription filters match
	// (target, channel, source). Values are strings.
	Properties map[string]string
	// Encoded is the envelope as JSON once Encode has run; the publisher
	// sends it as the body instead of encoding the envelope again.
	Encoded []byte `json:"-"`
}

// Encode encodes the envelope once, for the outbox row and the body alike.
func (m *Message) Encode() error {
	b, err := json.Marshal(m.Envelope)
	if err != nil {
		return fault.Permanent(fmt.Errorf("encoding envelope: %w", err))
	}
	m.Encoded = b
	return nil
}

// Publisher publishes messages.
type Publisher interface {
	Publish(ctx context.Context, m Message) error
}

// BatchPublisher publishes several messages in one exchange; the result
// has one error (or nil) per message.
type BatchPublisher interface {
	PublishBatch(ctx context.Context, ms []Message) []error
}

var (
	_ BatchPublisher = (*Local)(nil)
	_ BatchPublisher = (*ServiceBus)(nil)
)

// Wire is a message in broker terms: what either implementation sends.
type Wire struct {
	Topic                 string            `json:"topic"`
	MessageID             string            `json:"message_id"`
	CorrelationID         string            `json:"correlation_id"`
	Subject               string            `json:"subject"`
	ContentType           string            `json:"content_type"`
	ApplicationProperties map[string]string `json:"application_properties"`
	Body                  []byte            `json:"body"`
}

// DiagnosticIDProperty carries the W3C traceparent for Application Insights.
const DiagnosticIDProperty = "Diagnostic-Id"

// toWire validates m and resolves its topic's entity name.
func toWire(m Message, topics map[string]string) (Wire, error) {
	entity, ok := topics[m.Topic]
	if !ok || entity == "" {
		return Wire{}, fmt.Errorf("topic %q has no configured entity name (is it in infra/messaging.json and its app setting set?)", m.Topic)
	}
	if m.Key == "" {
		return Wire{}, fault.Permanent(errors.New("message has no business key"))
	}
	if err := m.Envelope.Validate(); err != nil {
		return Wire{}, fault.Permanent(fmt.Errorf("publishing to %s: %w", m.Topic, err))
	}
	body := m.Encoded
	if len(body) == 0 {
		var err error
		if body, err = json.Marshal(m.Envelope); err != nil {
			return Wire{}, fault.Permanent(fmt.Errorf("encoding envelope: %w", err))
		}
	}
	props := make(map[string]string, len(m.Properties)+1)
	maps.Copy(props, m.Properties)
	props[DiagnosticIDProperty] = m.Envelope.Traceparent()
	return Wire{
		Topic:                 entity,
		MessageID:             MessageID(m.Key),
		CorrelationID:         m.Envelope.RefeID,
		Subject:               m.Envelope.EventType,
		ContentType:           "application/json",
		ApplicationProperties: props,
		Body:                  body,
	}, nil
}
