package store_test

import (
	"context"
	"errors"
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
	o := store.Order{OrderID: "ORD-1", OrderNumber: "SF-1", Source: "sfcc", Channel: "b2c", TPL: "cirro", State: "WAITING_FULFILLMENT_CONFIRMATION"}
	created, err := store.InsertOrder(ctx, s.Pool, o)
	require.NoError(t, err)
	require.True(t, created)
	created, err = store.InsertOrder(ctx, s.Pool, o)
	require.NoError(t, err)
	require.False(t, created)
	require.NoError(t, store.SetOrderState(ctx, s.Pool, "ORD-1", "EXPORTED_TO_TPL", "C-77"))
	require.NoError(t, store.SetOrderState(ctx, s.Pool, "ORD-1", "SHIPPED", ""))
	got, err := store.GetOrder(ctx, s.Pool, "ORD-1")
	require.NoError(t, err)
	require.Equal(t, "SHIPPED", got.State)
	require.Equal(t, "C-77", got.TPLOrderNo, "an empty number keeps the known one")
	_, err = store.GetOrder(ctx, s.Pool, "ORD-404")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, store.SetOrderState(ctx, s.Pool, "ORD-404", "RELEASED_FROM_NAV", ""), "unknown orders are not an error")

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
	mu   sync.Mutex
	msgs []bus.Message
	fail map[string]bool
}

func (p *recordingPublisher) Publish(_ context.Context, m bus.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail[m.Key] {
		return errors.New("service bus unavailable")
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
	n, err := s.PublishOutbox(ctx, pub, ids, 0)
	require.ErrorContains(t, err, "service bus unavailable")
	require.Equal(t, 1, n)
	pending, err := s.PendingOutbox(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, pending)

	pub.fail = nil
	n, err = s.PublishOutbox(ctx, pub, nil, 0)
	require.NoError(t, err)
	require.Equal(t, 1, n, "the relay publishes what was left")
	require.Len(t, pub.msgs, 2)
	require.Equal(t, "cirro", pub.msgs[0].Properties["target"])
	require.Equal(t, "a", pub.msgs[0].Envelope.RefeID)
	n, err = s.PublishOutbox(ctx, pub, nil, 0)
	require.NoError(t, err)
	require.Zero(t, n)
}
