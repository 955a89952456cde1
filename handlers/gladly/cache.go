package gladly

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// StaleFor is how long past its freshness an answer may stand in for one
// OMS could not give in time.
const StaleFor = 15 * time.Minute

// MaxEntries bounds the answers kept (per instance).
const MaxEntries = 20_000

// Cache keeps OMS answers for a short while and shares a read between the
// lookups that want it at once. It is safe for concurrent use.
type Cache struct {
	ttl   time.Duration
	now   func() time.Time
	group singleflight.Group

	mu      sync.Mutex
	entries map[string]cached
}

type cached struct {
	v  any
	at time.Time
}

// NewCache keeps answers fresh for ttl (0: no caching; reads are still
// shared). now may be nil.
func NewCache(ttl time.Duration, now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	return &Cache{ttl: ttl, now: now, entries: map[string]cached{}}
}

// Source says where an answer came from.
type Source int

// Sources.
const (
	FromOMS Source = iota
	FromCache
	// FromStale is an answer older than the cache's freshness, used because
	// OMS failed or was too slow.
	FromStale
)

// Get returns the answer for key: a fresh cached one, or load's. One load
// runs per key at a time, whoever asks; it runs with its own deadline
// (budget), so a lookup that gives up at its own deadline leaves it to
// finish and fill the cache for the next one. When the load fails, or ctx
// ends first, an answer up to StaleFor old stands in.
func (c *Cache) Get(ctx context.Context, key string, budget time.Duration, load func(context.Context) (any, error)) (any, Source, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.v, FromCache, nil
	}
	ch := c.group.DoChan(key, func() (any, error) {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
		defer cancel()
		v, err := load(lctx)
		if err == nil && c.ttl > 0 {
			c.put(key, v)
		}
		return v, err
	})
	var err error
	select {
	case r := <-ch:
		if r.Err == nil {
			return r.Val, FromOMS, nil
		}
		err = r.Err
	case <-ctx.Done():
		err = ctx.Err()
	}
	if ok && c.ttl > 0 && now.Sub(e.at) < c.ttl+StaleFor {
		return e.v, FromStale, nil
	}
	return nil, FromOMS, err
}

func (c *Cache) put(key string, v any) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= MaxEntries {
		for k, e := range c.entries {
			if now.Sub(e.at) >= c.ttl+StaleFor {
				delete(c.entries, k)
			}
		}
		// Still full: drop an eighth, in the map's own (random) order.
		for k := range c.entries {
			if len(c.entries) < MaxEntries*7/8 {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[key] = cached{v: v, at: now}
}

// Len is how many answers are kept.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
