package azfunc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Message is a Service Bus message delivered by a serviceBusTrigger.
type Message struct {
	// Body is the message body as it was sent.
	Body []byte
	// MessageID is the broker MessageId; our publishers derive it from the business key.
	MessageID string
	// DeliveryCount is 1 on the first delivery and grows with every redelivery.
	DeliveryCount int
	// CorrelationID is the broker CorrelationId (the order or batch id for our messages).
	CorrelationID string
	// Subject is the broker Subject (Label); our publishers put the event type there.
	Subject        string
	ContentType    string
	SequenceNumber int64
	EnqueuedTime   time.Time
	// Properties are the application properties (routing keys such as target and channel).
	Properties map[string]any
}

// Property returns an application property as a string, "" when absent.
func (m *Message) Property(name string) string {
	v, ok := m.Properties[name]
	if !ok || v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		// Some hosts quote string properties once more; peel that layer.
		if u, ok := unquote(json.RawMessage(s)); ok {
			return u
		}
		return s
	}
	return fmt.Sprint(v)
}

// DecodeMessage reads the Service Bus message of binding from inv.
func DecodeMessage(inv *Invocation, binding string, binary bool) (*Message, error) {
	raw, ok := inv.Data[binding]
	if !ok {
		return nil, fmt.Errorf("invocation has no data for binding %q", binding)
	}
	body, err := decodeBody(raw, binary)
	if err != nil {
		return nil, fmt.Errorf("service bus body: %w", err)
	}
	m := &Message{Body: body}
	if m.MessageID, err = inv.MetaString("MessageId"); err != nil {
		return nil, err
	}
	count, err := inv.MetaInt("DeliveryCount")
	if err != nil {
		return nil, err
	}
	m.DeliveryCount = int(count)
	if m.CorrelationID, err = inv.MetaString("CorrelationId"); err != nil {
		return nil, err
	}
	if m.Subject, err = inv.MetaString("Subject"); err != nil {
		return nil, err
	}
	if m.Subject == "" {
		if m.Subject, err = inv.MetaString("Label"); err != nil {
			return nil, err
		}
	}
	if m.ContentType, err = inv.MetaString("ContentType"); err != nil {
		return nil, err
	}
	if m.SequenceNumber, err = inv.MetaInt("SequenceNumber"); err != nil {
		return nil, err
	}
	if _, ok := inv.Metadata["EnqueuedTimeUtc"]; ok {
		m.EnqueuedTime, err = inv.MetaTime("EnqueuedTimeUtc")
	} else {
		m.EnqueuedTime, err = inv.MetaTime("EnqueuedTime")
	}
	if err != nil {
		return nil, err
	}
	props := inv.Metadata["ApplicationProperties"]
	if len(bytes.TrimSpace(props)) == 0 || bytes.Equal(bytes.TrimSpace(props), []byte("null")) {
		props = inv.Metadata["UserProperties"]
	}
	obj, err := decodeObject(props)
	if err != nil {
		return nil, fmt.Errorf("metadata ApplicationProperties: %w", err)
	}
	m.Properties = make(map[string]any, len(obj))
	for k, v := range obj {
		var val any
		if err := json.Unmarshal(v, &val); err != nil {
			return nil, fmt.Errorf("application property %s: %w", k, err)
		}
		m.Properties[k] = val
	}
	return m, nil
}
