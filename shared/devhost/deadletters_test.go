package devhost_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/bus"
)

// TestDeadLetterQueueAPI: the local broker's dead-letter queue is peeked,
// locked, completed and abandoned as a Service Bus dead-letter receiver
// sees it, through bus.Local.
func TestDeadLetterQueueAPI(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	for _, id := range []string{"d-1", "d-2", "d-3"} {
		publish(t, f, id, "broken")
	}
	waitIdle(t, f)
	ctx := context.Background()
	l, err := bus.NewLocal(bus.LocalConfig{URL: f.host.URL()})
	require.NoError(t, err)

	t.Run("PeekListsTheQueueInSequenceOrderWithWhyAndWhen", func(t *testing.T) {
		got, err := l.PeekDeadLetters(ctx, "int-test-work", "broken", 10)
		require.NoError(t, err)
		require.Len(t, got, 3)
		ids := []string{}
		for i, d := range got {
			ids = append(ids, d.MessageID)
			require.Equal(t, "int-test-work", d.Topic)
			require.Equal(t, "MaxDeliveryCountExceeded", d.Reason)
			require.Equal(t, "ORD-"+d.MessageID, d.CorrelationID)
			require.False(t, d.EnqueuedAt.IsZero())
			require.Equal(t, "broken", d.Properties["target"])
			if i > 0 {
				require.Greater(t, d.SequenceNumber, got[i-1].SequenceNumber)
			}
		}
		require.ElementsMatch(t, []string{"d-1", "d-2", "d-3"}, ids)
		again, err := l.PeekDeadLetters(ctx, "int-test-work", "broken", 1)
		require.NoError(t, err)
		require.Len(t, again, 1, "max bounds the peek, and peeking takes nothing")
		_, err = l.PeekDeadLetters(ctx, "int-test-work", "nope", 1)
		require.ErrorContains(t, err, "404")
	})

	t.Run("ResubmitCompletesOnlyWhatItsRedriveHandled", func(t *testing.T) {
		var redriven []string
		res, err := l.ResubmitDeadLetters(ctx, "int-test-work", "broken", bus.Selection{
			Match: func(d bus.DeadLetter) bool { return d.MessageID != "d-3" }, Max: 10,
		}, func(_ context.Context, d bus.DeadLetter) error {
			redriven = append(redriven, d.MessageID)
			if d.MessageID == "d-2" {
				return errors.New("still broken")
			}
			return nil
		})
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"d-1", "d-2"}, redriven, "d-3 was not selected")
		require.Len(t, res, 2)
		for _, r := range res {
			require.Equal(t, r.DeadLetter.MessageID == "d-1", r.Completed)
		}
		left, err := l.PeekDeadLetters(ctx, "int-test-work", "broken", 10)
		require.NoError(t, err)
		var ids []string
		for _, d := range left {
			ids = append(ids, d.MessageID)
		}
		require.ElementsMatch(t, []string{"d-2", "d-3"}, ids, "the failed redrive and the unselected message stay, unlocked")
		require.Contains(t, f.out.String(), "d-1 taken out of broken's dead-letter queue")

		res, err = l.ResubmitDeadLetters(ctx, "int-test-work", "broken", bus.Selection{
			Match: func(d bus.DeadLetter) bool { return d.MessageID == "d-1" },
		}, func(context.Context, bus.DeadLetter) error { t.Fatal("d-1 is gone"); return nil })
		require.NoError(t, err)
		require.Empty(t, res, "a completed message cannot be resubmitted twice")
	})

	t.Run("ALockIsExclusiveAndSettlesOnce", func(t *testing.T) {
		recv := func() []bus.LocalLocked {
			var got []bus.LocalLocked
			resp, body := do(t, jsonRequest(t, f.host.URL()+bus.LocalDeadLetterReceivePath,
				`{"topic":"int-test-work","subscription":"broken","max":10,"lock_seconds":60}`))
			require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
			require.NoError(t, json.Unmarshal(body, &got))
			return got
		}
		first := recv()
		require.Len(t, first, 2)
		require.Empty(t, recv(), "locked messages are not received twice")
		settle := func(token, action string) int {
			resp, _ := do(t, jsonRequest(t, f.host.URL()+bus.LocalDeadLetterSettlePath,
				`{"topic":"int-test-work","subscription":"broken","lock_token":"`+token+`","action":"`+action+`"}`))
			return resp.StatusCode
		}
		require.Equal(t, http.StatusNoContent, settle(first[0].LockToken, bus.SettleRenew))
		require.Equal(t, http.StatusNoContent, settle(first[0].LockToken, bus.SettleAbandon))
		require.Equal(t, http.StatusGone, settle(first[0].LockToken, bus.SettleAbandon), "a lock settles once")
		require.Equal(t, http.StatusGone, settle("no-such-token", bus.SettleComplete))
		require.Equal(t, http.StatusNoContent, settle(first[1].LockToken, bus.SettleAbandon))
		require.Len(t, recv(), 2, "abandoned messages can be received again")
	})
}

// TestDeadLetterLocksExpire: a lock that runs out gives the message back,
// and settling it then is a lost lock.
func TestDeadLetterLocksExpire(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	publish(t, f, "x-1", "broken")
	waitIdle(t, f)
	resp, body := do(t, jsonRequest(t, f.host.URL()+bus.LocalDeadLetterReceivePath,
		`{"topic":"int-test-work","subscription":"broken","max":1,"lock_seconds":1}`))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var got []bus.LocalLocked
	require.NoError(t, json.Unmarshal(body, &got))
	require.Len(t, got, 1)
	var again []bus.LocalLocked
	waitFor(t, "the lock to run out", func() bool {
		_, body := do(t, jsonRequest(t, f.host.URL()+bus.LocalDeadLetterReceivePath,
			`{"topic":"int-test-work","subscription":"broken","max":1,"lock_seconds":60}`))
		require.NoError(t, json.Unmarshal(body, &again))
		return len(again) > 0
	})
	require.Len(t, again, 1, "the message came back when its lock ran out")
	resp, _ = do(t, jsonRequest(t, f.host.URL()+bus.LocalDeadLetterSettlePath,
		`{"topic":"int-test-work","subscription":"broken","lock_token":"`+got[0].LockToken+`","action":"complete"}`))
	require.Equal(t, http.StatusGone, resp.StatusCode)
}

func jsonRequest(t *testing.T, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	return req
}
