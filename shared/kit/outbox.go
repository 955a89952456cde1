package kit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/store"
)

// Outbox publishes what handlers wrote to the outbox table. A handler
// enqueues its messages in the transaction of the effect that caused them
// (store.Enqueue), commits, calls Notify with the row ids and answers: the
// publisher sends them in the background, so no request waits for Service
// Bus. The outbox-relay timer calls Relay for whatever a crash or an outage
// left behind. Rows are claimed before they are sent, so the two never send
// one row at once; a crash between sending and marking sends it again with
// the same MessageId, which Service Bus duplicate detection drops.
type Outbox struct {
	app    *App
	notify chan int64
	policy store.OutboxPolicy
}

// batchSize bounds one claim; parallel bounds concurrent sends.
const (
	batchSize = 256
	parallel  = 8
)

// Notify hands committed outbox rows to the background publisher. It never
// blocks: when the queue is full the rows wait for the relay.
func (o *Outbox) Notify(ids ...int64) {
	for _, id := range ids {
		if id == 0 {
			continue
		}
		select {
		case o.notify <- id:
		default:
			return
		}
	}
}

func (o *Outbox) run(ctx context.Context) {
	ctx = azfunc.WithLogger(ctx, o.app.log.With("function", "outbox-publisher"))
	for {
		var first int64
		select {
		case <-ctx.Done():
			o.drain(context.WithoutCancel(ctx))
			return
		case first = <-o.notify:
		}
		ids := []int64{first}
	collect:
		for len(ids) < batchSize {
			select {
			case id := <-o.notify:
				ids = append(ids, id)
			default:
				break collect
			}
		}
		if _, err := o.publish(ctx, ids, len(ids)); err != nil {
			azfunc.Logger(ctx).Warn("publishing after commit failed; the outbox relay retries", "error", err, "messages", len(ids))
		}
	}
}

// drain publishes what is queued at shutdown, within a few seconds.
func (o *Outbox) drain(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var ids []int64
	for {
		select {
		case id := <-o.notify:
			ids = append(ids, id)
			continue
		default:
		}
		break
	}
	if len(ids) > 0 {
		if _, err := o.publish(ctx, ids, len(ids)); err != nil {
			o.app.log.Warn("publishing at shutdown failed; the outbox relay retries", "error", err)
		}
	}
}

// Relay publishes every due message, up to limit (the outbox-relay timer).
func (o *Outbox) Relay(ctx context.Context, limit int) (published int, err error) {
	return o.publish(ctx, nil, limit)
}

// Flush publishes every due message now (commands and tests).
func (o *Outbox) Flush(ctx context.Context) error {
	for {
		n, err := o.publish(ctx, nil, batchSize)
		if err != nil || n == 0 {
			return err
		}
	}
}

// publish claims rows (ids, or any due ones when ids is nil), sends them
// a few at a time, marks what went out and backs off or parks the rest.
func (o *Outbox) publish(ctx context.Context, ids []int64, limit int) (int, error) {
	s, pub := o.app.store, o.app.publisher
	if s == nil || pub == nil {
		return 0, fmt.Errorf("outbox: cannot publish: %w", errors.Join(o.app.storeErr, o.app.pubErr, errNoStore(s)))
	}
	if ids == nil {
		ids = []int64{}
	}
	rows, err := s.ClaimOutbox(ctx, ids, limit, 30*time.Second)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	type result struct {
		row store.OutboxRow
		err error
	}
	results := make([]result, len(rows))
	var wg sync.WaitGroup
	sem := make(chan struct{}, parallel)
	for i, r := range rows {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = result{row: r, err: pub.Publish(ctx, r.Message)}
		}()
	}
	wg.Wait()
	var done []int64
	var errs []error
	parked := false
	for _, res := range results {
		if res.err == nil {
			done = append(done, res.row.ID)
			continue
		}
		errs = append(errs, fmt.Errorf("outbox message %d (%s): %w", res.row.ID, res.row.Message.Key, res.err))
		p, _, ferr := s.FailOutbox(ctx, res.row, res.err, o.policy)
		if ferr != nil {
			errs = append(errs, ferr)
		}
		parked = parked || p
	}
	if parked {
		o.app.alerts.Kick()
	}
	if err := s.MarkPublished(ctx, done); err != nil {
		return 0, errors.Join(append(errs, err)...)
	}
	return len(done), errors.Join(errs...)
}

func errNoStore(s *store.Store) error {
	if s == nil {
		return errors.New("DATABASE_URL is not set")
	}
	return nil
}
