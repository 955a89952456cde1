package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/cirro"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/staging"
	"github.com/popsockets/integration/shared/store"
)

// Cirro is what the exports ask of Cirro.
type Cirro interface {
	InventoryHistory(ctx context.Context, q cirro.InventoryQuery) (cirro.InventoryPage, error)
}

var _ Cirro = (*cirro.Client)(nil)

// Watermarks of the exports (table watermarks).
const (
	WatermarkInventory = "inventory-export"
	WatermarkOrders    = "order-export"
)

// exportLease bounds how long one export may run before another delivery
// may take it over (the function's own timeout is shorter).
const exportLease = 15 * time.Minute

// InventoryExport streams Cirro inventory history to Blob staging: for the
// export requests of inventory-history (Handle) and for the daily run
// (Daily).
type InventoryExport struct {
	Store     *store.Store
	Cirro     Cirro
	Blobs     blob.Store
	PageSize  int
	PartBytes int
	// MaxDays bounds one daily run; the next run goes on from its watermark.
	MaxDays int
	// FirstDay is the first day the daily run exports when it has no
	// watermark (zero: yesterday).
	FirstDay time.Time
	Now      func() time.Time
}

// Handle runs one export request. A request already done is not run again;
// one whose export failed for good is marked failed (Snowflake's poll
// answers it) and parked.
func (x *InventoryExport) Handle(ctx context.Context, m *azfunc.Message) error {
	req, err := decodeExport(m.Body)
	if err != nil {
		return err
	}
	azfunc.SetCorrelationID(ctx, req.RequestID)
	var state string
	var created time.Time
	err = x.Store.Pool.QueryRow(ctx, `SELECT state, created_at FROM export_requests WHERE request_id = $1`, req.RequestID).
		Scan(&state, &created)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fault.Permanentf("export request %s is not recorded", req.RequestID)
	case err != nil:
		return store.Classify(fmt.Errorf("reading export request %s: %w", req.RequestID, err))
	case state == StateDone:
		azfunc.Note(ctx, "event", "export already done")
		return nil
	}
	claim, err := x.Store.Claim(ctx, FnInventoryExport, fmt.Sprintf("%s/%d", req.RequestID, req.Attempt), azfunc.Info(ctx).ID, exportLease)
	if err != nil {
		if fault.ClassOf(err) == fault.ClassDuplicate {
			return nil
		}
		return err
	}
	if _, err := x.Store.Pool.Exec(ctx, `UPDATE export_requests SET state = 'running', updated_at = now() WHERE request_id = $1 AND state = 'queued'`,
		req.RequestID); err != nil {
		_ = claim.Release(context.WithoutCancel(ctx), err)
		return store.Classify(fmt.Errorf("starting export %s: %w", req.RequestID, err))
	}
	// The parts are named by the day the request was made, which its
	// answer to Snowflake gave as the prefix.
	names, rows, err := x.export(ctx, cirro.InventoryQuery{WarehouseCode: req.Warehouse, StartDate: req.From, EndDate: req.To}, created, req.RequestID)
	if err != nil {
		rctx := context.WithoutCancel(ctx)
		if c := fault.ClassOf(err); c == fault.ClassPermanent || c == fault.ClassMalformed {
			why := store.Text(err.Error(), 500)
			if rerr := claim.Record(rctx, func(tx pgx.Tx) error {
				_, xerr := tx.Exec(rctx, `UPDATE export_requests SET state = 'failed', error = $2, updated_at = now() WHERE request_id = $1`,
					req.RequestID, why)
				return xerr
			}); rerr != nil {
				return rerr
			}
			return err
		}
		_ = claim.Release(rctx, err)
		return err
	}
	azfunc.Note(ctx, "rows", rows, "parts", len(names))
	return claim.Record(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE export_requests SET state = 'done', parts = $2, rows = $3, error = '', updated_at = now() WHERE request_id = $1`,
			req.RequestID, len(names), rows)
		if err != nil {
			return fmt.Errorf("recording export %s: %w", req.RequestID, err)
		}
		return nil
	})
}

// Daily exports the days after the watermark up to yesterday (UTC), at
// most MaxDays of them, and then moves the watermark to the last day.
func (x *InventoryExport) Daily(ctx context.Context, _ *azfunc.Timer) error {
	now := x.Now().UTC()
	yesterday := now.Truncate(24*time.Hour).AddDate(0, 0, -1)
	from := yesterday
	if !x.FirstDay.IsZero() {
		from = x.FirstDay
	}
	mark, ok, err := store.GetWatermark(ctx, x.Store.Pool, WatermarkInventory)
	if err != nil {
		return store.Classify(err)
	}
	if ok {
		last, err := time.Parse(time.DateOnly, mark)
		if err != nil {
			return fault.Permanentf("watermark %s is %q, not YYYY-MM-DD", WatermarkInventory, mark)
		}
		from = last.AddDate(0, 0, 1)
	}
	if from.After(yesterday) {
		azfunc.Note(ctx, "event", "nothing to export", "watermark", mark)
		return nil
	}
	to := yesterday
	if x.MaxDays > 0 && int(to.Sub(from)/(24*time.Hour)) >= x.MaxDays {
		to = from.AddDate(0, 0, x.MaxDays-1)
	}
	run := "daily-" + from.Format("20060102") + "-" + to.Format("20060102")
	names, rows, err := x.export(ctx, cirro.InventoryQuery{StartDate: from.Format(time.DateOnly), EndDate: to.Format(time.DateOnly)}, now, run)
	if err != nil {
		return err
	}
	// Every part is committed: only now does the watermark move.
	if err := store.SetWatermark(ctx, x.Store.Pool, WatermarkInventory, to.Format(time.DateOnly)); err != nil {
		return store.Classify(err)
	}
	azfunc.Note(ctx, "rows", rows, "parts", len(names), "watermark", to.Format(time.DateOnly))
	return nil
}

// export pages Cirro for q and writes the run's parts.
func (x *InventoryExport) export(ctx context.Context, q cirro.InventoryQuery, day time.Time, run string) ([]string, int64, error) {
	q.PageSize = x.PageSize
	if q.PageSize <= 0 || q.PageSize > cirro.MaxInventoryPageSize {
		q.PageSize = cirro.MaxInventoryPageSize
	}
	parts := &Parts{Blobs: x.Blobs, Dataset: staging.Inventory, Day: day, Run: run, MaxBytes: x.PartBytes}
	for q.Page = 1; ; q.Page++ {
		page, err := x.Cirro.InventoryHistory(ctx, q)
		if err != nil {
			return nil, 0, err
		}
		for _, s := range page.Items {
			row, err := inventoryRow(s)
			if err != nil {
				return nil, 0, fault.Permanent(fmt.Errorf("cirro inventory history page %d: %w", q.Page, err))
			}
			if err := parts.Add(ctx, row); err != nil {
				return nil, 0, err
			}
		}
		if page.Last() {
			break
		}
	}
	names, err := parts.Close(ctx)
	return names, parts.Rows(), err
}

func inventoryRow(s cirro.InventorySnapshot) (staging.InventoryRow, error) {
	if s.WarehouseCode == "" || s.SKU == "" {
		return staging.InventoryRow{}, errors.New("a snapshot has no warehouse_code or sku")
	}
	if _, err := time.Parse(time.DateOnly, s.Date); err != nil {
		return staging.InventoryRow{}, fmt.Errorf("snapshot %s/%s: date %q is not YYYY-MM-DD", s.WarehouseCode, s.SKU, s.Date)
	}
	at, err := time.Parse(time.RFC3339, s.UpdatedAt)
	if err != nil {
		return staging.InventoryRow{}, fmt.Errorf("snapshot %s/%s: updated_at %q is not RFC 3339", s.WarehouseCode, s.SKU, s.UpdatedAt)
	}
	return staging.InventoryRow{Warehouse: s.WarehouseCode, SKU: s.SKU, AsOf: s.Date, OnHand: s.OnHand, Available: s.Available,
		Allocated: s.Allocated, UpdatedAt: at.UTC()}, nil
}

// OrderExport streams the orders changed since its watermark from
// PostgreSQL to Blob staging.
type OrderExport struct {
	Store     *store.Store
	Blobs     blob.Store
	PartBytes int
	// Lag keeps the newest changes for the next run: a transaction that
	// stamped updated_at before the read may commit after it.
	Lag time.Duration
	Now func() time.Time
}

// Run exports one window: after the watermark (updated_at, then order_id)
// up to now minus Lag, oldest first, and then moves the watermark to the
// last row exported.
func (x *OrderExport) Run(ctx context.Context, _ *azfunc.Timer) error {
	now := x.Now().UTC()
	mark, _, err := store.GetWatermark(ctx, x.Store.Pool, WatermarkOrders)
	if err != nil {
		return store.Classify(err)
	}
	since, after, err := parseOrderMark(mark)
	if err != nil {
		return fault.Permanent(err)
	}
	sum := sha256.Sum256([]byte(mark))
	run := "since-" + hex.EncodeToString(sum[:])[:16]
	parts := &Parts{Blobs: x.Blobs, Dataset: staging.Orders, Day: now, Run: run, MaxBytes: x.PartBytes}
	rows, err := x.Store.Pool.Query(ctx, `
		SELECT order_id, order_number, source, channel, tpl, state, tpl_order_no, created_at, updated_at
		  FROM orders
		 WHERE (updated_at, order_id) > ($1, $2) AND updated_at <= $3
		 ORDER BY updated_at, order_id`, since, after, now.Add(-x.Lag))
	if err != nil {
		return store.Classify(fmt.Errorf("reading changed orders: %w", err))
	}
	var last staging.OrderRow
	var r staging.OrderRow
	for rows.Next() {
		if err := rows.Scan(&r.OrderID, &r.OrderNumber, &r.Source, &r.Channel, &r.TPL, &r.State, &r.TPLOrderNo, &r.CreatedAt, &r.UpdatedAt); err != nil {
			rows.Close()
			return store.Classify(fmt.Errorf("reading changed orders: %w", err))
		}
		r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
		if err := parts.Add(ctx, r); err != nil {
			rows.Close()
			return err
		}
		last = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return store.Classify(fmt.Errorf("reading changed orders: %w", err))
	}
	names, err := parts.Close(ctx)
	if err != nil {
		return err
	}
	if parts.Rows() == 0 {
		azfunc.Note(ctx, "event", "nothing to export", "watermark", mark)
		return nil
	}
	next := last.UpdatedAt.Format(time.RFC3339Nano) + "|" + last.OrderID
	if err := store.SetWatermark(ctx, x.Store.Pool, WatermarkOrders, next); err != nil {
		return store.Classify(err)
	}
	azfunc.Note(ctx, "rows", parts.Rows(), "parts", len(names), "watermark", next)
	return nil
}

// parseOrderMark reads "updated_at|order_id"; empty is the beginning.
func parseOrderMark(mark string) (time.Time, string, error) {
	if mark == "" {
		return time.Unix(0, 0).UTC(), "", nil
	}
	ts, id, ok := strings.Cut(mark, "|")
	t, err := time.Parse(time.RFC3339Nano, ts)
	if !ok || err != nil {
		return time.Time{}, "", fmt.Errorf("watermark %s is %q, not updated_at|order_id", WatermarkOrders, mark)
	}
	return t, id, nil
}
