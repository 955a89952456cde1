package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

func TestOrdersAndJourney(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.Store(t)
	o := store.Order{OrderID: "ORD-1", OrderNumber: "SF-1", Source: "sfcc", Channel: "b2c", TPL: "cirro", State: "WAITING_FULFILLMENT_CONFIRMATION", StateRank: 30}
	created, err := store.InsertOrder(ctx, s.Pool, o)
	require.NoError(t, err)
	require.True(t, created)
	created, err = store.InsertOrder(ctx, s.Pool, o)
	require.NoError(t, err)
	require.False(t, created)
	advance := func(state string, rank int, no string) bool {
		t.Helper()
		moved, err := store.AdvanceOrder(ctx, s.Pool, "ORD-1", state, rank, no)
		require.NoError(t, err)
		return moved
	}
	require.True(t, advance("EXPORTED_TO_TPL", 60, "C-77"))
	require.True(t, advance("SHIPPED", 80, ""))
	require.False(t, advance("TPL_ORDER_CREATED", 40, ""), "a late earlier step does not move the order back")
	got, err := store.GetOrder(ctx, s.Pool, "ORD-1")
	require.NoError(t, err)
	require.Equal(t, "SHIPPED", got.State)
	require.Equal(t, "C-77", got.TPLOrderNo, "an empty number keeps the known one")
	_, err = store.GetOrder(ctx, s.Pool, "ORD-404")
	require.ErrorIs(t, err, store.ErrNotFound)
	moved, err := store.AdvanceOrder(ctx, s.Pool, "ORD-404", "RELEASED_FROM_NAV", 20, "")
	require.NoError(t, err, "unknown orders are not an error")
	require.False(t, moved)

	for _, st := range []string{"RELEASED_FROM_NAV", "WAITING_FULFILLMENT_CONFIRMATION", "SHIPPED"} {
		require.NoError(t, store.RecordJourney(ctx, s.Pool, store.JourneyStep{OrderID: "ORD-1", State: st, System: "oms", Function: "f", MessageID: "m-" + st}))
	}
	steps, err := store.Journey(ctx, s.Pool, "ORD-1")
	require.NoError(t, err)
	require.Len(t, steps, 3)
	require.Equal(t, "RELEASED_FROM_NAV", steps[0].State)
	require.Equal(t, "SHIPPED", steps[2].State)
}

func TestRecordWebhook(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.Store(t)
	first, err := store.RecordWebhook(ctx, s.Pool, "cirro", "wh-1", []byte(`{"a":1}`))
	require.NoError(t, err)
	require.True(t, first)
	first, err = store.RecordWebhook(ctx, s.Pool, "cirro", "wh-1", []byte(`{"a":1}`))
	require.NoError(t, err)
	require.False(t, first, "the same webhook again is a duplicate")
	_, err = store.RecordWebhook(ctx, s.Pool, "cirro", "wh-1", []byte(`{"a":2}`))
	require.ErrorIs(t, err, store.ErrWebhookIDReused)
	require.Equal(t, fault.ClassConflict, fault.ClassOf(err))
	first, err = store.RecordWebhook(ctx, s.Pool, "oms", "wh-1", []byte(`{"a":2}`))
	require.NoError(t, err)
	require.True(t, first, "ids are per partner")
}

type recordingPublisher struct {
	mu        sync.Mutex
	msgs      []bus.Message
	fail      map[string]bool
	permanent map[string]bool
}

func (p *recordingPublisher) Publish(_ context.Context, m bus.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail[m.Key] {
		return errors.New("service bus unavailable")
	}
	if p.permanent[m.Key] {
		return fault.Permanentf("message too large")
	}
	p.msgs = append(p.msgs, m)
	return nil
}

func TestOutbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.Store(t)
	msg := func(key string) bus.Message {
		env, err := bus.Request("", "fulfillment.requested", bus.ObjectFulfillment, key, map[string]string{"k": key}, time.Now())
		require.NoError(t, err)
		return bus.Message{Topic: "fulfillment-request", Key: key, Envelope: env, Properties: map[string]string{"target": "cirro"}}
	}
	var ids []int64
	require.NoError(t, s.InTx(ctx, func(tx pgx.Tx) error {
		for _, k := range []string{"a", "b", "a"} {
			id, err := store.Enqueue(ctx, tx, msg(k))
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	}))
	require.Equal(t, ids[0], ids[2], "the same key is one outbox row")

	// A rolled-back effect leaves no message.
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := store.Enqueue(ctx, tx, msg("c")); err != nil {
			return err
		}
		return errors.New("order insert failed")
	})
	require.Error(t, err)

	pub := &recordingPublisher{fail: map[string]bool{"b": true}}
	noWait := store.OutboxPolicy{Backoff: func(int) time.Duration { return 0 }, Grace: time.Nanosecond}
	n, _, err := s.PublishOutbox(ctx, pub, ids, 0, noWait)
	require.ErrorContains(t, err, "service bus unavailable")
	require.Equal(t, 1, n)
	pending, err := s.PendingOutbox(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, pending)

	pub.fail = nil
	n, _, err = s.PublishOutbox(ctx, pub, nil, 0, noWait)
	require.NoError(t, err)
	require.Equal(t, 1, n, "the relay publishes what was left")
	require.Len(t, pub.msgs, 2)
	require.Equal(t, "cirro", pub.msgs[0].Properties["target"])
	require.Equal(t, "a", pub.msgs[0].Envelope.RefeID)
	n, _, err = s.PublishOutbox(ctx, pub, nil, 0, noWait)
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestPoisonOutboxRowsBackOffParkAndNeverStarveNewerRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.Store(t)
	enqueue := func(key string) int64 {
		t.Helper()
		env, err := bus.Request("", "fulfillment.requested", bus.ObjectFulfillment, key, map[string]string{"k": key}, time.Now())
		require.NoError(t, err)
		id, err := store.Enqueue(ctx, s.Pool, bus.Message{Topic: "fulfillment-request", Key: key, Envelope: env})
		require.NoError(t, err)
		return id
	}
	poison := enqueue("poison")
	pub := &recordingPublisher{fail: map[string]bool{"poison": true}}
	policy := store.OutboxPolicy{MaxAttempts: 3, Backoff: func(int) time.Duration { return time.Hour }, Grace: time.Nanosecond}

	_, parked, err := s.PublishOutbox(ctx, pub, nil, 1, policy)
	require.Error(t, err)
	require.Empty(t, parked)
	// The poison row backs off an hour: a newer row goes out even with a batch of one.
	fresh := enqueue("fresh")
	n, _, err := s.PublishOutbox(ctx, pub, nil, 1, policy)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, "fresh", pub.msgs[len(pub.msgs)-1].Key)
	require.Zero(t, storetest.Count(t, s, `SELECT * FROM outbox WHERE id = $1`, fresh), "a published row leaves the outbox")

	// Once due again it fails until its attempts are used, then it is parked once.
	for range 2 {
		storetest.Exec(t, s, `UPDATE outbox SET next_attempt_at = now() WHERE id = $1`, poison)
		_, parked, err = s.PublishOutbox(ctx, pub, nil, 10, policy)
		require.Error(t, err)
	}
	require.Len(t, parked, 1, "the third failure parks it")
	require.True(t, parked[0].First)
	p, err := s.GetParked(ctx, parked[0].ID)
	require.NoError(t, err)
	require.Equal(t, store.OutboxFunction, p.Function)
	require.Contains(t, p.Reason, "failed 3 times")
	require.Equal(t, "poison", p.CorrelationID)
	pending, err := s.PendingOutbox(ctx)
	require.NoError(t, err)
	require.Zero(t, pending, "a parked row is no longer pending")
	storetest.Exec(t, s, `UPDATE outbox SET next_attempt_at = now() WHERE id = $1`, poison)
	n, _, err = s.PublishOutbox(ctx, pub, nil, 10, policy)
	require.NoError(t, err)
	require.Zero(t, n, "a parked row is not retried")

	// After a fix, the operator requeues it.
	pub.fail = nil
	require.NoError(t, s.RequeueOutbox(ctx, poison))
	n, _, err = s.PublishOutbox(ctx, pub, nil, 10, policy)
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

func TestPermanentPublishFailureParksAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.Store(t)
	env, err := bus.Request("", "e", bus.ObjectOrder, "ORD-9", map[string]string{}, time.Now())
	require.NoError(t, err)
	_, err = store.Enqueue(ctx, s.Pool, bus.Message{Topic: "shipped", Key: "too-big", Envelope: env})
	require.NoError(t, err)
	pub := &recordingPublisher{permanent: map[string]bool{"too-big": true}}
	_, parked, err := s.PublishOutbox(ctx, pub, nil, 10, store.OutboxPolicy{Grace: time.Nanosecond})
	require.Error(t, err)
	require.Len(t, parked, 1)
}

func TestTheRelayLeavesFreshRowsToTheInProcessPublisher(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.Store(t)
	env, err := bus.Request("", "e", bus.ObjectOrder, "ORD-7", map[string]string{}, time.Now())
	require.NoError(t, err)
	m := bus.Message{Topic: "shipped", Key: "fresh", Envelope: env}
	id, err := store.Enqueue(ctx, s.Pool, m)
	require.NoError(t, err)
	pub := &recordingPublisher{}
	n, _, err := s.PublishOutbox(ctx, pub, nil, 10, store.OutboxPolicy{Grace: time.Hour})
	require.NoError(t, err)
	require.Zero(t, n, "a row just committed belongs to the publisher of its process for the grace period")
	n, _, err = s.SendOutbox(ctx, pub, []store.OutboxRow{{ID: id, Message: m}}, store.OutboxPolicy{})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Zero(t, storetest.Count(t, s, `SELECT * FROM outbox`))
}

func TestConcurrentPublishersNeverSendARowTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.Store(t)
	for i := range 200 {
		env, err := bus.Request("", "e", bus.ObjectOrder, fmt.Sprint(i), map[string]string{}, time.Now())
		require.NoError(t, err)
		_, err = store.Enqueue(ctx, s.Pool, bus.Message{Topic: "t", Key: fmt.Sprint(i), Envelope: env})
		require.NoError(t, err)
	}
	pub := &recordingPublisher{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, _, err := s.PublishOutbox(ctx, pub, nil, 7, store.OutboxPolicy{Grace: time.Nanosecond})
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	pub.mu.Lock()
	defer pub.mu.Unlock()
	seen := map[string]int{}
	for _, m := range pub.msgs {
		seen[m.Key]++
	}
	require.Len(t, seen, 200)
	for k, n := range seen {
		require.Equal(t, 1, n, "message %s", k)
	}
}
