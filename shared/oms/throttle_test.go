package oms_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/oms"
)

// TestAThrottledOrderIsTransientWithItsRetryAfter: the fake's throttle of
// one order answers 429 with Retry-After, changes nothing, and leaves other
// orders alone.
func TestAThrottledOrderIsTransientWithItsRetryAfter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, srv := setup(t, nil)
	srv.AddOrder("ORD-T1", oms.StatePendingNAVRelease)
	srv.AddOrder("ORD-T2", oms.StatePendingNAVRelease)
	srv.ThrottleOrder("ORD-T1", 1, 90*time.Second)

	require.NoError(t, c.ReleaseFromNAV(ctx, "ORD-T2", "k-2"), "another order is not throttled")
	err := c.ReleaseFromNAV(ctx, "ORD-T1", "k-1")
	require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	d, ok := fault.RetryAfter(err)
	require.True(t, ok)
	require.Equal(t, 90*time.Second, d)
	require.Equal(t, oms.StatePendingNAVRelease, srv.State("ORD-T1"), "no effect")
	require.NoError(t, c.ReleaseFromNAV(ctx, "ORD-T1", "k-1"), "the same key goes through once the throttle is spent")
	require.Equal(t, oms.StateReleasedFromNAV, srv.State("ORD-T1"))
}
