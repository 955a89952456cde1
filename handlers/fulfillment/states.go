package fulfillment

import "github.com/popsockets/integration/shared/oms"

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
