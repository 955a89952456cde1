package messaging_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/messaging"
)

const sample = `{
  "topicNamePattern": "int-{env}-{topic}",
  "defaults": {"maxDeliveryCount": 10, "lockDuration": "PT1M", "defaultMessageTimeToLive": "P14D",
               "duplicateDetectionHistoryTimeWindow": "PT10M"},
  "topics": [
    {"name": "fulfillment-request", "setting": "TOPIC_FULFILLMENT_REQUEST", "description": "OMS asks a 3PL to ship",
     "duplicateDetectionHistoryTimeWindow": "P1D",
     "subscriptions": [
       {"name": "cirro", "maxDeliveryCount": 5, "correlationFilter": {"properties": {"target": "cirro"}}},
       {"name": "xb", "correlationFilter": {"properties": {"target": "xb"}}},
       {"name": "audit"}
     ]}
  ]
}`

func TestParse(t *testing.T) {
	t.Parallel()
	c, err := messaging.Parse([]byte(sample))
	require.NoError(t, err)
	topic, ok := c.Topic("fulfillment-request")
	require.True(t, ok)
	require.Equal(t, "int-prod-fulfillment-request", c.EntityName("prod", topic.Name))
	require.Equal(t, 5, c.MaxDeliveryCount(topic.Subscriptions[0]))
	require.Equal(t, 10, c.MaxDeliveryCount(topic.Subscriptions[1]))
	require.Equal(t, 24*time.Hour, c.DuplicateWindow(*topic))

	names, err := c.TopicNames(env{"TOPIC_FULFILLMENT_REQUEST": "int-dev-fulfillment-request"}.get)
	require.NoError(t, err)
	require.Equal(t, "int-dev-fulfillment-request", names["fulfillment-request"])
	_, err = c.TopicNames(func(string) string { return "" })
	require.ErrorContains(t, err, "app setting TOPIC_FULFILLMENT_REQUEST (topic fulfillment-request) is not set")
}

type env map[string]string

func (e env) get(k string) string { return e[k] }

func TestCorrelationFilter(t *testing.T) {
	t.Parallel()
	f := &messaging.CorrelationFilter{Properties: map[string]string{"target": "cirro", "channel": "b2b"}, Label: "shipped"}
	require.True(t, f.Match(map[string]string{"target": "cirro", "channel": "b2b", "extra": "x"}, "", "shipped"))
	require.False(t, f.Match(map[string]string{"target": "cirro"}, "", "shipped"), "a missing property does not match")
	require.False(t, f.Match(map[string]string{"target": "cirro", "channel": "b2c"}, "", "shipped"))
	require.False(t, f.Match(map[string]string{"target": "cirro", "channel": "b2b"}, "", "accepted"))
	var none *messaging.CorrelationFilter
	require.True(t, none.Match(nil, "", ""))
	require.True(t, (&messaging.CorrelationFilter{CorrelationID: "ORD-1"}).Match(nil, "ORD-1", ""))
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	base := `"topicNamePattern": "int-{env}-{topic}", "defaults": {"maxDeliveryCount": 10, "lockDuration": "PT1M", "defaultMessageTimeToLive": "P14D", "duplicateDetectionHistoryTimeWindow": "PT10M"}`
	cases := map[string]string{
		"UnknownField":      `{` + base + `, "topics": [], "extra": 1}`,
		"UpperCaseTopic":    `{` + base + `, "topics": [{"name": "Orders", "setting": "TOPIC_ORDERS", "subscriptions": []}]}`,
		"DuplicateTopic":    `{` + base + `, "topics": [{"name": "a", "setting": "TOPIC_A"}, {"name": "a", "setting": "TOPIC_B"}]}`,
		"SharedSetting":     `{` + base + `, "topics": [{"name": "a", "setting": "TOPIC_A"}, {"name": "b", "setting": "TOPIC_A"}]}`,
		"DuplicateSub":      `{` + base + `, "topics": [{"name": "a", "setting": "TOPIC_A", "subscriptions": [{"name": "s"}, {"name": "s"}]}]}`,
		"LockTooLong":       `{` + base + `, "topics": [{"name": "a", "setting": "TOPIC_A", "subscriptions": [{"name": "s", "lockDuration": "PT6M"}]}]}`,
		"EmptyFilter":       `{` + base + `, "topics": [{"name": "a", "setting": "TOPIC_A", "subscriptions": [{"name": "s", "correlationFilter": {}}]}]}`,
		"BadWindow":         `{` + base + `, "topics": [{"name": "a", "setting": "TOPIC_A", "duplicateDetectionHistoryTimeWindow": "10 minutes"}]}`,
		"PatternWithoutEnv": `{"topicNamePattern": "int-{topic}", "defaults": {"maxDeliveryCount": 10, "lockDuration": "PT1M", "defaultMessageTimeToLive": "P14D", "duplicateDetectionHistoryTimeWindow": "PT10M"}, "topics": []}`,
		"ZeroDeliveryCount": `{"topicNamePattern": "int-{env}-{topic}", "defaults": {"maxDeliveryCount": 0, "lockDuration": "PT1M", "defaultMessageTimeToLive": "P14D", "duplicateDetectionHistoryTimeWindow": "PT10M"}, "topics": []}`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := messaging.Parse([]byte(doc))
			require.Error(t, err)
		})
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"PT10M": 10 * time.Minute, "P14D": 14 * 24 * time.Hour, "PT1M30S": 90 * time.Second, "P1DT2H": 26 * time.Hour,
	} {
		got, err := messaging.ParseDuration(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "P", "PT", "10M", "PT1.5M"} {
		_, err := messaging.ParseDuration(bad)
		require.Error(t, err, bad)
	}
}
