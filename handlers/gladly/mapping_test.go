package gladly_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/handlers/gladly"
	glad "github.com/popsockets/integration/shared/gladly"
	"github.com/popsockets/integration/shared/golden"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/oms/omstest"
)

func TestFormatMoney(t *testing.T) {
	t.Parallel()
	cases := []struct {
		minor    int64
		currency string
		want     string
	}{
		{4500, "USD", "$45.00"},
		{123450, "usd", "$1,234.50"},
		{5, "USD", "$0.05"},
		{-1999, "USD", "-$19.99"},
		{100000000, "EUR", "€1,000,000.00"},
		{1200, "JPY", "¥1,200"},
		{990, "GBP", "£9.90"},
		{2599, "CAD", "CA$25.99"},
		{9900, "SEK", "SEK 99.00"},
		{9900, "", "99.00"},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, gladly.FormatMoney(tc.minor, tc.currency), "%d %s", tc.minor, tc.currency)
	}
}

func TestOrderStatus(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		oms.StatePendingNAVRelease:              glad.OrderPending,
		oms.StateReleasedFromNAV:                glad.OrderProcessing,
		oms.StateWaitingFulfillmentConfirmation: glad.OrderProcessing,
		oms.StateExportedToTPL:                  glad.OrderProcessing,
		oms.StateShipped:                        glad.OrderShipped,
		"cancelled":                             glad.OrderCancelled,
		"SOMETHING_NEW":                         glad.OrderProcessing,
	}
	for state, want := range cases {
		require.Equal(t, want, gladly.OrderStatus(state), state)
	}
}

func sampleCustomer(t *testing.T) []oms.OrderDetail {
	t.Helper()
	for _, orders := range omstest.SampleCustomers(10, 3) {
		if len(orders) >= 3 {
			return orders
		}
	}
	t.Fatal("no sample customer with three orders")
	return nil
}

func summaries(ds []oms.OrderDetail) []oms.OrderSummary {
	var out []oms.OrderSummary
	for _, d := range ds {
		out = append(out, d.OrderSummary)
	}
	return out
}

func TestDetailedResult(t *testing.T) {
	t.Parallel()
	orders := sampleCustomer(t)
	m := gladly.Mapping{OrderURL: "https://www.popsockets.com/account/orders/{order_number}"}
	details := map[string]*oms.OrderDetail{}
	for i := range orders {
		details[orders[i].OrderID] = &orders[i]
	}
	t.Run("EveryOrderWithItsProductsAndTracking", func(t *testing.T) {
		t.Parallel()
		r := m.DetailedResult(orders[0].Customer.ID, summaries(orders), details, gladly.StatusComplete)
		golden.JSON(t, "detailed.golden.json", r)
		require.Len(t, r.Transactions, len(orders))
		for i, tr := range r.Transactions {
			require.NotEmpty(t, tr.Products)
			if i > 0 {
				require.GreaterOrEqual(t, r.Transactions[i-1].CreatedAt, tr.CreatedAt, "newest first")
			}
		}
	})
	t.Run("AnOrderWithoutDetailsKeepsItsSummaryOnly", func(t *testing.T) {
		t.Parallel()
		some := map[string]*oms.OrderDetail{orders[0].OrderID: &orders[0]}
		r := m.DetailedResult(orders[0].Customer.ID, summaries(orders), some, gladly.PartialStatus(2, len(orders)+1))
		require.Equal(t, fmt.Sprintf("partial: OMS answered 2 of %d reads in time", len(orders)+1), r.CustomAttributes["lookupStatus"])
		for _, tr := range r.Transactions {
			if tr.OrderID == orders[0].OrderID {
				require.NotNil(t, tr.Products)
				continue
			}
			require.Nil(t, tr.Products, "unknown, so left out: Gladly keeps what it had")
			require.Nil(t, tr.Fulfillments)
			require.NotEmpty(t, tr.OrderTotal)
		}
	})
	t.Run("SeveralTrackingNumbersAreSeveralFulfilments", func(t *testing.T) {
		t.Parallel()
		shipped := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
		d := orders[0]
		d.Status = oms.StateShipped
		d.Fulfillments = []oms.OrderFulfillment{{Status: "shipped", Carrier: "UPS", TrackingNumbers: []string{"1Z1", "1Z2"}, TrackingURL: "https://x", ShippedAt: &shipped}}
		tr := m.Transaction(d.OrderSummary, &d)
		require.Equal(t, []glad.Fulfillment{
			{Status: "shipped", Carrier: "UPS", TrackingNumber: "1Z1", ShippedAt: "2026-03-04T09:00:00Z"},
			{Status: "shipped", Carrier: "UPS", TrackingNumber: "1Z2", ShippedAt: "2026-03-04T09:00:00Z"},
		}, tr.Fulfillments)
		require.Equal(t, glad.OrderShipped, tr.OrderStatus)
	})
}

func TestBasicResults(t *testing.T) {
	t.Parallel()
	var all []oms.OrderSummary
	for _, orders := range omstest.SampleCustomers(3, 8) {
		all = append(all, summaries(orders)...)
	}
	all = append(all, all[0]) // found by two searches
	noID := all[1]
	noID.OrderID, noID.Customer.ID = "ORD-X", ""
	all = append(all, noID)
	rs := gladly.BasicResults(all)
	golden.JSON(t, "basic.golden.json", rs)
	require.Len(t, rs, 3, "one result per OMS customer; an order without a customer id cannot be linked")
	for _, r := range rs {
		require.Nil(t, r.Transactions, "BASIC answers customers, not their orders")
		require.Len(t, r.Emails, 1)
	}
}
