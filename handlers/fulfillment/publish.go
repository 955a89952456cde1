package fulfillment

import (
	"context"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/store"
)

// publishCommitted publishes an outbox message right after the transaction
// that wrote it committed (id 0: nothing to publish). The effect is already
// durable, so a failure here is not the caller's failure: it is logged, and
// the outbox-relay timer publishes the message later.
func publishCommitted(ctx context.Context, s *store.Store, pub bus.Publisher, id int64) {
	if id == 0 || pub == nil {
		return
	}
	if _, err := s.PublishOutbox(ctx, pub, []int64{id}, 1); err != nil {
		azfunc.Logger(ctx).Warn("publishing after commit failed; the outbox relay will retry", "error", err)
	}
}
