package china

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/jackyun"
	"github.com/popsockets/integration/shared/store"
)

// OrderLister is what the poll asks of Jackyun.
type OrderLister interface {
	ListTrades(ctx context.Context, q jackyun.TradeQuery) (jackyun.TradePage, error)
}

// Notifier hands committed outbox rows to the background publisher.
type Notifier interface {
	Notify(id int64, m bus.Message)
}

// Parker keeps an input this flow will not act on, and alerts people.
type Parker interface {
	Park(ctx context.Context, p azfunc.Parked) (azfunc.ParkResult, error)
}

var _ OrderLister = (*jackyun.Client)(nil)

// PollName names the poll's watermark and lease.
const PollName = "jackyun-order-poll"

// Poll is the jackyun-order-poll timer.
type Poll struct {
	Store   *store.Store
	Jackyun OrderLister
	Outbox  Notifier
	Parker  Parker
	Now     func() time.Time
	Rules   WindowRules
	// PageSize is at most jackyun.MaxPageSize (default).
	PageSize int
	// LeaseTTL is how long the poll's lease lasts without renewal (it is
	// renewed after every page; default 2 minutes).
	LeaseTTL time.Duration
}

// pollCounts are what one run did.
type pollCounts struct {
	windows, pages, orders, fresh, seen, parked int
}

// Run polls once: under the poll's lease (one instance at a time), it asks
// Jackyun for each window since the watermark, page by page with the
// scroll id, keeps each new order and publishes it raw to jackyun-orders
// in the page's transaction, and moves the watermark to a window's end
// only once every order of the window is durable. An order read before
// (the overlap, a repeat on the next page) is counted and left alone. A
// failure stops the run where it is: the watermark stays at the end of the
// last window read whole, so the next run reads the rest again, and
// nothing is lost or published twice.
func (p *Poll) Run(ctx context.Context, _ *azfunc.Timer) error {
	// Each run holds the lease under its own name, even when the platform
	// runs it again within one invocation.
	holder := azfunc.Info(ctx).ID + "/" + randomHolder()
	ttl := p.LeaseTTL
	if ttl <= 0 {
		ttl = 2 * time.Minute
	}
	got, err := p.Store.AcquireLease(ctx, PollName, holder, ttl)
	if err != nil {
		return err
	}
	if !got {
		azfunc.Note(ctx, "event", "jackyun poll skipped: another instance is polling")
		return nil
	}
	defer func() { _ = p.Store.ReleaseLease(context.WithoutCancel(ctx), PollName, holder) }()

	mark, has, err := p.watermark(ctx)
	if err != nil {
		return err
	}
	var c pollCounts
	spans := Windows(mark, has, p.Now(), p.Rules)
	defer func() {
		azfunc.Note(ctx, "event", "jackyun orders polled", "windows", c.windows, "pages", c.pages, "orders", c.orders,
			"new", c.fresh, "seen_before", c.seen, "parked", c.parked)
	}()
	if len(spans) == 0 {
		azfunc.Note(ctx, "watermark_ahead_of_clock", has)
		return nil
	}
	for _, s := range spans {
		if err := p.readSpan(ctx, s, holder, ttl, &c); err != nil {
			from, to := s.China()
			return fmt.Errorf("polling Jackyun orders modified %s to %s (China time): %w", from, to, err)
		}
		// Every order of the window is durable: the watermark may pass it.
		if err := store.SetWatermark(ctx, p.Store.Pool, PollName, s.To.UTC().Format(time.RFC3339Nano)); err != nil {
			return err
		}
		c.windows++
		azfunc.Note(ctx, "watermark", s.To.UTC().Format(time.RFC3339))
	}
	return nil
}

func (p *Poll) watermark(ctx context.Context) (time.Time, bool, error) {
	v, has, err := store.GetWatermark(ctx, p.Store.Pool, PollName)
	if err != nil || !has {
		return time.Time{}, false, err
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("watermark %s holds %q, not an RFC 3339 time: fix or delete the row", PollName, v)
	}
	return t, true, nil
}

// errNoScroll means Jackyun sent a full page and no way to the next one.
var errNoScroll = errors.New("a full page came from Jackyun without a scrollId: the rest of the window cannot be read")

// readSpan reads every page of one window and makes each page durable.
func (p *Poll) readSpan(ctx context.Context, s Span, holder string, ttl time.Duration, c *pollCounts) error {
	size := p.PageSize
	if size <= 0 || size > jackyun.MaxPageSize {
		size = jackyun.MaxPageSize
	}
	scroll := ""
	for {
		page, err := p.Jackyun.ListTrades(ctx, jackyun.TradeQuery{From: s.From, To: s.To, PageSize: size, ScrollID: scroll})
		if err != nil {
			return err
		}
		c.pages++
		r, err := p.keep(ctx, page.Trades)
		if err != nil {
			return err
		}
		c.orders += len(page.Trades)
		c.fresh += r.fresh
		c.seen += r.seen
		c.parked += r.parked
		if err := p.Store.RenewLease(ctx, PollName, holder, ttl); err != nil {
			return err
		}
		if len(page.Trades) < size {
			return nil
		}
		if page.ScrollID == "" {
			return errNoScroll
		}
		scroll = page.ScrollID
	}
}

func randomHolder() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "poll-" + hex.EncodeToString(b)
}
