package messaging

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Catalog is infra/messaging.json.
type Catalog struct {
	// TopicNamePattern is how a topic is named per environment: int-{env}-{topic}.
	TopicNamePattern string `json:"topicNamePattern"`
	// Defaults apply to every subscription that does not set its own.
	Defaults Defaults `json:"defaults"`
	Topics   []Topic  `json:"topics"`
	// BlobTriggers are the blob-triggered functions; Azure delivers their
	// blobs through Event Grid (Flex Consumption runs no other blob
	// trigger), and infra/blobtriggers.bicep subscribes each one.
	BlobTriggers []BlobTrigger `json:"blobTriggers,omitempty"`
}

// Defaults are the subscription settings used unless a subscription overrides them.
type Defaults struct {
	MaxDeliveryCount                    int    `json:"maxDeliveryCount"`
	LockDuration                        string `json:"lockDuration"`
	DefaultMessageTimeToLive            string `json:"defaultMessageTimeToLive"`
	DuplicateDetectionHistoryTimeWindow string `json:"duplicateDetectionHistoryTimeWindow"`
}

// Topic is one flow's topic.
type Topic struct {
	// Name is the logical name ("fulfillment-request") that code publishes to.
	Name string `json:"name"`
	// Setting is the app setting holding the environment's topic name
	// (TOPIC_FULFILLMENT_REQUEST); function.json refers to it as %SETTING%.
	Setting string `json:"setting"`
	// Description says what travels on the topic.
	Description string `json:"description"`
	// DuplicateDetectionHistoryTimeWindow overrides the default window.
	DuplicateDetectionHistoryTimeWindow string         `json:"duplicateDetectionHistoryTimeWindow,omitempty"`
	Subscriptions                       []Subscription `json:"subscriptions"`
}

// BlobTrigger is one blob-triggered function and the container it watches.
type BlobTrigger struct {
	Function    string `json:"function"`
	Container   string `json:"container"`
	Description string `json:"description,omitempty"`
}

// Subscription is one consumer's subscription with its filter.
type Subscription struct {
	Name string `json:"name"`
	// ConsumedBy names the system outside this app that reads the
	// subscription (BatchStation, ADX); empty: one of this app's functions.
	ConsumedBy       string `json:"consumedBy,omitempty"`
	MaxDeliveryCount int    `json:"maxDeliveryCount,omitempty"`
	LockDuration     string `json:"lockDuration,omitempty"`
	// CorrelationFilter replaces the match-all $Default rule; nil takes every message.
	CorrelationFilter *CorrelationFilter `json:"correlationFilter,omitempty"`
}

// CorrelationFilter matches messages by exact values, as Service Bus does.
// Every field that is set must match.
type CorrelationFilter struct {
	Properties    map[string]string `json:"properties,omitempty"`
	CorrelationID string            `json:"correlationId,omitempty"`
	// Label is the message Subject (ARM still calls it label).
	Label string `json:"label,omitempty"`
}

// Match reports whether a message with these properties passes the filter.
func (f *CorrelationFilter) Match(props map[string]string, correlationID, subject string) bool {
	if f == nil {
		return true
	}
	if f.CorrelationID != "" && f.CorrelationID != correlationID {
		return false
	}
	if f.Label != "" && f.Label != subject {
		return false
	}
	for k, v := range f.Properties {
		if got, ok := props[k]; !ok || got != v {
			return false
		}
	}
	return true
}

var (
	entityName  = regexp.MustCompile(`^[a-z][a-z0-9-]{0,49}$`)
	settingName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

// Parse reads and validates a catalog.
func Parse(b []byte) (*Catalog, error) {
	var c Catalog
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("reading messaging catalog: %w", err)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("messaging catalog: %w", err)
	}
	return &c, nil
}

func (c *Catalog) validate() error {
	if !strings.Contains(c.TopicNamePattern, "{env}") || !strings.Contains(c.TopicNamePattern, "{topic}") {
		return fmt.Errorf("topicNamePattern %q must contain {env} and {topic}", c.TopicNamePattern)
	}
	if c.Defaults.MaxDeliveryCount < 1 || c.Defaults.MaxDeliveryCount > 2000 {
		return fmt.Errorf("defaults.maxDeliveryCount %d is outside 1..2000", c.Defaults.MaxDeliveryCount)
	}
	for _, d := range []string{c.Defaults.LockDuration, c.Defaults.DefaultMessageTimeToLive, c.Defaults.DuplicateDetectionHistoryTimeWindow} {
		if _, err := ParseDuration(d); err != nil {
			return fmt.Errorf("defaults: %w", err)
		}
	}
	topics, settings := map[string]bool{}, map[string]bool{}
	for _, t := range c.Topics {
		if !entityName.MatchString(t.Name) {
			return fmt.Errorf("topic name %q must be lower-case letters, digits and dashes", t.Name)
		}
		if topics[t.Name] {
			return fmt.Errorf("topic %q is declared twice", t.Name)
		}
		topics[t.Name] = true
		if !settingName.MatchString(t.Setting) || settings[t.Setting] {
			return fmt.Errorf("topic %q: setting %q must be a unique UPPER_SNAKE app setting name", t.Name, t.Setting)
		}
		settings[t.Setting] = true
		if t.DuplicateDetectionHistoryTimeWindow != "" {
			if _, err := ParseDuration(t.DuplicateDetectionHistoryTimeWindow); err != nil {
				return fmt.Errorf("topic %q: %w", t.Name, err)
			}
		}
		subs := map[string]bool{}
		for _, s := range t.Subscriptions {
			if !entityName.MatchString(s.Name) || subs[s.Name] {
				return fmt.Errorf("topic %q: subscription %q must be a unique lower-case name", t.Name, s.Name)
			}
			subs[s.Name] = true
			if s.MaxDeliveryCount < 0 || s.MaxDeliveryCount > 2000 {
				return fmt.Errorf("topic %q subscription %q: maxDeliveryCount %d is outside 1..2000", t.Name, s.Name, s.MaxDeliveryCount)
			}
			if s.LockDuration != "" {
				d, err := ParseDuration(s.LockDuration)
				if err != nil || d > 5*time.Minute {
					return fmt.Errorf("topic %q subscription %q: lockDuration %q must be at most PT5M", t.Name, s.Name, s.LockDuration)
				}
			}
			if f := s.CorrelationFilter; f != nil && len(f.Properties) == 0 && f.CorrelationID == "" && f.Label == "" {
				return fmt.Errorf("topic %q subscription %q: an empty correlationFilter matches everything; omit it instead", t.Name, s.Name)
			}
		}
	}
	return nil
}

// Topic returns the topic with a logical name.
func (c *Catalog) Topic(name string) (*Topic, bool) {
	for i := range c.Topics {
		if c.Topics[i].Name == name {
			return &c.Topics[i], true
		}
	}
	return nil, false
}

// EntityName is the topic's name in environment env (int-dev-fulfillment-request).
func (c *Catalog) EntityName(env, topic string) string {
	return strings.NewReplacer("{env}", env, "{topic}", topic).Replace(c.TopicNamePattern)
}

// MaxDeliveryCount is the subscription's limit, or the default.
func (c *Catalog) MaxDeliveryCount(s Subscription) int {
	if s.MaxDeliveryCount > 0 {
		return s.MaxDeliveryCount
	}
	return c.Defaults.MaxDeliveryCount
}

// DuplicateWindow is the topic's duplicate-detection window.
func (c *Catalog) DuplicateWindow(t Topic) time.Duration {
	w := t.DuplicateDetectionHistoryTimeWindow
	if w == "" {
		w = c.Defaults.DuplicateDetectionHistoryTimeWindow
	}
	d, _ := ParseDuration(w) // validated by Parse
	return d
}

// TopicNames resolves each topic's entity name from settings (the app
// settings named by Setting). It fails naming the first missing setting.
func (c *Catalog) TopicNames(settings func(string) string) (map[string]string, error) {
	out := make(map[string]string, len(c.Topics))
	for _, t := range c.Topics {
		v := settings(t.Setting)
		if v == "" {
			return nil, fmt.Errorf("app setting %s (topic %s) is not set", t.Setting, t.Name)
		}
		out[t.Name] = v
	}
	return out, nil
}

var isoDuration = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)

// ParseDuration reads the ISO 8601 durations ARM uses (PT10M, P14D, P1DT2H).
func ParseDuration(s string) (time.Duration, error) {
	m := isoDuration.FindStringSubmatch(s)
	if m == nil || s == "P" || s == "PT" {
		return 0, fmt.Errorf("%q is not an ISO 8601 duration like PT10M or P14D", s)
	}
	var d time.Duration
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second} {
		if m[i+1] != "" {
			n, _ := strconv.Atoi(m[i+1])
			d += time.Duration(n) * unit
		}
	}
	return d, nil
}
