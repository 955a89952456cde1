package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

func TestTimerRuns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.Store(t)
	t0 := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	rec := func(at time.Time, err error, schedule string) {
		t.Helper()
		require.NoError(t, s.RecordTimerRun(ctx, store.TimerOutcome{Function: "outbox-relay", Schedule: schedule, StartedAt: at, InvocationID: "i", Err: err}))
	}
	get := func() store.TimerRun {
		t.Helper()
		runs, err := s.TimerRuns(ctx)
		require.NoError(t, err)
		require.Len(t, runs, 1)
		return runs[0]
	}

	t.Run("AFailureFirstSetsTheBaselineWithoutASuccess", func(t *testing.T) {
		rec(t0, errors.New("database unreachable"), "0 * * * * *")
		r := get()
		require.Nil(t, r.LastSuccessAt)
		require.Equal(t, t0, r.Baseline().UTC())
		require.Equal(t, "database unreachable", r.LastError)
		require.EqualValues(t, 1, r.Failures)
	})
	t.Run("SuccessesMoveForwardNeverBack", func(t *testing.T) {
		rec(t0.Add(2*time.Minute), nil, "0 * * * * *")
		rec(t0.Add(time.Minute), nil, "") // a slow run that finished late
		r := get()
		require.Equal(t, t0.Add(2*time.Minute), r.LastSuccessAt.UTC())
		require.Equal(t, "0 * * * * *", r.Schedule, "an unknown schedule keeps the known one")
		require.EqualValues(t, 2, r.Successes)
	})
	t.Run("StaleIsMarkedOnceAndClearedOnce", func(t *testing.T) {
		ok, err := s.MarkTimerStale(ctx, "outbox-relay", t0.Add(time.Hour))
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = s.MarkTimerStale(ctx, "outbox-relay", t0.Add(2*time.Hour))
		require.NoError(t, err)
		require.False(t, ok, "one alert per outage")
		cleared, since, err := s.ClearTimerStale(ctx, "outbox-relay")
		require.NoError(t, err)
		require.True(t, cleared)
		require.Equal(t, t0.Add(time.Hour), since.UTC())
		cleared, _, err = s.ClearTimerStale(ctx, "outbox-relay")
		require.NoError(t, err)
		require.False(t, cleared, "one clear per outage")
		require.NoError(t, s.RestoreTimerStale(ctx, "outbox-relay", since))
		require.Equal(t, t0.Add(time.Hour), get().StaleSince.UTC(), "a clear that could not be sent is undone")
	})
}

func TestDeadLetterRecords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.Store(t)
	enq := time.Date(2026, 11, 25, 17, 0, 0, 0, time.UTC)
	d := store.DeadLetterRecord{Topic: "int-test-shipped", Subscription: "oms", SequenceNumber: 7, MessageID: "ORD-1/shipped",
		CorrelationID: "ORD-1", Reason: "MaxDeliveryCountExceeded", DeliveryCount: 10, EnqueuedAt: &enq,
		BodyRef: "dead-letters/int-test-shipped/oms/7", BodySHA256: "ab", BodySize: 2}
	first, created, err := s.RecordDeadLetter(ctx, d)
	require.NoError(t, err)
	require.True(t, created)
	again, created, err := s.RecordDeadLetter(ctx, d)
	require.NoError(t, err)
	require.False(t, created, "a dead letter is recorded once")
	require.Equal(t, first.ID, again.ID)
	d.SequenceNumber = 8
	d.MessageID = "ORD-2/shipped"
	d.CorrelationID = "ORD-2"
	second, _, err := s.RecordDeadLetter(ctx, d)
	require.NoError(t, err)

	known, err := s.KnownDeadLetters(ctx, "int-test-shipped", "oms", []int64{7, 8, 9})
	require.NoError(t, err)
	require.Equal(t, map[int64]bool{7: true, 8: true}, known)
	open, err := s.UnalertedDeadLetters(ctx, 0)
	require.NoError(t, err)
	require.Len(t, open, 2)
	require.NoError(t, s.MarkDeadLettersAlerted(ctx, []int64{first.ID}))
	open, err = s.UnalertedDeadLetters(ctx, 0)
	require.NoError(t, err)
	require.Len(t, open, 1)
	require.Equal(t, second.ID, open[0].ID)

	require.NoError(t, s.MarkDeadLetterReplayed(ctx, second.ID, "replayed through oms-ship-confirm: succeeded"))
	got, err := s.GetDeadLetter(ctx, second.ID)
	require.NoError(t, err)
	require.NotNil(t, got.ReplayedAt)
	require.Equal(t, 1, got.ReplayCount)
	list, err := s.ListDeadLetters(ctx, store.DeadLetterFilter{Correlation: "ORD-2", OpenOnly: true})
	require.NoError(t, err)
	require.Empty(t, list, "a replayed dead letter is not open")
	_, err = s.GetDeadLetter(ctx, 999)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestAlertKinds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.Store(t)

	t.Run("OncePerWindowAndTheNextCardCountsWhatWasHeldBack", func(t *testing.T) {
		c, err := s.ClaimAlertKind(ctx, "k1", time.Hour)
		require.NoError(t, err)
		require.True(t, c.Claimed)
		for range 2 {
			c, err = s.ClaimAlertKind(ctx, "k1", time.Hour)
			require.NoError(t, err)
			require.False(t, c.Claimed)
		}
		require.EqualValues(t, 2, c.HeldBack)
		storetest.Exec(t, s, `UPDATE alert_kinds SET last_sent_at = now() - interval '2 hours' WHERE kind = 'k1'`)
		c, err = s.ClaimAlertKind(ctx, "k1", time.Hour)
		require.NoError(t, err)
		require.True(t, c.Claimed)
		require.EqualValues(t, 2, c.HeldBack)
	})
	t.Run("AReleasedClaimIsClaimedAgain", func(t *testing.T) {
		c, err := s.ClaimAlertKind(ctx, "k2", time.Hour)
		require.NoError(t, err)
		require.True(t, c.Claimed)
		require.NoError(t, s.ReleaseAlertKind(ctx, "k2", c))
		c, err = s.ClaimAlertKind(ctx, "k2", time.Hour)
		require.NoError(t, err)
		require.True(t, c.Claimed, "the post failed, so the next caller posts")
	})
	t.Run("OfConcurrentClaimsOneWins", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := s.ClaimAlertKind(ctx, "k3", time.Hour)
				require.NoError(t, err)
				if c.Claimed {
					mu.Lock()
					won++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		require.Equal(t, 1, won)
	})
}
