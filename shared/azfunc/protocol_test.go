package azfunc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
)

func TestServiceBusInvocation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		fixture string
		check   func(t *testing.T, m *azfunc.Message)
	}{
		{"DoubleEncodedBodyAndQuotedMetadata", "servicebus_double_encoded.json", func(t *testing.T, m *azfunc.Message) {
			require.JSONEq(t, `{"orderId":"A1","lines":2}`, string(m.Body))
			require.Equal(t, "ORD-1001/fulfillment-request", m.MessageID)
			require.Equal(t, 3, m.DeliveryCount)
			require.Equal(t, "ORD-1001", m.CorrelationID)
			require.Equal(t, "fulfillment.requested", m.Subject)
			require.Equal(t, "application/json", m.ContentType)
			require.EqualValues(t, 42, m.SequenceNumber)
			require.Equal(t, time.Date(2026, 11, 25, 18, 13, 49, 0, time.UTC), m.EnqueuedTime)
			require.Equal(t, "cirro", m.Property("target"))
			require.Equal(t, "b2c", m.Property("channel"))
			require.Equal(t, "", m.Property("missing"))
		}},
		{"SingleEncodedBodyLabelAndPropertiesAsString", "servicebus_single_encoded.json", func(t *testing.T, m *azfunc.Message) {
			require.JSONEq(t, `{"orderId":"A1","lines":2}`, string(m.Body))
			require.Equal(t, 1, m.DeliveryCount)
			require.Equal(t, "fulfillment.requested", m.Subject, "Label is the v4 name of Subject")
			require.Equal(t, "xb", m.Property("target"), "a property quoted once more is unquoted")
			require.Equal(t, "2", m.Property("attempt"))
		}},
		{"ObjectBodyNumbersAndUserProperties", "servicebus_object_body.json", func(t *testing.T, m *azfunc.Message) {
			require.JSONEq(t, `{"orderId":"A1","lines":2}`, string(m.Body))
			require.Equal(t, 2, m.DeliveryCount)
			require.Equal(t, "ORD-1001/fulfillment-request", m.MessageID)
			require.Equal(t, "cirro", m.Property("target"))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, nil)
			var got *azfunc.Message
			var info azfunc.InvocationInfo
			b.srv.ServiceBus("cirro-fulfill", "msg", false, func(ctx context.Context, m *azfunc.Message) error {
				got, info = m, azfunc.Info(ctx)
				azfunc.Logger(ctx).Info("cirro order created")
				return nil
			})
			r := b.invoke(t, "cirro-fulfill", fixture(t, tc.fixture))
			requireHostSuccess(t, r)
			require.JSONEq(t, `{}`, string(r.Raw["Outputs"]))
			require.NotNil(t, got)
			tc.check(t, got)
			require.Equal(t, "cirro-fulfill", info.Function)
			require.Equal(t, got.MessageID, info.MessageID)

			// Each line is written once, to stdout; the reply carries none.
			require.Empty(t, r.Logs)
			first := b.stdout.lines(t)[0]
			require.Equal(t, "cirro order created", first["msg"])
			require.Equal(t, "6f1c2b7e-0000-4000-8000-aaaaaaaaaaaa", first["invocation_id"])
			require.Equal(t, "cirro-fulfill", first["function"])
			require.Equal(t, got.MessageID, first["message_id"])
			require.EqualValues(t, got.DeliveryCount, first["delivery_count"])
			lines := b.stdout.lines(t)
			require.Len(t, lines, 2)
			last := lines[1]
			require.Equal(t, "succeeded", last["outcome"])
			require.Contains(t, last, "duration_ms")
		})
	}
}

func TestTimerInvocation(t *testing.T) {
	t.Parallel()
	t.Run("PastDueAsStringAndDatesWithoutOffset", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		var got *azfunc.Timer
		b.srv.Timer("dead-letter-watch", "myTimer", func(_ context.Context, tm *azfunc.Timer) error {
			got = tm
			return nil
		})
		requireHostSuccess(t, b.invoke(t, "dead-letter-watch", fixture(t, "timer.json")))
		require.True(t, got.IsPastDue)
		require.True(t, got.AdjustForDST)
		require.NotNil(t, got.Status)
		require.Equal(t, time.Date(2026, 11, 25, 18, 10, 0, 0, time.UTC), got.Status.Last)
		require.Equal(t, time.Date(2026, 11, 25, 18, 15, 0, 0, time.UTC), got.Status.Next)
		require.Equal(t, time.Date(2026, 11, 25, 18, 10, 0, 123456700, time.UTC), got.Status.LastUpdated)
	})
	t.Run("NoMonitorMeansNoStatus", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		var got *azfunc.Timer
		b.srv.Timer("dead-letter-watch", "myTimer", func(_ context.Context, tm *azfunc.Timer) error {
			got = tm
			return nil
		})
		requireHostSuccess(t, b.invoke(t, "dead-letter-watch", fixture(t, "timer_no_monitor.json")))
		require.False(t, got.IsPastDue)
		require.Nil(t, got.Status)
	})
}

func TestInvocationMetadataAccessors(t *testing.T) {
	t.Parallel()
	var inv azfunc.Invocation
	require.NoError(t, json.Unmarshal(fixture(t, "timer.json"), &inv))
	sys := inv.Sys()
	require.Equal(t, "dead-letter-watch", sys.MethodName)
	require.Equal(t, "c2f0e7a1-9b1d-4f0e-8f8b-2a7f6c4d3e21", sys.RandGuid)
	require.Equal(t, time.Date(2026, 11, 25, 18, 15, 0, 21400000, time.UTC), sys.UtcNow)
	require.Equal(t, &azfunc.RetryContext{RetryCount: 1, MaxRetryCount: 3}, inv.RetryContext())

	inv = azfunc.Invocation{}
	require.NoError(t, json.Unmarshal(fixture(t, "servicebus_double_encoded.json"), &inv))
	n, err := inv.MetaInt("SequenceNumber")
	require.NoError(t, err)
	require.EqualValues(t, 42, n)
	s, err := inv.MetaString("LockToken")
	require.NoError(t, err)
	require.Equal(t, "4e77c1f0-3a8f-4d2b-9a57-0f0c2d1e9b11", s)
	ts, err := inv.MetaTime("EnqueuedTime")
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 11, 25, 18, 13, 49, 0, time.UTC), ts)
	require.Nil(t, inv.RetryContext())
	_, err = inv.MetaInt("CorrelationId")
	require.ErrorContains(t, err, "metadata CorrelationId: want an integer")
}

func TestBlobInvocation(t *testing.T) {
	t.Parallel()
	t.Run("BinaryBase64WithoutTriggerKey", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		var got *azfunc.Blob
		b.srv.Blob("edi-inbound", "file", true, func(_ context.Context, bl *azfunc.Blob) error {
			got = bl
			return nil
		})
		requireHostSuccess(t, b.invoke(t, "edi-inbound", fixture(t, "blob_binary.json")))
		require.Equal(t, fixture(t, "blob_binary.bytes"), got.Data)
		require.Equal(t, "edi-inbound", got.Container)
		require.Equal(t, "sps/850/PO-89GQASZX.edi", got.Name)
		require.Equal(t, "edi-inbound/sps/850/PO-89GQASZX.edi", got.Path())
		require.Equal(t, "0x8DDF1A2B3C4D5E6", got.ETag, "ETags are reported without their quotes")
		require.EqualValues(t, len(got.Data), got.Length)
		require.Equal(t, "application/edi-x12", got.ContentType)
		require.Equal(t, map[string]string{"source": "sps"}, got.Metadata)
	})
	t.Run("TextFromEmulatorWithPropertiesAsString", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		var got *azfunc.Blob
		b.srv.Blob("snowflake-load", "file", false, func(_ context.Context, bl *azfunc.Blob) error {
			got = bl
			return nil
		})
		requireHostSuccess(t, b.invoke(t, "snowflake-load", fixture(t, "blob_text_emulator.json")))
		require.Equal(t, "order_id,state\nORD-1,SHIPPED\n", string(got.Data))
		require.Equal(t, "staging", got.Container)
		require.Equal(t, "orders/2026-11-25.csv", got.Name)
		require.EqualValues(t, 30, got.Length)
		require.Equal(t, "0x1", got.ETag)
	})
}

func TestHTTPTriggerDefaultMode(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	var got *azfunc.HTTPRequest
	b.srv.HTTPTrigger("gladly-lookup", "req", "res", func(_ context.Context, r *azfunc.HTTPRequest) (*azfunc.HTTPResponse, error) {
		got = r
		return &azfunc.HTTPResponse{StatusCode: 202, Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"accepted":true}`}, nil
	})
	r := b.invoke(t, "gladly-lookup", fixture(t, "http_default.json"))
	requireHostSuccess(t, r)
	require.Equal(t, "POST", got.Method)
	require.Equal(t, "1,2", got.Query["x"])
	require.Equal(t, "gladly", got.Params["partner"])
	require.Equal(t, "r-77", got.Header("x-request-id"))
	require.JSONEq(t, `{"email":"someone@example.com"}`, string(got.Body))
	require.JSONEq(t, `{"res":{"statusCode":"202","headers":{"Content-Type":"application/json"},"body":"{\"accepted\":true}"}}`, string(r.Raw["Outputs"]))
}

func TestReadinessAndUnknownFunctions(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	resp, err := http.Get(b.http.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	resp, err = http.Post(b.http.URL+"/no-such-function", "application/json", strings.NewReader(`{"Data":{},"Metadata":{}}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "an unknown function must fail the invocation")
}

func TestInvocationDeadlineIsShorterThanFunctionTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *azfunc.Config) { c.FunctionTimeout = 2 * time.Minute })
	var remaining time.Duration
	b.srv.Timer("dead-letter-watch", "myTimer", func(ctx context.Context, _ *azfunc.Timer) error {
		dl, ok := ctx.Deadline()
		require.True(t, ok)
		remaining = time.Until(dl)
		return nil
	})
	requireHostSuccess(t, b.invoke(t, "dead-letter-watch", fixture(t, "timer.json")))
	require.Less(t, remaining, 2*time.Minute-10*time.Second)
	require.Greater(t, remaining, time.Minute)
}
