package bus

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
	"github.com/stretchr/testify/require"
)

// queue is a hand-written dead-letter queue with peek-lock semantics.
type queue struct {
	mu        sync.Mutex
	msgs      []DeadLetter
	locked    map[int64]bool
	completed []int64
	abandoned []int64
	// failReceive fails the receive after the first one.
	failReceive bool
	receives    int
}

func (q *queue) receive(_ context.Context, max int) ([]lockedMessage, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.receives++
	if q.failReceive && q.receives > 1 {
		return nil, errors.New("connection reset")
	}
	var out []lockedMessage
	for _, m := range q.msgs {
		if len(out) == max {
			break
		}
		if !q.locked[m.SequenceNumber] {
			q.locked[m.SequenceNumber] = true
			out = append(out, lockedMessage{dl: m, handle: m.SequenceNumber})
		}
	}
	return out, nil
}

func (q *queue) settle(m lockedMessage, complete bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	seq := m.handle.(int64)
	if !q.locked[seq] {
		return ErrLockLost
	}
	delete(q.locked, seq)
	if complete {
		q.completed = append(q.completed, seq)
		for i, d := range q.msgs {
			if d.SequenceNumber == seq {
				q.msgs = append(q.msgs[:i:i], q.msgs[i+1:]...)
				break
			}
		}
	} else {
		q.abandoned = append(q.abandoned, seq)
	}
	return nil
}

func (q *queue) complete(_ context.Context, m lockedMessage) error { return q.settle(m, true) }
func (q *queue) abandon(_ context.Context, m lockedMessage) error  { return q.settle(m, false) }
func (q *queue) renew(context.Context, lockedMessage) error        { return nil }

func newQueue(n int) *queue {
	q := &queue{locked: map[int64]bool{}}
	for i := 1; i <= n; i++ {
		q.msgs = append(q.msgs, DeadLetter{SequenceNumber: int64(i * 10), MessageID: "m" + string(rune('0'+i))})
	}
	return q
}

func TestResubmit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("SkippedMessagesStayLockedUntilTheEndSoNoneIsSeenTwice", func(t *testing.T) {
		t.Parallel()
		q := newQueue(120) // more than one receive's worth
		var redriven []int64
		res, err := resubmit(ctx, q, Selection{Match: func(d DeadLetter) bool { return d.SequenceNumber == 1100 }},
			func(_ context.Context, d DeadLetter) error {
				redriven = append(redriven, d.SequenceNumber)
				return nil
			})
		require.NoError(t, err)
		require.Equal(t, []int64{1100}, redriven)
		require.Len(t, res, 1)
		require.True(t, res[0].Completed)
		require.Equal(t, []int64{1100}, q.completed)
		require.Len(t, q.abandoned, 119, "every other message it received is given back, untouched")
		require.Empty(t, q.locked, "nothing stays locked")
	})

	t.Run("MaxBoundsTheRedrivesAndAFailedOneStays", func(t *testing.T) {
		t.Parallel()
		q := newQueue(5)
		res, err := resubmit(ctx, q, Selection{Max: 3}, func(_ context.Context, d DeadLetter) error {
			if d.SequenceNumber == 20 {
				return errors.New("OMS still refuses")
			}
			return nil
		})
		require.NoError(t, err)
		require.Len(t, res, 3)
		require.True(t, res[0].Completed)
		require.False(t, res[1].Completed)
		require.ErrorContains(t, res[1].Err, "OMS still refuses")
		require.True(t, res[2].Completed)
		require.Equal(t, []int64{10, 30}, q.completed)
		require.Len(t, q.msgs, 3, "the failed one and the two past max stay in the queue")
		require.Empty(t, q.locked)
	})

	t.Run("AReceiveErrorEndsTheScanAndReleasesTheLocks", func(t *testing.T) {
		t.Parallel()
		q := newQueue(60)
		q.failReceive = true
		res, err := resubmit(ctx, q, Selection{Match: func(d DeadLetter) bool { return d.SequenceNumber == 600 }},
			func(context.Context, DeadLetter) error { return nil })
		require.ErrorContains(t, err, "connection reset")
		require.Empty(t, res)
		require.Empty(t, q.locked)
	})
}

func TestDeadLetterOfMapsAReceivedMessage(t *testing.T) {
	t.Parallel()
	seq := int64(42)
	at := time.Date(2026, 11, 25, 18, 0, 0, 0, time.FixedZone("CET", 3600))
	str := func(s string) *string { return &s }
	m := &azservicebus.ReceivedMessage{
		MessageID: "ORD-1/nav-release", CorrelationID: str("ORD-1"), Subject: str("order.released"), ContentType: str("application/json"),
		DeliveryCount: 10, SequenceNumber: &seq, EnqueuedTime: &at, DeadLetterReason: str("MaxDeliveryCountExceeded"),
		DeadLetterErrorDescription: str("Message could not be consumed after 10 delivery attempts."),
		ApplicationProperties:      map[string]any{"origin": "oms", "n": int64(3)}, Body: []byte(`{"x":1}`),
	}
	d := DeadLetterOf("int-prod-nav-order-release", "oms", m)
	require.Equal(t, DeadLetter{
		Topic: "int-prod-nav-order-release", Subscription: "oms", SequenceNumber: 42, MessageID: "ORD-1/nav-release",
		CorrelationID: "ORD-1", Subject: "order.released", ContentType: "application/json", DeliveryCount: 10,
		EnqueuedAt: at.UTC(), Reason: "MaxDeliveryCountExceeded", Description: "Message could not be consumed after 10 delivery attempts.",
		Properties: map[string]any{"origin": "oms", "n": int64(3)}, Body: []byte(`{"x":1}`),
	}, d)
	require.Equal(t, "int-prod-nav-order-release/oms#42", d.Ref())
	require.Equal(t, DeadLetter{Topic: "t", Subscription: "s", Properties: map[string]any{}}, DeadLetterOf("t", "s", &azservicebus.ReceivedMessage{}),
		"absent broker properties are empty, not a crash")
}
