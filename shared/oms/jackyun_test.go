package oms_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/oms"
)

func jackyunOrder(tradeNo string) oms.SourceOrder {
	return oms.SourceOrder{Source: oms.SourceJackyun, SourceOrderID: tradeNo, OrderNumber: "XSDD" + tradeNo, Shop: "Tmall", Warehouse: "KH",
		Currency: "CNY", OrderedAt: time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC),
		Lines: []oms.SourceLine{{LineNo: 1, SKU: "PS-GRIP-BLK", Quantity: 2, UnitPriceMinor: 9900}, {LineNo: 2, SKU: "PS-CUSTOM-CYO", Quantity: 1, UnitPriceMinor: 12900, Print: true}}}
}

func TestCreateOrder(t *testing.T) {
	t.Parallel()
	t.Run("OneOrderPerSourceOrderWhateverTheKey", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		first, err := c.CreateOrder(context.Background(), jackyunOrder("JY1"), "jackyun/JY1/oms")
		require.NoError(t, err)
		require.False(t, first.Duplicate)
		again, err := c.CreateOrder(context.Background(), jackyunOrder("JY1"), "jackyun/JY1/oms")
		require.NoError(t, err)
		require.Equal(t, first.OrderID, again.OrderID, "the same key gets the first answer")
		other, err := c.CreateOrder(context.Background(), jackyunOrder("JY1"), "jackyun/JY1/oms/retry-1")
		require.NoError(t, err)
		require.Equal(t, first.OrderID, other.OrderID, "another key, the same source order: the same OMS order")
		require.True(t, other.Duplicate)
		require.Len(t, srv.CreatedOrders(), 1)
		got, ok := srv.CreatedOrder(oms.SourceJackyun, "JY1")
		require.True(t, ok)
		require.Equal(t, "KH", got.Request.Warehouse)
		require.True(t, got.Request.Lines[1].Print)
		require.Equal(t, int64(9900), got.Request.Lines[0].UnitPriceMinor)
	})
	t.Run("ARefusedOrderIsPermanentAndSaysWhy", func(t *testing.T) {
		t.Parallel()
		c, _ := setup(t, nil)
		o := jackyunOrder("JY2")
		o.Currency = ""
		_, err := c.CreateOrder(context.Background(), o, "k")
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.ErrorContains(t, err, "currency is required")
		_, err = c.CreateOrder(context.Background(), oms.SourceOrder{Source: oms.SourceJackyun, SourceOrderID: "JY3"}, "k")
		require.ErrorContains(t, err, "no lines")
	})
	t.Run("OutagesAreTransient", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		srv.FailNext(http.StatusServiceUnavailable, 1)
		_, err := c.CreateOrder(context.Background(), jackyunOrder("JY4"), "k4")
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		created, err := c.CreateOrder(context.Background(), jackyunOrder("JY4"), "k4")
		require.NoError(t, err)
		require.NotEmpty(t, created.OrderID)
	})
	t.Run("ADuplicateOrderConflictNamesTheOrder", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		srv.RejectNext(http.StatusConflict, `{"code":"duplicate_order","order_id":"ORD1234567","created":false}`)
		got, err := c.CreateOrder(context.Background(), jackyunOrder("JY5"), "k5")
		require.NoError(t, err)
		require.Equal(t, oms.CreatedOrder{OrderID: "ORD1234567", Duplicate: true}, got)
	})
}

func product(sku, rev string, at time.Time, bom ...oms.Component) oms.Product {
	return oms.Product{SKU: sku, Name: "Grip " + sku, Revision: rev, EffectiveAt: at, Category: "Grips", UOM: "each",
		Attributes: map[string]string{"Color": "Black"}, BOM: bom}
}

func TestUpsertProduct(t *testing.T) {
	t.Parallel()
	day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	t.Run("AnOlderRevisionNeverOverwritesANewerOne", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		up, err := c.UpsertProduct(context.Background(), product("PS-1", "B", day.Add(time.Hour)), "PS-1/B")
		require.NoError(t, err)
		require.True(t, up.Changed)
		up, err = c.UpsertProduct(context.Background(), product("PS-1", "A", day), "PS-1/A")
		require.NoError(t, err)
		require.Equal(t, oms.Upserted{Stale: true, CurrentRevision: "B"}, up)
		up, err = c.UpsertProduct(context.Background(), product("PS-1", "B", day.Add(time.Hour)), "PS-1/B/again")
		require.NoError(t, err)
		require.False(t, up.Changed, "the same revision again changes nothing")
		p, ok := srv.Product("PS-1")
		require.True(t, ok)
		require.Equal(t, []string{"B"}, p.Applied)
	})
	t.Run("AnUnknownComponentIsPermanentAndNamed", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		_, err := c.UpsertProduct(context.Background(), product("KIT-1", "A", day, oms.Component{SKU: "PS-NOPE", Quantity: "2"}), "KIT-1/A")
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.ErrorContains(t, err, "PS-NOPE")
		srv.KnowSKUs("PS-NOPE")
		_, err = c.UpsertProduct(context.Background(), product("KIT-1", "A", day, oms.Component{SKU: "PS-NOPE", Quantity: "2"}), "KIT-1/A/retry-1")
		require.NoError(t, err)
	})
	t.Run("NoSKUOrRevisionIsRefusedBeforeAnyCall", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		_, err := c.UpsertProduct(context.Background(), oms.Product{SKU: "X"}, "k")
		require.ErrorContains(t, err, "no SKU or revision")
		require.Empty(t, srv.Calls())
	})
}
