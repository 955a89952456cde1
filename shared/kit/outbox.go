package kit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/store"
)

// Outbox publishes what handlers wrote to the outbox table. A handler
// enqueues its messages in the transaction of the effect that caused them
// (store.Enqueue), commits, hands the committed rows to Notify and answers:
// the publisher sends them in the background, in batches, and removes them,
// so no request waits for Service Bus. The outbox-relay timer calls Relay
// for whatever the publisher left behind (a crash, an outage): rows older
// than a grace period or that failed, claimed first so two relays never
// send one row at once. A crash between sending and removing sends a row
// again with the same MessageId, which Service Bus duplicate detection drops.
type Outbox struct {
	app    *App
	notify chan store.OutboxRow
	policy store.OutboxPolicy
}

// batchSize bounds one batch.
const batchSize = 256

// Notify hands committed outbox rows, with the messages they hold, to the
// background publisher. It never blocks: when the queue is full the rows
// wait for the relay.
func (o *Outbox) Notify(id int64, m bus.Message) {
	if id == 0 {
		return
	}
	select {
	case o.notify <- store.OutboxRow{ID: id, Message: m}:
	default:
	}
}

func (o *Outbox) run(ctx context.Context) {
	ctx = azfunc.WithLogger(ctx, o.app.log.With("function", "outbox-publisher"))
	for {
		var first store.OutboxRow
		select {
		case <-ctx.Done():
			o.drain(context.WithoutCancel(ctx))
			return
		case first = <-o.notify:
		}
		rows := o.collect(first)
		if _, err := o.send(ctx, rows); err != nil {
			azfunc.Logger(ctx).Warn("publishing after commit failed; the outbox relay retries", "error", err, "messages", len(rows))
		}
	}
}

// collect takes what else is queued, up to a batch.
func (o *Outbox) collect(first store.OutboxRow) []store.OutboxRow {
	rows := []store.OutboxRow{first}
	for len(rows) < batchSize {
		select {
		case r := <-o.notify:
			rows = append(rows, r)
		default:
			return rows
		}
	}
	return rows
}

// drain publishes what is queued at shutdown, within a few seconds.
func (o *Outbox) drain(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for {
		select {
		case r := <-o.notify:
			if _, err := o.send(ctx, o.collect(r)); err != nil {
				azfunc.Logger(ctx).Warn("publishing at shutdown failed; the outbox relay retries", "error", err)
			}
		default:
			return
		}
	}
}

func (o *Outbox) parts() (*store.Store, bus.Publisher, error) {
	s, pub := o.app.store, o.app.publisher
	if s == nil || pub == nil {
		return nil, nil, fmt.Errorf("outbox: cannot publish: %w", errors.Join(o.app.storeErr, o.app.pubErr, errNoStore(s)))
	}
	return s, pub, nil
}

func (o *Outbox) send(ctx context.Context, rows []store.OutboxRow) (int, error) {
	s, pub, err := o.parts()
	if err != nil {
		return 0, err
	}
	n, parked, err := s.SendOutbox(ctx, pub, rows, o.policy)
	if len(parked) > 0 {
		o.app.alerts.Kick()
	}
	return n, err
}

// Relay publishes what the in-process publisher left behind, up to limit
// (the outbox-relay timer).
func (o *Outbox) Relay(ctx context.Context, limit int) (int, error) {
	s, pub, err := o.parts()
	if err != nil {
		return 0, err
	}
	n, parked, err := s.PublishOutbox(ctx, pub, nil, limit, o.policy)
	if len(parked) > 0 {
		o.app.alerts.Kick()
	}
	return n, err
}

// Flush publishes every due message now, fresh ones included (commands
// and tests).
func (o *Outbox) Flush(ctx context.Context) error {
	s, pub, err := o.parts()
	if err != nil {
		return err
	}
	now := o.policy
	now.Grace = time.Nanosecond
	for {
		n, parked, err := s.PublishOutbox(ctx, pub, nil, batchSize, now)
		if len(parked) > 0 {
			o.app.alerts.Kick()
		}
		if err != nil || n == 0 {
			return err
		}
	}
}

func errNoStore(s *store.Store) error {
	if s == nil {
		return errors.New("DATABASE_URL is not set")
	}
	return nil
}
