package platform

import (
	"context"
	"errors"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/store"
)

// Relayer publishes what the outbox holds.
type Relayer interface {
	Relay(ctx context.Context, limit int) (int, error)
}

// PendingCounter counts what is left to publish.
type PendingCounter interface {
	PendingOutbox(ctx context.Context) (int, error)
}

var (
	_ Relayer        = (*kit.Outbox)(nil)
	_ PendingCounter = (*store.Store)(nil)
)

// OutboxRelay is the outbox-relay timer. Handlers' messages are published
// in the background right after their commit; this publishes what a crash,
// a timeout or a Service Bus outage left in the outbox. Message ids come
// from the business key, so a message published twice is dropped by
// duplicate detection.
type OutboxRelay struct {
	Outbox  Relayer
	Pending PendingCounter
	// Batch bounds one run (default 500).
	Batch int
}

// Run implements the timer.
func (o *OutboxRelay) Run(ctx context.Context, _ *azfunc.Timer) error {
	batch := o.Batch
	if batch <= 0 {
		batch = 500
	}
	n, err := o.Outbox.Relay(ctx, batch)
	pending, perr := o.Pending.PendingOutbox(ctx)
	if n > 0 || pending > 0 {
		azfunc.Logger(ctx).Info("outbox relayed", "published", n, "pending", pending)
	}
	return errors.Join(err, perr)
}
