package data

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

func TestOrderExportStreamsChangedOrdersOnceEach(t *testing.T) {
	e := newEnv(t)
	base := e.clock.Now().Add(-time.Hour)
	insert := func(id, state string, at time.Time) {
		storetest.Exec(t, e.s, `
			INSERT INTO orders (order_id, order_number, source, channel, tpl, state, created_at, updated_at)
			VALUES ($1, $1, 'sfcc', 'b2c', 'cirro', $2, $3, $3)
			ON CONFLICT (order_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`, id, state, at)
	}
	// Two orders share an updated_at: the watermark's order_id keeps them apart.
	insert("ORD-1", "EXPORTED_TO_TPL", base)
	insert("ORD-2", "EXPORTED_TO_TPL", base)
	insert("ORD-3", "SHIPPED", base.Add(time.Minute))
	insert("ORD-4", "SHIPPED", e.clock.Now().Add(-10*time.Second)) // within the lag: next run
	x := &OrderExport{Store: e.s, Blobs: e.blobs, Lag: time.Minute, Now: e.clock.Now}
	require.NoError(t, x.Run(context.Background(), nil))
	files := e.staged(t, "orders/2026-12-04/")
	require.Len(t, files, 1)
	var ids []string
	for _, rows := range files {
		for _, r := range rows {
			ids = append(ids, r["order_id"].(string))
		}
	}
	require.Equal(t, []string{"ORD-1", "ORD-2", "ORD-3"}, ids)
	mark, _, err := store.GetWatermark(context.Background(), e.s.Pool, WatermarkOrders)
	require.NoError(t, err)
	require.Equal(t, base.Add(time.Minute).Format(time.RFC3339Nano)+"|ORD-3", mark)

	// Nothing changed: nothing staged, the watermark stays.
	e.clock.Add(5 * time.Second)
	require.NoError(t, x.Run(context.Background(), nil))
	require.Len(t, e.staged(t, "orders/"), 1)

	// Later: ORD-4 is past the lag, ORD-1 changed again.
	e.clock.Add(2 * time.Minute)
	insert("ORD-1", "SHIPPED", e.clock.Now().Add(-90*time.Second))
	require.NoError(t, x.Run(context.Background(), nil))
	all := e.staged(t, "orders/")
	require.Len(t, all, 2)
	for name := range all {
		res, err := e.load(t, name)
		require.NoError(t, err)
		require.False(t, res.Skipped)
	}
	var state string
	require.NoError(t, e.s.Pool.QueryRow(context.Background(), `SELECT state FROM warehouse_orders WHERE order_id = 'ORD-1'`).Scan(&state))
	require.Equal(t, "SHIPPED", state, "the newer export wins")
	require.Equal(t, 4, storetest.Count(t, e.s, `SELECT 1 FROM warehouse_orders`))
}
