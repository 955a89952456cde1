package product

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/arena"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/store"
)

// Arena is what the poll asks of Arena.
type Arena interface {
	Events(ctx context.Context, integration string, p arena.Page) ([]arena.Event, bool, error)
	EventItems(ctx context.Context, integration, event string, p arena.Page) ([]arena.EventItem, bool, error)
	Reconcile(ctx context.Context, integration, event string) error
	Item(ctx context.Context, guid string) (arena.Item, json.RawMessage, error)
	BOM(ctx context.Context, guid string) ([]arena.BOMLine, json.RawMessage, error)
	ItemsEffectiveSince(ctx context.Context, since time.Time, p arena.Page) ([]arena.Item, bool, error)
}

var _ Arena = (*arena.Client)(nil)

// Notifier hands committed outbox rows to the background publisher.
type Notifier interface {
	Notify(id int64, m bus.Message)
}

// Parker keeps an input this flow will not act on, and alerts people.
type Parker interface {
	Park(ctx context.Context, p azfunc.Parked) (azfunc.ParkResult, error)
}

// PollName names the poll's lease and watermark.
const PollName = "arena-item-poll"

// maxEventPages bounds one run's event pages (of 400).
const maxEventPages = 50

// Poll is the arena-item-poll timer.
type Poll struct {
	Store  *store.Store
	Arena  Arena
	Outbox Notifier
	Parker Parker
	Now    func() time.Time
	// Integration is the outbound integration's GUID; empty reads items
	// made effective since the watermark instead of events.
	Integration string
	// Overlap is how far before the watermark a run reads again (items
	// mode; default 10 minutes). FirstLookback is how far back the first
	// run reads (default 24 hours).
	Overlap, FirstLookback time.Duration
	// LeaseTTL bounds a run without renewal (default 2 minutes).
	LeaseTTL time.Duration
}

type pollCounts struct{ events, items, published, known, parked int }

// Run reads what changed in Arena and publishes one products message per
// item revision (item, attributes, BOM), each in its own transaction with
// a record of the revision, so a revision is published once whatever the
// runs and instances. With an outbound integration it reads the
// unreconciled events and reconciles each only after its revisions are
// durable; without one it reads items made effective since the watermark
// and moves the watermark only after every one is durable. One instance
// polls at a time (lease). When Arena's quota runs out the run stops
// cleanly where it is (success, noted) and the next run resumes: nothing
// was reconciled or moved past what is durable.
func (p *Poll) Run(ctx context.Context, _ *azfunc.Timer) error {
	// Each run holds the lease under its own name, even when the platform
	// runs it again within one invocation.
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	holder := azfunc.Info(ctx).ID + "/" + hex.EncodeToString(b)
	ttl := p.LeaseTTL
	if ttl <= 0 {
		ttl = 2 * time.Minute
	}
	got, err := p.Store.AcquireLease(ctx, PollName, holder, ttl)
	if err != nil {
		return err
	}
	if !got {
		azfunc.Note(ctx, "event", "arena poll skipped: another instance is polling")
		return nil
	}
	defer func() { _ = p.Store.ReleaseLease(context.WithoutCancel(ctx), PollName, holder) }()
	renew := func() error { return p.Store.RenewLease(ctx, PollName, holder, ttl) }
	var c pollCounts
	if p.Integration != "" {
		err = p.events(ctx, renew, &c)
	} else {
		err = p.since(ctx, renew, &c)
	}
	azfunc.Note(ctx, "event", "arena items polled", "mode", p.mode(), "events", c.events, "items", c.items, "published", c.published,
		"already_published", c.known, "parked", c.parked)
	var qe *arena.QuotaError
	if errors.As(err, &qe) {
		azfunc.Note(ctx, "stopped", "arena quota exhausted: this run stops here and the next one resumes", "quota_resets_at", qe.ResetAt)
		return nil
	}
	return err
}

func (p *Poll) mode() string {
	if p.Integration != "" {
		return "events"
	}
	return "effective-since"
}

// events reads unreconciled events from the start each time: a reconciled
// event leaves the list, so the next page is the first again.
func (p *Poll) events(ctx context.Context, renew func() error, c *pollCounts) error {
	for range maxEventPages {
		events, last, err := p.Arena.Events(ctx, p.Integration, arena.Page{})
		if err != nil {
			return err
		}
		for _, e := range events {
			if err := p.event(ctx, e, c); err != nil {
				return fmt.Errorf("Arena event %s: %w", e.GUID, err)
			}
			if err := renew(); err != nil {
				return err
			}
		}
		if last {
			return nil
		}
	}
	return nil // the rest next run
}

func (p *Poll) event(ctx context.Context, e arena.Event, c *pollCounts) error {
	c.events++
	for off := 0; ; off += arena.MaxPageLimit {
		items, last, err := p.Arena.EventItems(ctx, p.Integration, e.GUID, arena.Page{Offset: off})
		if err != nil {
			return err
		}
		for _, it := range items {
			if it.Effective == nil || it.Effective.GUID == "" {
				continue // an item the event retired: nothing to publish
			}
			c.items++
			if err := p.revision(ctx, it.Effective.GUID, "", it.Effective.Number, it.Effective.RevisionNumber, c); err != nil {
				return err
			}
		}
		if last {
			break
		}
	}
	// Every revision of the event is durable: it may be reconciled.
	return p.Arena.Reconcile(ctx, p.Integration, e.GUID)
}

// since reads items made effective since the watermark less the overlap.
func (p *Poll) since(ctx context.Context, renew func() error, c *pollCounts) error {
	started := p.Now().UTC()
	from := started.Add(-p.firstLookback())
	if v, ok, err := store.GetWatermark(ctx, p.Store.Pool, PollName); err != nil {
		return err
	} else if ok {
		wm, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return fmt.Errorf("watermark %s holds %q, not an RFC 3339 time: fix or delete the row", PollName, v)
		}
		from = wm.Add(-p.overlap())
	}
	for off := 0; ; off += arena.MaxPageLimit {
		items, last, err := p.Arena.ItemsEffectiveSince(ctx, from, arena.Page{Offset: off})
		if err != nil {
			return err
		}
		for _, it := range items {
			c.items++
			if err := p.revision(ctx, it.GUID, it.GUID, it.Number, it.RevisionNumber, c); err != nil {
				return err
			}
		}
		if err := renew(); err != nil {
			return err
		}
		if last {
			break
		}
	}
	return store.SetWatermark(ctx, p.Store.Pool, PollName, started.Format(time.RFC3339Nano))
}

func (p *Poll) overlap() time.Duration {
	if p.Overlap > 0 {
		return p.Overlap
	}
	return 10 * time.Minute
}

func (p *Poll) firstLookback() time.Duration {
	if p.FirstLookback > 0 {
		return p.FirstLookback
	}
	return 24 * time.Hour
}

// revision publishes one item revision unless it was published before
// (then Arena is not even asked for it: the quota is precious).
func (p *Poll) revision(ctx context.Context, guid, itemGUID, number, rev string, c *pollCounts) error {
	if number != "" && rev != "" {
		var n int
		if err := p.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM product_revisions WHERE item_number = $1 AND revision = $2`,
			number, rev).Scan(&n); err != nil {
			return store.Classify(fmt.Errorf("reading published revisions: %w", err))
		}
		if n > 0 {
			c.known++
			return nil
		}
	}
	it, raw, err := p.Arena.Item(ctx, guid)
	var bom []arena.BOMLine
	if err == nil {
		bom, _, err = p.Arena.BOM(ctx, guid)
	}
	switch {
	case err != nil:
		// Arena down, the quota, refused credentials (all transient) end
		// the run: the next one reads the revision again. Arena refusing
		// this revision itself (a 404, a 4xx: permanent) must not hold back
		// every later event: it is parked below and the run goes on.
		if class := fault.ClassOf(err); class != fault.ClassPermanent && class != fault.ClassMalformed {
			return err
		}
	default:
		r, ferr := FromArena(it, itemGUID, bom)
		if ferr == nil {
			return p.publish(ctx, r, c)
		}
		err = ferr // an item this flow cannot key or send
	}
	// Kept as Arena sent it (what was read of it), and people are told;
	// the event is reconciled: the item comes back with its next revision.
	if raw == nil {
		raw = json.RawMessage(`{}`)
	}
	correlation := it.Number
	if correlation == "" {
		correlation = number
	}
	inv := azfunc.Info(ctx)
	res, perr := p.Parker.Park(ctx, azfunc.Parked{Function: inv.Function, Trigger: azfunc.KindTimer, Binding: "timer",
		MessageID: "arena/" + guid, CorrelationID: correlation, InvocationID: inv.ID, DeliveryCount: 1, Payload: raw,
		Reason: fmt.Sprintf("Arena item revision %s not published: %v; fix it in Arena (a new revision is read again)", guid, err)})
	if perr != nil {
		return fmt.Errorf("keeping Arena item %s that cannot be published: %w", guid, perr)
	}
	if res.First {
		c.parked++
	}
	return nil
}

// publish records a revision and queues its products message, once.
func (p *Poll) publish(ctx context.Context, r Revision, c *pollCounts) error {
	msg, err := revisionMessage(r, p.Now())
	if err != nil {
		return err
	}
	var id int64
	err = p.Store.InTx(ctx, func(tx pgx.Tx) error {
		var eff *time.Time
		if !r.EffectiveAt.IsZero() {
			eff = &r.EffectiveAt
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO product_revisions (item_number, revision, item_guid, effective_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT DO NOTHING`, r.ItemNumber, r.Revision, r.ItemGUID, eff)
		if err != nil {
			return fmt.Errorf("recording revision %s: %w", r.Key(), err)
		}
		if tag.RowsAffected() == 0 {
			return nil // another run got there first
		}
		id, err = store.Enqueue(ctx, tx, msg)
		return err
	})
	if err != nil {
		return err
	}
	if id == 0 {
		c.known++
		return nil
	}
	p.Outbox.Notify(id, msg)
	c.published++
	return nil
}

// revisionMessage is one products message, keyed by item and revision.
func revisionMessage(r Revision, now time.Time) (bus.Message, error) {
	env, err := bus.Request("", EventItemRevision, bus.ObjectProduct, r.ItemNumber, r, now)
	if err != nil {
		return bus.Message{}, err
	}
	return bus.Message{Topic: TopicProducts, Key: r.ItemNumber + "/products/" + r.Revision, Envelope: env,
		Properties: map[string]string{"source": "arena"}}, nil
}
