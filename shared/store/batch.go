package store

import (
	"context"
	"fmt"
	"time"
)

// Batcher records the items of concurrent callers together: one statement
// and one commit for as many as are waiting (group commit, done by the
// application). Each caller gets its own result only after the commit that
// holds its item, so a caller answered "stored" is stored; synchronous
// commit is untouched. Under low load a batch is one item and costs no
// wait; under load, while one batch runs, the next one gathers.
//
// If a batch fails, its items are run one by one, so one bad item fails
// alone and never its neighbours.
type Batcher[In, Out any] struct {
	run   func(ctx context.Context, items []In) ([]Out, error)
	keys  func(In) []string
	queue chan *batchItem[In, Out]
	stop  chan struct{}
	max   int
}

type batchItem[In, Out any] struct {
	in   In
	out  Out
	err  error
	done chan struct{}
}

// BatchConfig configures a Batcher.
type BatchConfig struct {
	// Workers is how many batches may run at once (default 4).
	Workers int
	// Max bounds a batch (default 64).
	Max int
	// Timeout bounds one batch (default 10 s).
	Timeout time.Duration
}

// NewBatcher starts workers that call run with the waiting items. run must
// return one result per item, in order. keys name an item's conflict
// domains: two items sharing a key never share a batch (a statement may
// not upsert one row twice, and each item must see the others' effects).
func NewBatcher[In, Out any](cfg BatchConfig, keys func(In) []string, run func(ctx context.Context, items []In) ([]Out, error)) *Batcher[In, Out] {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Max <= 0 {
		cfg.Max = 64
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	b := &Batcher[In, Out]{run: run, keys: keys, queue: make(chan *batchItem[In, Out], 4096), stop: make(chan struct{}), max: cfg.Max}
	for range cfg.Workers {
		go b.work(cfg.Timeout)
	}
	return b
}

// Do records in with whatever else is waiting, and returns its result.
// When ctx ends first, Do returns ctx's error; the item may still be
// recorded (the caller's retry then finds it), never half.
func (b *Batcher[In, Out]) Do(ctx context.Context, in In) (Out, error) {
	it := &batchItem[In, Out]{in: in, done: make(chan struct{})}
	var zero Out
	select {
	case b.queue <- it:
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	select {
	case <-it.done:
		return it.out, it.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// Close stops the workers once they are idle; Do must not be called after.
func (b *Batcher[In, Out]) Close() { close(b.stop) }

func (b *Batcher[In, Out]) work(timeout time.Duration) {
	var held []*batchItem[In, Out] // items that waited for a key already in the batch
	for {
		batch := held
		held = nil
		if len(batch) == 0 {
			select {
			case it := <-b.queue:
				batch = append(batch, it)
			case <-b.stop:
				return
			}
		}
		taken := make(map[string]bool, 2*b.max)
		var in []*batchItem[In, Out]
		admit := func(it *batchItem[In, Out]) {
			ks := b.keys(it.in)
			for _, k := range ks {
				if taken[k] {
					held = append(held, it)
					return
				}
			}
			for _, k := range ks {
				taken[k] = true
			}
			in = append(in, it)
		}
		for _, it := range batch {
			admit(it)
		}
	gather:
		for len(in) < b.max {
			select {
			case it := <-b.queue:
				admit(it)
			default:
				break gather
			}
		}
		b.runBatch(in, timeout)
	}
}

func (b *Batcher[In, Out]) runBatch(items []*batchItem[In, Out], timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ins := make([]In, len(items))
	for i, it := range items {
		ins[i] = it.in
	}
	outs, err := b.run(ctx, ins)
	if err == nil && len(outs) != len(items) {
		err = fmt.Errorf("batch of %d gave %d results", len(items), len(outs))
	}
	if err != nil && len(items) > 1 {
		// One bad item must not fail the others: each on its own.
		for _, it := range items {
			one, err := b.run(ctx, []In{it.in})
			if err == nil && len(one) != 1 {
				err = fmt.Errorf("batch of 1 gave %d results", len(one))
			}
			if err == nil {
				it.out = one[0]
			}
			it.err = err
			close(it.done)
		}
		return
	}
	for i, it := range items {
		if err != nil {
			it.err = err
		} else {
			it.out = outs[i]
		}
		close(it.done)
	}
}
