package fulfillment

import (
	"context"
	"errors"
	"net/http"

	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/xb"
)

// stateOrder is the one table of an order's states, in the order they
// happen: OMS's own states and the warehouse's steps between them. An
// order's recorded state only moves forward along it; a step that arrives
// late (Cirro's acceptance committed while cirro-fulfill still waits for
// Cirro's answer) is still written to the journey, but does not move the
// order back.
var stateOrder = []string{
	oms.StatePendingNAVRelease,
	oms.StateReleasedFromNAV,
	oms.StateWaitingFulfillmentConfirmation,
	StateTPLOrderCreated,
	StateAcceptedByTPL,
	oms.StateExportedToTPL,
	StateShippedByTPL,
	oms.StateShipped,
}

// rank is a state's place in stateOrder (10, 20, ...); unknown states rank 0.
func rank(state string) int {
	for i, s := range stateOrder {
		if s == state {
			return (i + 1) * 10
		}
	}
	return 0
}

// refusedOutright reports whether a partner answered with a definite no
// (a 4xx other than 408 and 429): nothing happened there, so the next
// attempt may carry a new idempotency key. A partner that keeps the first
// answer of each key (OMS, XB) would otherwise refuse every retry the same
// way, even after the order moved on or a mapping was fixed.
func refusedOutright(err error) bool {
	var oe *oms.Error
	var xe *xb.Error
	status := 0
	switch {
	case errors.As(err, &oe):
		status = oe.Status
	case errors.As(err, &xe):
		status = xe.Status
	}
	return status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
}

// releaseClaim gives a claim back after a failed partner call, noting an
// outright refusal.
func releaseClaim(ctx context.Context, c *store.Claim, cause error) error {
	if refusedOutright(cause) {
		return c.Refuse(ctx, cause)
	}
	return c.Release(ctx, cause)
}
