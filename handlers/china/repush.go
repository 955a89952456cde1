package china

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/jackyun"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/store"
)

// TradeGetter is what a repush asks of Jackyun.
type TradeGetter interface {
	GetTrade(ctx context.Context, tradeNo string) (jackyun.RawTrade, error)
}

var _ TradeGetter = (*jackyun.Client)(nil)

// Repusher re-sends one order after a fix (`handler jackyun repush`).
type Repusher struct {
	Store   *store.Store
	Jackyun TradeGetter
	Outbox  Notifier
	Now     func() time.Time
}

// Repushed says what a repush did.
type Repushed struct {
	TradeNo string
	// Generation is the order's new generation (1 for an order the poll never read).
	Generation int
	// OMSOrderID is the OMS order it already has, if any.
	OMSOrderID string
}

// Repush reads the order from Jackyun again (its data after the fix),
// keeps it, and publishes it to jackyun-orders as the order's next
// generation, in one transaction. jackyun-to-oms then creates it in OMS if
// OMS does not have it yet (an order OMS has is left alone: OMS is
// idempotent on source + tradeNo, and the consumer's claim is done), and
// jackyun-to-batchstation sends it to BatchStation again, as a new
// generation: delete it in BatchStation first, which refuses duplicates.
func (r *Repusher) Repush(ctx context.Context, tradeNo string) (Repushed, error) {
	if err := azfunc.CheckField("tradeNo", tradeNo, maxID, true); err != nil {
		return Repushed{}, fault.Malformed(err)
	}
	t, err := r.Jackyun.GetTrade(ctx, tradeNo)
	if err != nil {
		return Repushed{}, fmt.Errorf("reading order %s from Jackyun: %w", tradeNo, err)
	}
	h := readHead(t.Raw)
	res := Repushed{TradeNo: tradeNo}
	var id int64
	m, err := r.store(ctx, t, h, &res, &id)
	if err != nil {
		return Repushed{}, err
	}
	r.Outbox.Notify(id, m)
	return res, nil
}

func (r *Repusher) store(ctx context.Context, t jackyun.RawTrade, h head, res *Repushed, id *int64) (m bus.Message, err error) {
	now := r.Now()
	err = r.Store.InTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO jackyun_orders (trade_no, trade_id, order_no, modified_at, raw) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (trade_no) DO UPDATE
			   SET raw = excluded.raw, trade_id = excluded.trade_id, order_no = excluded.order_no, modified_at = excluded.modified_at,
			       generation = jackyun_orders.generation + 1, repushed_at = now(), last_seen_at = now(),
			       times_seen = jackyun_orders.times_seen + 1
			RETURNING generation, oms_order_id`, t.TradeNo, string(h.TradeID), h.OrderNo, h.GmtModified, []byte(t.Raw)).
			Scan(&res.Generation, &res.OMSOrderID)
		if err != nil {
			return fmt.Errorf("keeping order %s for the repush: %w", t.TradeNo, err)
		}
		if m, err = orderMessage(t.TradeNo, t.Raw, res.Generation, now); err != nil {
			return err
		}
		if *id, err = store.Enqueue(ctx, tx, m); err != nil {
			return err
		}
		return store.RecordJourney(ctx, tx, store.JourneyStep{OrderID: t.TradeNo, State: StateRepushed, System: SystemJackyun,
			Function: "handler jackyun repush", MessageID: m.Key,
			Detail: fmt.Sprintf("read from Jackyun again and published as generation %d", res.Generation)})
	})
	return m, err
}

// RepushCommand is `handler jackyun repush <tradeNo>`. getenv reads the
// settings (the flow's defaults apply); newApp builds the app, whose
// database and outbox it uses. It publishes at once and prints what
// happened; exit 0 when the order was published, 1 when it failed, 2 for
// a usage or configuration error.
func RepushCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer,
	newApp func() (*kit.App, error)) int {
	if len(args) != 2 || args[0] != "repush" {
		fmt.Fprintln(stderr, "usage: handler jackyun repush <tradeNo>")
		return 2
	}
	tradeNo := args[1]
	value := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		for _, s := range Flow.Settings {
			if s.Name == name {
				return s.Default
			}
		}
		return ""
	}
	client, err := jackyun.New(jackyun.Config{URL: value("JACKYUN_URL"), AppKey: value("JACKYUN_APP_KEY"), Secret: value("JACKYUN_APP_SECRET"),
		SignMethod: value("JACKYUN_SIGN_METHOD"), CustomerID: value("JACKYUN_CUSTOMER_ID"), TargetAppKey: value("JACKYUN_TARGET_APP_KEY")})
	if err != nil {
		fmt.Fprintf(stderr, "handler jackyun repush: %v\n", err)
		return 2
	}
	app, err := newApp()
	if err != nil {
		fmt.Fprintf(stderr, "handler jackyun repush: %v\n", err)
		return 2
	}
	defer app.Close()
	if app.Store() == nil {
		fmt.Fprintln(stderr, "handler jackyun repush: DATABASE_URL is not set")
		return 2
	}
	r := &Repusher{Store: app.Store(), Jackyun: client, Outbox: app.Outbox(), Now: time.Now}
	res, err := r.Repush(ctx, tradeNo)
	if err != nil {
		fmt.Fprintf(stderr, "handler jackyun repush: %s\n", app.Logging().Redact(err.Error()))
		if errors.Is(err, jackyun.ErrTradeNotFound) {
			fmt.Fprintln(stderr, "  (only orders in tradeStatus 4112, ready to ship, are repushed)")
		}
		return 1
	}
	if err := app.Outbox().Flush(ctx); err != nil {
		fmt.Fprintf(stderr, "handler jackyun repush: the order is kept and queued, but publishing now failed (the outbox relay sends it): %s\n",
			app.Logging().Redact(err.Error()))
	}
	fmt.Fprintf(stdout, "repushed %s as generation %d to %s\n", res.TradeNo, res.Generation, TopicJackyunOrders)
	if res.OMSOrderID != "" {
		fmt.Fprintf(stdout, "  OMS already has it as %s: jackyun-to-oms leaves it alone\n", res.OMSOrderID)
	} else {
		fmt.Fprintln(stdout, "  jackyun-to-oms creates it in OMS")
	}
	fmt.Fprintln(stdout, "  jackyun-to-batchstation sends it to BatchStation again if it has print lines: delete it in BatchStation first (it refuses duplicates)")
	fmt.Fprintf(stdout, "  follow it: handler trace %s\n", res.TradeNo)
	return 0
}
