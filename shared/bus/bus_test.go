package bus_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/golden"
)

var topics = map[string]string{"fulfillment-request": "int-dev-fulfillment-request"}

func sampleMessage(t *testing.T) bus.Message {
	t.Helper()
	env, err := bus.Request("4bf92f3577b34da6a3ce929d0e0e4736", "fulfillment.requested", bus.ObjectFulfillment, "ORD-1001",
		map[string]any{"order_id": "ORD-1001", "tpl": "cirro"}, time.Date(2026, 11, 25, 18, 13, 49, 0, time.UTC))
	require.NoError(t, err)
	env.SpanID = "00f067aa0ba902b7" // fixed for the golden file
	return bus.Message{
		Topic: "fulfillment-request", Key: "ORD-1001/fulfillment-request/cirro", Envelope: env,
		Properties: map[string]string{"target": "cirro", "channel": "b2c"},
	}
}

func TestEnvelopeMatchesTheCompanyStandard(t *testing.T) {
	t.Parallel()
	m := sampleMessage(t)
	got, err := json.MarshalIndent(m.Envelope, "", "  ")
	require.NoError(t, err)
	golden.JSON(t, "envelope.golden.json", m.Envelope)

	var raw map[string]any
	require.NoError(t, json.Unmarshal(got, &raw))
	payload, err := base64.StdEncoding.DecodeString(raw["requested_payload"].(string))
	require.NoError(t, err, "requested_payload is base64 JSON")
	require.JSONEq(t, `{"order_id":"ORD-1001","tpl":"cirro"}`, string(payload))
	require.Nil(t, raw["response_payload"], "response_payload is null for requests")

	back, err := bus.DecodeEnvelope(got)
	require.NoError(t, err)
	require.Equal(t, m.Envelope.RefeID, back.RefeID)
}

func TestAMQPMessage(t *testing.T) {
	t.Parallel()
	p, err := bus.NewServiceBus(bus.ServiceBusConfig{ConnectionString: "Endpoint=sb://example.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=abc", Topics: topics})
	require.NoError(t, err)

	t.Run("BrokerPropertiesComeFromTheBusinessKeyAndEnvelope", func(t *testing.T) {
		t.Parallel()
		m := sampleMessage(t)
		entity, msg, err := p.AMQPMessage(m)
		require.NoError(t, err)
		require.Equal(t, "int-dev-fulfillment-request", entity)
		require.Equal(t, "ORD-1001/fulfillment-request/cirro", *msg.MessageID)
		require.Equal(t, "ORD-1001", *msg.CorrelationID)
		require.Equal(t, "fulfillment.requested", *msg.Subject)
		require.Equal(t, "application/json", *msg.ContentType)
		require.Equal(t, map[string]any{
			"target": "cirro", "channel": "b2c",
			"Diagnostic-Id": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		}, msg.ApplicationProperties)
		require.Nil(t, msg.SessionID)
		env, err := bus.DecodeEnvelope(msg.Body)
		require.NoError(t, err)
		require.Equal(t, m.Envelope.TraceID, env.TraceID)
		require.Equal(t, "cirro", m.Properties["target"], "the caller's map is not modified")
		require.NotContains(t, m.Properties, "Diagnostic-Id")
	})

	t.Run("SameKeySameMessageID", func(t *testing.T) {
		t.Parallel()
		a, b := sampleMessage(t), sampleMessage(t)
		b.Envelope.SpanID = "1111111111111111"
		_, ma, err := p.AMQPMessage(a)
		require.NoError(t, err)
		_, mb, err := p.AMQPMessage(b)
		require.NoError(t, err)
		require.Equal(t, *ma.MessageID, *mb.MessageID, "a republished fact is a duplicate for the broker")
	})

	t.Run("LongKeysAreHashedWithinTheLimit", func(t *testing.T) {
		t.Parallel()
		m := sampleMessage(t)
		m.Key = strings.Repeat("k", 300)
		_, msg, err := p.AMQPMessage(m)
		require.NoError(t, err)
		require.LessOrEqual(t, len(*msg.MessageID), 128)
		require.Equal(t, bus.MessageID(m.Key), *msg.MessageID)
		require.NotEqual(t, bus.MessageID(m.Key), bus.MessageID(m.Key+"x"))
	})

	t.Run("UnknownTopicNamesTheTopic", func(t *testing.T) {
		t.Parallel()
		m := sampleMessage(t)
		m.Topic = "shipped"
		_, _, err := p.AMQPMessage(m)
		require.ErrorContains(t, err, `topic "shipped" has no configured entity name`)
	})

	t.Run("InvalidEnvelopeIsPermanent", func(t *testing.T) {
		t.Parallel()
		m := sampleMessage(t)
		m.Envelope.TraceID = "not-hex"
		m.Envelope.RefeID = ""
		_, _, err := p.AMQPMessage(m)
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.ErrorContains(t, err, "trace_id")
		require.ErrorContains(t, err, "refe_id is empty")
		m = sampleMessage(t)
		m.Key = ""
		_, _, err = p.AMQPMessage(m)
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
	})
}

func TestNewServiceBusValidates(t *testing.T) {
	t.Parallel()
	_, err := bus.NewServiceBus(bus.ServiceBusConfig{})
	require.ErrorContains(t, err, "ServiceBusConnection")
	_, err = bus.NewServiceBus(bus.ServiceBusConfig{Namespace: "sb.servicebus.windows.net"})
	require.ErrorContains(t, err, "credential")
}

func TestLocalPublisher(t *testing.T) {
	t.Parallel()
	var got bus.Wire
	status := http.StatusAccepted
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case bus.LocalPublishPath:
			b, _ := io.ReadAll(r.Body)
			require.NoError(t, json.Unmarshal(b, &got))
			w.WriteHeader(status)
			_, _ = w.Write([]byte("unknown topic"))
		case bus.LocalDeadLettersPath:
			_ = json.NewEncoder(w).Encode([]bus.DeadLetterCount{{Topic: "int-dev-fulfillment-request", Subscription: "cirro", Count: 2}})
		}
	}))
	defer srv.Close()
	l, err := bus.NewLocal(bus.LocalConfig{URL: srv.URL + "/", Topics: topics})
	require.NoError(t, err)
	ctx := context.Background()

	require.NoError(t, l.Publish(ctx, sampleMessage(t)))
	require.Equal(t, "int-dev-fulfillment-request", got.Topic)
	require.Equal(t, "ORD-1001/fulfillment-request/cirro", got.MessageID)
	require.Equal(t, "ORD-1001", got.CorrelationID)
	require.Equal(t, "cirro", got.ApplicationProperties["target"])
	_, err = bus.DecodeEnvelope(got.Body)
	require.NoError(t, err)

	status = http.StatusBadRequest
	err = l.Publish(ctx, sampleMessage(t))
	require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
	status = http.StatusServiceUnavailable
	err = l.Publish(ctx, sampleMessage(t))
	require.Error(t, err)
	require.Equal(t, fault.ClassTransient, fault.ClassOf(err))

	dl, err := l.DeadLetters(ctx)
	require.NoError(t, err)
	require.Equal(t, []bus.DeadLetterCount{{Topic: "int-dev-fulfillment-request", Subscription: "cirro", Count: 2}}, dl)

	srv.Close()
	err = l.Publish(ctx, sampleMessage(t))
	require.Equal(t, fault.ClassTransient, fault.ClassOf(err), "an unreachable broker is worth retrying")
	_, err = bus.NewLocal(bus.LocalConfig{})
	require.ErrorContains(t, err, "DEVHOST_URL")
}
