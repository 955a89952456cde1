package platform

import (
	"context"
	"errors"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/store"
)

// OutboxPublisher publishes what the outbox holds.
type OutboxPublisher interface {
	PublishOutbox(ctx context.Context, pub bus.Publisher, ids []int64, limit int) (int, error)
	PendingOutbox(ctx context.Context) (int, error)
}

var _ OutboxPublisher = (*store.Store)(nil)

// OutboxRelay is the outbox-relay timer. Handlers publish their messages
// right after committing them; this publishes what a crash, a timeout or a
// Service Bus outage left in the outbox. Message ids come from the business
// key, so a message published twice is dropped by duplicate detection.
type OutboxRelay struct {
	Outbox    OutboxPublisher
	Publisher bus.Publisher
	// Batch bounds one run (default 500).
	Batch int
}

// Run implements the timer.
func (o *OutboxRelay) Run(ctx context.Context, _ *azfunc.Timer) error {
	if o.Publisher == nil {
		return errors.New("outbox relay: no Service Bus publisher is configured")
	}
	batch := o.Batch
	if batch <= 0 {
		batch = 500
	}
	n, err := o.Outbox.PublishOutbox(ctx, o.Publisher, nil, batch)
	pending, perr := o.Outbox.PendingOutbox(ctx)
	log := azfunc.Logger(ctx)
	if n > 0 || pending > 0 {
		log.Info("outbox relayed", "published", n, "pending", pending)
	}
	return errors.Join(err, perr)
}
