package azfunc_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/fault"
)

// TestErrorClassTable sweeps every class through every trigger kind: a
// failure is never a 2xx unless the input was parked or was a duplicate.
func TestErrorClassTable(t *testing.T) {
	t.Parallel()
	errs := map[string]error{
		"nil":          nil,
		"transient":    errors.New("cirro answered 503"),
		"permanent":    fault.Permanentf("ship method %q is not mapped", "XYZ"),
		"malformed":    fault.Malformedf("order has no lines"),
		"duplicate":    fault.Duplicatef("order already sent"),
		"unauthorized": fault.Unauthorizedf("bad signature"),
		"deadline":     context.DeadlineExceeded,
	}
	want := map[string]map[string]struct {
		status  int
		outcome string
	}{
		"servicebus": {
			"nil": {200, "succeeded"}, "transient": {500, "failed"}, "permanent": {200, "parked"},
			"malformed": {200, "parked"}, "duplicate": {200, "duplicate"}, "unauthorized": {200, "parked"}, "deadline": {500, "failed"},
		},
		"timer": {
			"nil": {200, "succeeded"}, "transient": {500, "failed"}, "permanent": {500, "failed"},
			"malformed": {500, "failed"}, "duplicate": {200, "duplicate"}, "unauthorized": {500, "failed"}, "deadline": {500, "failed"},
		},
		"blob": {
			"nil": {200, "succeeded"}, "transient": {500, "failed"}, "permanent": {200, "parked"},
			"malformed": {200, "parked"}, "duplicate": {200, "duplicate"}, "unauthorized": {200, "parked"}, "deadline": {500, "failed"},
		},
	}
	fixtures := map[string]string{"servicebus": "servicebus_double_encoded.json", "timer": "timer.json", "blob": "blob_binary.json"}
	for kind, byErr := range want {
		for name, exp := range byErr {
			t.Run(kind+"/"+name, func(t *testing.T) {
				t.Parallel()
				b := setup(t, nil)
				herr := errs[name]
				switch kind {
				case "servicebus":
					b.srv.ServiceBus("f", "msg", false, func(context.Context, *azfunc.Message) error { return herr })
				case "timer":
					b.srv.Timer("f", "myTimer", func(context.Context, *azfunc.Timer) error { return herr })
				case "blob":
					b.srv.Blob("f", "file", true, func(context.Context, *azfunc.Blob) error { return herr })
				}
				r := b.invoke(t, "f", fixture(t, fixtures[kind]))
				require.Equal(t, exp.status, r.Status)
				require.Equal(t, "application/json", r.ContentType)
				if exp.status == 200 {
					requireHostSuccess(t, r)
				} else {
					require.NotContains(t, r.Raw, "Outputs", "a failed reply carries no outputs")
				}
				all := append(b.stdout.lines(t), b.stderr.lines(t)...)
				final := all[len(all)-1]
				for _, l := range all {
					if _, ok := l["outcome"]; ok {
						final = l
					}
				}
				require.Equal(t, exp.outcome, final["outcome"])
				if exp.outcome == "parked" {
					require.Len(t, b.parker.all(), 1)
				} else {
					require.Empty(t, b.parker.all())
				}
				if exp.status == 500 {
					require.Contains(t, b.stderr.String(), `"invocation failed"`, "failures go to stderr, which the host logs as errors")
				}
			})
		}
	}
}

func TestPermanentFailureIsParkedOnceWithItsReason(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	var calls atomic.Int32
	b.srv.ServiceBus("cirro-fulfill", "msg", false, func(context.Context, *azfunc.Message) error {
		calls.Add(1)
		return fmt.Errorf("creating cirro order: %w", fault.Permanentf("ship method XYZ is not mapped"))
	})
	body := fixture(t, "servicebus_double_encoded.json")
	requireHostSuccess(t, b.invoke(t, "cirro-fulfill", body))
	requireHostSuccess(t, b.invoke(t, "cirro-fulfill", body))
	require.EqualValues(t, 2, calls.Load())
	parked := b.parker.all()
	require.Len(t, parked, 1, "the same message is parked once")
	p := parked[0]
	require.Equal(t, "cirro-fulfill", p.Function)
	require.Equal(t, "serviceBusTrigger", p.Trigger)
	require.Equal(t, "ORD-1001/fulfillment-request", p.MessageID)
	require.Equal(t, "ORD-1001", p.CorrelationID)
	require.Equal(t, "creating cirro order: ship method XYZ is not mapped", p.Reason)
	require.JSONEq(t, `{"orderId":"A1","lines":2}`, string(p.Payload))
	require.Contains(t, string(p.Metadata), `"DeliveryCount":"3"`, "metadata is kept as the host sent it, for replay")
}

func TestUndecodableMessageIsParkedWithoutCallingTheHandler(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	called := false
	b.srv.ServiceBus("cirro-fulfill", "msg", false, func(context.Context, *azfunc.Message) error {
		called = true
		return nil
	})
	body := `{"Data":{"msg":"\"hi\""},"Metadata":{"MessageId":"\"m-1\"","DeliveryCount":"one"}}`
	requireHostSuccess(t, b.invoke(t, "cirro-fulfill", []byte(body)))
	require.False(t, called)
	parked := b.parker.all()
	require.Len(t, parked, 1)
	require.Equal(t, "m-1", parked[0].MessageID)
	require.Contains(t, parked[0].Reason, "DeliveryCount")
}

func TestParkingFailureFailsTheInvocation(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.parker.err = errors.New("database unavailable")
	b.srv.ServiceBus("cirro-fulfill", "msg", false, func(context.Context, *azfunc.Message) error {
		return fault.Permanentf("bad ship method")
	})
	r := b.invoke(t, "cirro-fulfill", fixture(t, "servicebus_double_encoded.json"))
	require.Equal(t, http.StatusInternalServerError, r.Status, "if it cannot be parked it must be redelivered, never dropped")
	require.Contains(t, b.stderr.String(), "database unavailable")
}

func TestGateNotReadyFailsAsTransientWithoutRunningTheHandler(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *azfunc.Config) {
		c.Gate = gateFunc(func(context.Context) error {
			return errors.New("database schema is at version 1, this binary needs 2: run `handler migrate`")
		})
	})
	called := false
	b.srv.ServiceBus("cirro-fulfill", "msg", false, func(context.Context, *azfunc.Message) error {
		called = true
		return nil
	})
	r := b.invoke(t, "cirro-fulfill", fixture(t, "servicebus_double_encoded.json"))
	require.Equal(t, http.StatusInternalServerError, r.Status)
	require.False(t, called)
	require.Contains(t, b.stderr.String(), "run `handler migrate`")
	require.Empty(t, b.parker.all())
}

func TestPanicBecomes500AndTheServerKeepsServing(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	var calls atomic.Int32
	b.srv.ServiceBus("cirro-fulfill", "msg", false, func(context.Context, *azfunc.Message) error {
		if calls.Add(1) == 1 {
			panic(errors.New("nil order lines"))
		}
		return nil
	})
	body := fixture(t, "servicebus_double_encoded.json")
	r := b.invoke(t, "cirro-fulfill", body)
	require.Equal(t, http.StatusInternalServerError, r.Status)
	require.Contains(t, b.stderr.String(), "handler panicked")
	require.Contains(t, b.stderr.String(), "goroutine", "the stack is logged")
	requireHostSuccess(t, b.invoke(t, "cirro-fulfill", body))
}

func TestMalformedEnvelopeFails(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.srv.Timer("dead-letter-watch", "myTimer", func(context.Context, *azfunc.Timer) error { return nil })
	resp, err := http.Post(b.http.URL+"/dead-letter-watch", "application/json", strings.NewReader(`{"Data":`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
}

func TestTransientFailureIsRetriedWithinTheInvocation(t *testing.T) {
	t.Parallel()
	retrying := func(c *azfunc.Config) { c.RetryBudget, c.RetryInitial = 10*time.Second, time.Millisecond }

	t.Run("RecoversWithoutARedelivery", func(t *testing.T) {
		t.Parallel()
		b := setup(t, retrying)
		var calls atomic.Int32
		b.srv.ServiceBus("cirro-fulfill", "msg", false, func(context.Context, *azfunc.Message) error {
			if calls.Add(1) < 3 {
				return errors.New("cirro answered 503")
			}
			return nil
		})
		requireHostSuccess(t, b.invoke(t, "cirro-fulfill", fixture(t, "servicebus_double_encoded.json")))
		require.EqualValues(t, 3, calls.Load(), "two failures and a success, in one delivery")
		require.Equal(t, 2, strings.Count(b.stderr.String(), "trying again within the invocation"))
	})

	t.Run("DatabaseAwayIsWaitedFor", func(t *testing.T) {
		t.Parallel()
		var down atomic.Bool
		down.Store(true)
		var checks atomic.Int32
		b := setup(t, func(c *azfunc.Config) {
			retrying(c)
			c.Gate = gateFunc(func(context.Context) error {
				if checks.Add(1) == 4 {
					down.Store(false)
				}
				if down.Load() {
					return errors.New("dial tcp: connection refused")
				}
				return nil
			})
		})
		called := 0
		b.srv.ServiceBus("cirro-fulfill", "msg", false, func(context.Context, *azfunc.Message) error { called++; return nil })
		requireHostSuccess(t, b.invoke(t, "cirro-fulfill", fixture(t, "servicebus_double_encoded.json")))
		require.Equal(t, 1, called, "the handler runs once the database is back, in the same delivery")
	})

	t.Run("RetryAfterIsHonoured", func(t *testing.T) {
		t.Parallel()
		b := setup(t, retrying)
		var first time.Time
		var gap time.Duration
		b.srv.ServiceBus("oms-ship-confirm", "msg", false, func(context.Context, *azfunc.Message) error {
			if first.IsZero() {
				first = time.Now()
				return fault.Transient(errors.New("earlier step on its way"), 300*time.Millisecond)
			}
			gap = time.Since(first)
			return nil
		})
		requireHostSuccess(t, b.invoke(t, "oms-ship-confirm", fixture(t, "servicebus_double_encoded.json")))
		require.GreaterOrEqual(t, gap, 300*time.Millisecond, "the partner's hint, not the 1 ms back-off")
	})

	t.Run("PermanentAndPanicAreNotRetried", func(t *testing.T) {
		t.Parallel()
		b := setup(t, retrying)
		var calls atomic.Int32
		b.srv.ServiceBus("cirro-fulfill", "msg", false, func(context.Context, *azfunc.Message) error {
			calls.Add(1)
			panic("nil map")
		})
		r := b.invoke(t, "cirro-fulfill", fixture(t, "servicebus_double_encoded.json"))
		require.Equal(t, http.StatusInternalServerError, r.Status)
		require.EqualValues(t, 1, calls.Load())
	})

	t.Run("GivesUpWhenTheBudgetIsSpent", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(c *azfunc.Config) { c.RetryBudget, c.RetryInitial = 50*time.Millisecond, 5*time.Millisecond })
		b.srv.ServiceBus("cirro-fulfill", "msg", false, func(context.Context, *azfunc.Message) error {
			return errors.New("cirro answered 503")
		})
		r := b.invoke(t, "cirro-fulfill", fixture(t, "servicebus_double_encoded.json"))
		require.Equal(t, http.StatusInternalServerError, r.Status, "then the host redelivers")
		require.Contains(t, b.stderr.String(), "attempts in this invocation")
	})
}
