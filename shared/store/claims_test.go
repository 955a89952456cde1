package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

func TestClaim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("ClaimCallRecordThenDuplicate", func(t *testing.T) {
		t.Parallel()
		s := storetest.Store(t)
		c, err := s.Claim(ctx, "cirro-fulfill", "msg-1", "inv-1", time.Minute)
		require.NoError(t, err)
		require.Equal(t, 1, c.Attempt)
		require.False(t, c.Retaken())
		ran := false
		require.NoError(t, c.Record(ctx, func(tx pgx.Tx) error { ran = true; return nil }))
		require.True(t, ran)
		_, err = s.Claim(ctx, "cirro-fulfill", "msg-1", "inv-2", time.Minute)
		require.Equal(t, fault.ClassDuplicate, fault.ClassOf(err), "a recorded key is never claimed again")
		ok, err := s.Processed(ctx, "cirro-fulfill", "msg-1")
		require.NoError(t, err)
		require.True(t, ok)
	})

	t.Run("HeldClaimIsInFlightWithItsLease", func(t *testing.T) {
		t.Parallel()
		s := storetest.Store(t)
		_, err := s.Claim(ctx, "f", "k", "inv-1", 30*time.Second)
		require.NoError(t, err)
		_, err = s.Claim(ctx, "f", "k", "inv-2", 30*time.Second)
		require.ErrorIs(t, err, store.ErrInFlight)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		wait, ok := fault.RetryAfter(err)
		require.True(t, ok)
		require.Greater(t, wait, 20*time.Second, "the wait is what is left of the lease")
	})

	t.Run("ReleasedClaimIsRetakenWithTheNextAttempt", func(t *testing.T) {
		t.Parallel()
		s := storetest.Store(t)
		c, err := s.Claim(ctx, "f", "k", "inv-1", time.Minute)
		require.NoError(t, err)
		require.NoError(t, c.Release(ctx, errors.New("cirro said 500")))
		c2, err := s.Claim(ctx, "f", "k", "inv-2", time.Minute)
		require.NoError(t, err)
		require.Equal(t, 2, c2.Attempt)
		require.True(t, c2.Retaken(), "the partner may have the effect: look it up")
		require.Equal(t, 1, storetest.Count(t, s, `SELECT * FROM processed_messages WHERE last_error = 'cirro said 500' AND status = 'claimed'`), "the last failure stays visible")
	})

	t.Run("ExpiredClaimIsTakenOverAndTheLateRecordIsADuplicate", func(t *testing.T) {
		t.Parallel()
		s := storetest.Store(t)
		slow, err := s.Claim(ctx, "f", "k", "inv-slow", time.Minute)
		require.NoError(t, err)
		// The slow invocation's lease runs out (its process froze, say).
		storetest.Exec(t, s, `UPDATE processed_messages SET claimed_until = now() - interval '1 second'`)
		fast, err := s.Claim(ctx, "f", "k", "inv-fast", time.Minute)
		require.NoError(t, err)
		require.Equal(t, 2, fast.Attempt)
		require.NoError(t, fast.Record(ctx, nil))
		err = slow.Record(ctx, func(pgx.Tx) error { t.Fatal("a taken-over claim must not record"); return nil })
		require.Equal(t, fault.ClassDuplicate, fault.ClassOf(err))
		require.NoError(t, slow.Release(ctx, errors.New("late")), "releasing a lost claim changes nothing")
		ok, err := s.Processed(ctx, "f", "k")
		require.NoError(t, err)
		require.True(t, ok)
	})

	t.Run("TheSameInvocationRetakesItsOwnClaim", func(t *testing.T) {
		t.Parallel()
		s := storetest.Store(t)
		_, err := s.Claim(ctx, "f", "k", "inv-1", time.Minute)
		require.NoError(t, err)
		again, err := s.Claim(ctx, "f", "k", "inv-1", time.Minute)
		require.NoError(t, err, "its record failed (the database went away); it tries again at once")
		require.True(t, again.Retaken(), "and looks the effect up first")
		require.NoError(t, again.Record(ctx, nil))
	})

	t.Run("FailedRecordLeavesTheClaimToExpire", func(t *testing.T) {
		t.Parallel()
		s := storetest.Store(t)
		c, err := s.Claim(ctx, "f", "k", "inv-1", time.Minute)
		require.NoError(t, err)
		require.Error(t, c.Record(ctx, func(pgx.Tx) error { return errors.New("constraint") }))
		_, err = s.Claim(ctx, "f", "k", "inv-2", time.Minute)
		require.ErrorIs(t, err, store.ErrInFlight, "the rolled-back record keeps the claim: nothing was half-written")
	})
}

func TestClassifyMarksBadDataPermanent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.Store(t)
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO watermarks (name, value) VALUES ($1, 'x')`, "nul\x00inside")
		return err
	})
	require.Error(t, err)
	require.Equal(t, fault.ClassPermanent, fault.ClassOf(err), "a NUL in text is refused for good, not retried")
	require.Contains(t, err.Error(), "SQLSTATE 22021")
	require.Equal(t, `a\0b`, store.Text("a\x00b", 0))
	require.Equal(t, "ab\uFFFD", store.Text("ab\xff", 0))
	require.Equal(t, "abc...(3 bytes cut)", store.Text("abcdef", 3))
}

func TestARefusedCallGetsANewIdempotencyKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.Store(t)
	c, err := s.Claim(ctx, "oms-ship-confirm", "m1", "inv-1", time.Minute)
	require.NoError(t, err)
	require.Equal(t, "m1", c.IdempotencyKey("m1"))
	require.NoError(t, c.Release(ctx, errors.New("timeout: did OMS do it?")))
	c, err = s.Claim(ctx, "oms-ship-confirm", "m1", "inv-2", time.Minute)
	require.NoError(t, err)
	require.Equal(t, "m1", c.IdempotencyKey("m1"), "after an unknown outcome the key stays: the partner dedupes")
	require.NoError(t, c.Refuse(ctx, errors.New("409: not yet")))
	c, err = s.Claim(ctx, "oms-ship-confirm", "m1", "inv-3", time.Minute)
	require.NoError(t, err)
	require.Equal(t, "m1/retry-1", c.IdempotencyKey("m1"), "after a refusal nothing happened: a new key")
}
