package product

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/jackyun"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/printstation"
	"github.com/popsockets/integration/shared/store"
)

// Pushed is what a system did with a revision.
type Pushed struct {
	// Stale is true when the system has a newer revision and kept it.
	Stale bool
	// Detail is a short line for the log and the journey.
	Detail string
}

// Target is one system products are pushed to.
type Target interface {
	// System names it (product_pushes, the log).
	System() string
	// Wants reports whether the system takes the revision, and why not.
	Wants(r Revision) (bool, string)
	// Push sends the revision with an idempotency key.
	Push(ctx context.Context, r Revision, key string) (Pushed, error)
}

// claimLease bounds how long a claimed push may take before another
// delivery may take it over (the clients time out well before).
const claimLease = time.Minute

// Push is product-to-oms, product-to-printstation and product-to-jackyun:
// one Target each.
type Push struct {
	Store  *store.Store
	Target Target
	// LeaseTTL bounds the per-item lease (default 1 minute).
	LeaseTTL time.Duration
}

// errBusy means another delivery is pushing another revision of the item.
var errBusy = errors.New("another revision of this item is being pushed")

// Handle pushes a revision to the system once, and never over a newer one:
// the claim (item and revision) makes a redelivery, or a second copy, do
// nothing; a lease per system and item makes the revisions of one item go
// one at a time, and the newest revision the system has (product_pushes)
// decides, under that lease, whether this one is older and skipped. The
// partner is called outside any transaction, with an idempotency key from
// the item, the revision and the system. A refusal (an unknown SKU, a
// rejected value) is permanent: the message is parked with the reason.
func (h *Push) Handle(ctx context.Context, m *azfunc.Message) error {
	r, err := decodeRevision(ctx, m)
	if err != nil {
		return err
	}
	sys := h.Target.System()
	if ok, why := h.Target.Wants(r); !ok {
		azfunc.Note(ctx, "event", "product not for "+sys, "reason", why, "revision", r.Revision)
		return nil
	}
	inv := azfunc.Info(ctx)
	claim, err := h.Store.Claim(ctx, inv.Function, r.Key(), inv.ID, claimLease)
	if err != nil {
		return err
	}
	lease := "product/" + sys + "/" + r.ItemNumber
	ttl := h.LeaseTTL
	if ttl <= 0 {
		ttl = time.Minute
	}
	got, err := h.Store.AcquireLease(ctx, lease, inv.ID, ttl)
	if err == nil && !got {
		err = fault.Transient(fmt.Errorf("pushing %s to %s: %w", r.Key(), sys, errBusy), 250*time.Millisecond)
	}
	if err != nil {
		return errors.Join(err, claim.Release(ctx, err))
	}
	defer func() { _ = h.Store.ReleaseLease(context.WithoutCancel(ctx), lease, inv.ID) }()

	cur, has, err := newest(ctx, h.Store, sys, r.ItemNumber)
	if err != nil {
		return errors.Join(err, claim.Release(ctx, err))
	}
	if has && !Newer(r.Revision, r.EffectiveAt, cur.revision, cur.at) {
		if err := claim.Record(ctx, nil); err != nil {
			return err
		}
		azfunc.Note(ctx, "event", "older product revision skipped", "system", sys, "revision", r.Revision, "system_has", cur.revision)
		return nil
	}
	res, err := h.Target.Push(ctx, r, claim.IdempotencyKey("product/"+r.Key()+"/"+sys))
	if err != nil {
		return errors.Join(err, release(ctx, claim, err))
	}
	err = claim.Record(ctx, func(tx pgx.Tx) error {
		if res.Stale {
			return nil // the system keeps a newer one; so do we, it will come
		}
		return recordPush(ctx, tx, sys, r)
	})
	if err != nil {
		return err
	}
	azfunc.Note(ctx, "event", "product pushed", "system", sys, "revision", r.Revision, "stale", res.Stale, "detail", res.Detail,
		"attempt", claim.Attempt)
	return nil
}

func decodeRevision(ctx context.Context, m *azfunc.Message) (Revision, error) {
	if err := azfunc.CheckJSONText(m.Body); err != nil {
		return Revision{}, err
	}
	env, err := bus.DecodeEnvelope(m.Body)
	if err != nil {
		return Revision{}, fault.Malformed(err)
	}
	azfunc.SetCorrelationID(ctx, env.RefeID)
	if env.EventType != EventItemRevision {
		return Revision{}, fault.Permanentf("message is a %q, not a %s", azfunc.Clip(env.EventType, 40), EventItemRevision)
	}
	var r Revision
	if err := json.Unmarshal(env.RequestedPayload, &r); err != nil {
		return Revision{}, fault.Malformed(fmt.Errorf("decoding the item revision: %w", err))
	}
	if err := r.Check(); err != nil {
		return Revision{}, err
	}
	if r.ItemNumber != env.RefeID {
		return Revision{}, fault.Malformedf("envelope names item %s but the payload is item %s", azfunc.Clip(env.RefeID, maxID), r.ItemNumber)
	}
	return r, nil
}

type pushed struct {
	revision string
	at       time.Time
}

// newest is the newest revision the system has of the item.
func newest(ctx context.Context, s *store.Store, sys, item string) (pushed, bool, error) {
	var p pushed
	var at *time.Time
	err := s.Pool.QueryRow(ctx, `SELECT revision, effective_at FROM product_pushes WHERE system = $1 AND item_number = $2`, sys, item).Scan(&p.revision, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return pushed{}, false, nil
	}
	if err != nil {
		return pushed{}, false, store.Classify(fmt.Errorf("reading what %s has of %s: %w", sys, item, err))
	}
	if at != nil {
		p.at = at.UTC()
	}
	return p, true, nil
}

func recordPush(ctx context.Context, tx pgx.Tx, sys string, r Revision) error {
	var at *time.Time
	if !r.EffectiveAt.IsZero() {
		at = &r.EffectiveAt
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO product_pushes (system, item_number, revision, effective_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (system, item_number) DO UPDATE
		   SET revision = excluded.revision, effective_at = excluded.effective_at, pushed_at = now()`, sys, r.ItemNumber, r.Revision, at)
	if err != nil {
		return fmt.Errorf("recording %s at %s: %w", r.Key(), sys, err)
	}
	return nil
}

// release gives a claim back after a failed push; after an outright
// refusal (a 4xx: nothing happened) the next attempt carries a new key.
func release(ctx context.Context, c *store.Claim, cause error) error {
	if fault.ClassOf(cause) == fault.ClassPermanent {
		return c.Refuse(ctx, cause)
	}
	return c.Release(ctx, cause)
}

// OMSClient is what the flow asks of OMS.
type OMSClient interface {
	UpsertProduct(ctx context.Context, p oms.Product, key string) (oms.Upserted, error)
}

// PrintStationClient is what the flow asks of PrintStation.
type PrintStationClient interface {
	UpsertProduct(ctx context.Context, p printstation.Product, key string) (printstation.ProductResult, error)
}

// JackyunClient is what the flow asks of Jackyun.
type JackyunClient interface {
	SyncGoods(ctx context.Context, g jackyun.Goods) (jackyun.Synced, error)
}

var (
	_ OMSClient          = (*oms.Client)(nil)
	_ PrintStationClient = (*printstation.Client)(nil)
	_ JackyunClient      = (*jackyun.Client)(nil)
)

// OMSTarget pushes products to OMS.
type OMSTarget struct{ OMS OMSClient }

// System implements Target.
func (OMSTarget) System() string { return SystemOMS }

// Wants implements Target: every item goes to OMS.
func (OMSTarget) Wants(Revision) (bool, string) { return true, "" }

// Push implements Target.
func (t OMSTarget) Push(ctx context.Context, r Revision, key string) (Pushed, error) {
	up, err := t.OMS.UpsertProduct(ctx, OMSProduct(r), key)
	if err != nil {
		return Pushed{}, err
	}
	if up.Stale {
		return Pushed{Stale: true, Detail: "OMS has " + up.CurrentRevision}, nil
	}
	return Pushed{Detail: fmt.Sprintf("changed %t", up.Changed)}, nil
}

// PrintStationTarget pushes printable products to PrintStation.
type PrintStationTarget struct{ PrintStation PrintStationClient }

// System implements Target.
func (PrintStationTarget) System() string { return SystemPrintStation }

// Wants implements Target: only what PrintStation prints.
func (PrintStationTarget) Wants(r Revision) (bool, string) {
	_, ok, why := PrintStationProduct(r)
	return ok, why
}

// Push implements Target.
func (t PrintStationTarget) Push(ctx context.Context, r Revision, key string) (Pushed, error) {
	p, _, _ := PrintStationProduct(r)
	res, err := t.PrintStation.UpsertProduct(ctx, p, key)
	if err != nil {
		return Pushed{}, err
	}
	if res.Stale {
		return Pushed{Stale: true, Detail: "PrintStation has " + res.CurrentRevision}, nil
	}
	return Pushed{Detail: fmt.Sprintf("changed %t", res.Changed)}, nil
}

// JackyunTarget syncs SKUs to the China warehouse through Qimen.
type JackyunTarget struct{ Jackyun JackyunClient }

// System implements Target.
func (JackyunTarget) System() string { return SystemJackyun }

// Wants implements Target: every item goes to the China warehouse.
func (JackyunTarget) Wants(Revision) (bool, string) { return true, "" }

// Push implements Target. Jackyun's sync is an upsert by goodsNo, so a
// repeat changes nothing; it keeps no revisions, so the ordering is this
// flow's (product_pushes, under the item's lease).
func (t JackyunTarget) Push(ctx context.Context, r Revision, _ string) (Pushed, error) {
	s, err := t.Jackyun.SyncGoods(ctx, JackyunGoods(r))
	if err != nil {
		return Pushed{}, err
	}
	return Pushed{Detail: fmt.Sprintf("created %t", s.Created)}, nil
}
