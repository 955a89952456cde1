package audit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/store/storetest"
)

// memSink keeps what it was given; it can be told to fail or to block.
type memSink struct {
	mu     sync.Mutex
	events []Event
	fail   error
	block  chan struct{}
	writes int
}

func (s *memSink) Write(ctx context.Context, batch []Event) error {
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if s.fail != nil {
		return s.fail
	}
	s.events = append(s.events, batch...)
	return nil
}

func (s *memSink) setFail(err error) { s.mu.Lock(); s.fail = err; s.mu.Unlock() }
func (s *memSink) got() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

func running(t *testing.T, cfg Config) *Recorder {
	t.Helper()
	r := New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

func TestEventsAreWrittenInBatchesInTheBackground(t *testing.T) {
	sink := &memSink{}
	r := running(t, Config{Sink: sink, Batch: 10, Every: time.Hour})
	for range 25 {
		r.Record(Event{Kind: KindCall, System: "Cirro", Operation: "POST /v1/order/create", Outcome: OutcomeOK})
	}
	require.NoError(t, r.Flush(context.Background()))
	got := sink.got()
	require.Len(t, got, 25)
	require.Equal(t, 3, sink.writes, "two full batches of 10, then the rest")
	ids := map[string]bool{}
	for _, e := range got {
		require.Len(t, e.ID, 32)
		require.False(t, e.Time.IsZero())
		ids[e.ID] = true
	}
	require.Len(t, ids, 25, "every event has its own id")
	require.EqualValues(t, 25, r.Written())
	require.Zero(t, r.Dropped())
}

func TestAFullBufferDropsWithACounterAndNeverBlocks(t *testing.T) {
	sink := &memSink{block: make(chan struct{})}
	r := running(t, Config{Sink: sink, Buffer: 10, Batch: 1, Every: time.Millisecond})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 1000 {
			r.Record(Event{Kind: KindInvocation, System: "http", Outcome: OutcomeOK})
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Record blocked on a stuck sink")
	}
	require.GreaterOrEqual(t, r.Dropped(), int64(1000-10-2), "all but the buffer (and one batch in hand) dropped")
	close(sink.block)
}

func TestASinkThatKeepsFailingIsReportedOnceUntilItRecovers(t *testing.T) {
	sink := &memSink{fail: errors.New("403 not an ingestor")}
	var mu sync.Mutex
	var broken []error
	r := running(t, Config{Sink: sink, Batch: 5, Every: time.Hour, Attempts: 2, Backoff: time.Millisecond,
		Broken: func(err error) { mu.Lock(); broken = append(broken, err); mu.Unlock() }})
	for range 3 {
		for range 5 {
			r.Record(Event{Kind: KindCall, System: "OMS", Outcome: OutcomeOK})
		}
		require.NoError(t, r.Flush(context.Background()))
	}
	mu.Lock()
	require.Len(t, broken, 1, "one alert for a broken sink, not one per batch")
	mu.Unlock()
	require.EqualValues(t, 15, r.Dropped())
	require.Equal(t, 6, sink.writes, "each batch tried Attempts times")

	sink.setFail(nil)
	r.Record(Event{Kind: KindCall, System: "OMS"})
	require.NoError(t, r.Flush(context.Background()))
	sink.setFail(errors.New("down again"))
	r.Record(Event{Kind: KindCall, System: "OMS"})
	require.NoError(t, r.Flush(context.Background()))
	mu.Lock()
	require.Len(t, broken, 2, "after a recovery, a new failure is reported again")
	mu.Unlock()
}

func TestACallIsRecordedWithoutItsQuery(t *testing.T) {
	sink := &memSink{}
	r := running(t, Config{Sink: sink, Every: time.Hour})
	ctx := With(context.Background(), r)
	Call(ctx, "OMS", "GET", "/orders?email=jane@example.com", 200, 512, 12*time.Millisecond, nil)
	Call(ctx, "Cirro", "POST", "/v1/order/create", 0, 100, time.Second, errors.New("cirro unreachable: dial tcp: timeout"))
	Call(context.Background(), "OMS", "GET", "/orders", 200, 1, 0, nil) // no recorder: nothing
	require.NoError(t, r.Flush(context.Background()))
	got := sink.got()
	require.Len(t, got, 2)
	require.Equal(t, "GET /orders", got[0].Operation, "a query may hold a customer's email")
	require.Equal(t, OutcomeOK, got[0].Outcome)
	require.EqualValues(t, 12, got[0].DurationMS)
	require.Equal(t, OutcomeFailed, got[1].Outcome)
	require.Contains(t, got[1].Error, "cirro unreachable")
}

func TestAnInvocationEventCarriesItsArchivedInput(t *testing.T) {
	sink := &memSink{}
	r := running(t, Config{Sink: sink, Every: time.Hour})
	err := Invocation(context.Background(), r, "timerTrigger", 0, func(ctx context.Context) (int, error) {
		require.Same(t, r, From(ctx))
		Archived(ctx, "edi-archive/inbound/TGT/2026-12-04/ab12-850.edi")
		return 0, errors.New("sps unreachable")
	})
	require.Error(t, err)
	require.NoError(t, r.Flush(context.Background()))
	got := sink.got()
	require.Len(t, got, 1)
	require.Equal(t, KindInvocation, got[0].Kind)
	require.Equal(t, OutcomeFailed, got[0].Outcome)
	require.Equal(t, "edi-archive/inbound/TGT/2026-12-04/ab12-850.edi", got[0].Archive, "named, never copied")
}

func TestPostgresSinkWritesEachEventOnce(t *testing.T) {
	s := storetest.Store(t)
	p := &Postgres{Store: s}
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	batch := []Event{
		{ID: "e1", Time: at, Kind: KindInvocation, System: "httpTrigger", Operation: "fulfillment-request", Function: "fulfillment-request",
			InvocationID: "inv-1", CorrelationID: "ORD-1", Outcome: OutcomeOK, Status: 202, Bytes: 900, DurationMS: 4},
		{ID: "e2", Time: at.Add(time.Millisecond), Kind: KindCall, System: "OMS", Operation: "POST /orders/ORD-1/status",
			Function: "oms-fulfillment-confirm", InvocationID: "inv-2", CorrelationID: "ORD-1", Outcome: OutcomeOK, Status: 200},
		{ID: "e3", Time: at, Kind: KindCall, System: "Cirro", Operation: "POST /v1/order/create", InvocationID: "inv-3", CorrelationID: "ORD-2", Outcome: OutcomeOK},
	}
	require.NoError(t, p.Write(context.Background(), batch))
	require.NoError(t, p.Write(context.Background(), batch), "a retried batch adds nothing")
	require.Equal(t, 3, storetest.Count(t, s, `SELECT 1 FROM audit_events`))
	trail, err := p.Trail(context.Background(), "ORD-1")
	require.NoError(t, err)
	require.Len(t, trail, 2)
	require.Equal(t, "e1", trail[0].ID)
	require.Equal(t, batch[0].Status, trail[0].Status)
	require.True(t, trail[0].Time.Equal(at))
}
