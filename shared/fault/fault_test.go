package fault_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
)

func TestClassOf(t *testing.T) {
	t.Parallel()
	base := errors.New("cirro said no")
	tests := []struct {
		name string
		err  error
		want fault.Class
	}{
		{"UnclassifiedIsTransient", base, fault.ClassTransient},
		{"DeadlineIsTransient", context.DeadlineExceeded, fault.ClassTransient},
		{"PermanentSurvivesWrapping", fmt.Errorf("creating order: %w", fault.Permanent(base)), fault.ClassPermanent},
		{"MalformedIsItsOwnClass", fault.Malformedf("bad json at %d", 3), fault.ClassMalformed},
		{"OutermostDecisionWins", fault.Permanent(fault.Duplicatef("order %s exists", "A1")), fault.ClassPermanent},
		{"TransientAroundPermanentIsTransient", fmt.Errorf("waiting: %w", fault.Transient(fault.Permanentf("oms 409"), time.Second)), fault.ClassTransient},
		{"JoinTakesTheFirstClassifiedBranch", errors.Join(errors.New("plain"), fault.Malformedf("bad")), fault.ClassMalformed},
		{"UnauthorizedSentinel", fmt.Errorf("verifying: %w", fault.ErrUnauthorized), fault.ClassUnauthorized},
		{"TooLarge", fault.TooLargef("body over %d bytes", 10), fault.ClassTooLarge},
		{"Conflict", fault.Conflictf("webhook id %s reused", "w1"), fault.ClassConflict},
		{"ExplicitTransient", fault.Transient(base, 0), fault.ClassTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, fault.ClassOf(tt.err))
		})
	}
}

func TestClassifiedKeepsMessageAndCause(t *testing.T) {
	t.Parallel()
	base := errors.New("ship method XYZ is not mapped")
	err := fmt.Errorf("mapping order A1: %w", fault.Permanent(base))
	require.Equal(t, "mapping order A1: ship method XYZ is not mapped", err.Error())
	require.ErrorIs(t, err, base)
	require.ErrorIs(t, err, fault.ErrPermanent)
	require.NoError(t, fault.Permanent(nil))
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("calling cirro: %w", fault.Transient(errors.New("429"), 7*time.Second))
	d, ok := fault.RetryAfter(err)
	require.True(t, ok)
	require.Equal(t, 7*time.Second, d)
	_, ok = fault.RetryAfter(errors.New("plain"))
	require.False(t, ok)
	require.Equal(t, "too_large", fault.ClassTooLarge.String())
}

func TestRetryAfterHeader(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	h := http.Header{}
	require.Zero(t, fault.RetryAfterHeader(h, now))
	h.Set("Retry-After", "7")
	require.Equal(t, 7*time.Second, fault.RetryAfterHeader(h, now))
	h.Set("Retry-After", now.Add(time.Minute).Format(http.TimeFormat))
	require.Equal(t, time.Minute, fault.RetryAfterHeader(h, now))
	h.Set("Retry-After", "soon")
	require.Zero(t, fault.RetryAfterHeader(h, now))
}

func TestUnreachableHidesTheURL(t *testing.T) {
	t.Parallel()
	err := fault.Unreachable(context.Background(), "Teams",
		&url.Error{Op: "Post", URL: "https://x/invoke?sig=SECRET", Err: context.DeadlineExceeded}, 10*time.Second)
	require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	require.NotContains(t, err.Error(), "SECRET")
	require.Contains(t, err.Error(), "Teams did not answer within 10s")
}
