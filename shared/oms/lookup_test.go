package oms_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/oms/omstest"
)

func lookupSetup(t *testing.T) (*oms.Client, *omstest.Server, []oms.OrderDetail) {
	t.Helper()
	c, srv := setup(t, nil)
	customers := omstest.SampleCustomers(3, 5)
	for _, orders := range customers {
		for _, o := range orders {
			srv.AddCustomerOrder(o)
		}
	}
	return c, srv, customers[0]
}

func TestSearchOrders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, srv, mine := lookupSetup(t)
	cust := mine[0].Customer

	cases := []struct {
		name string
		q    oms.OrderQuery
	}{
		{"ByEmailWhateverItsCase", oms.OrderQuery{Email: "  " + upper(cust.Email)}},
		{"ByPhoneDigits", oms.OrderQuery{Phone: digitsOf(cust.Phone)}},
		{"ByFullName", oms.OrderQuery{Name: cust.Name}},
		{"ByCustomerID", oms.OrderQuery{CustomerID: cust.ID}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.SearchOrders(ctx, tc.q)
			require.NoError(t, err)
			require.Len(t, got, len(mine))
			for i, o := range got {
				require.Equal(t, cust.ID, o.Customer.ID)
				if i > 0 {
					require.False(t, o.CreatedAt.After(got[i-1].CreatedAt), "newest first")
				}
			}
		})
	}
	t.Run("NoMatchIsAnEmptyList", func(t *testing.T) {
		got, err := c.SearchOrders(ctx, oms.OrderQuery{Email: "nobody@example.com"})
		require.NoError(t, err)
		require.Empty(t, got)
	})
	t.Run("LimitBoundsTheAnswer", func(t *testing.T) {
		got, err := c.SearchOrders(ctx, oms.OrderQuery{CustomerID: cust.ID, Limit: 1})
		require.NoError(t, err)
		require.Len(t, got, 1)
	})
	t.Run("ArgumentsAreCheckedBeforeAnyCall", func(t *testing.T) {
		calls := len(srv.Calls())
		for _, q := range []oms.OrderQuery{{}, {Email: "a@example.com", Phone: "1"}, {Email: "a@example.com", Limit: 51}} {
			_, err := c.SearchOrders(ctx, q)
			require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		}
		require.Len(t, srv.Calls(), calls)
	})
	t.Run("AnOMSErrorNeverRepeatsWhatWasSearchedFor", func(t *testing.T) {
		srv.RejectNext(http.StatusBadGateway, `{"code":"upstream","message":"search for `+cust.Email+` failed"}`)
		_, err := c.SearchOrders(ctx, oms.OrderQuery{Email: cust.Email})
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		require.NotContains(t, err.Error(), cust.Email)
		require.Contains(t, err.Error(), "by email")
	})
}

func TestGetOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, srv, mine := lookupSetup(t)
	got, err := c.GetOrder(ctx, mine[0].OrderID)
	require.NoError(t, err)
	require.Equal(t, mine[0].Lines, got.Lines)
	require.Equal(t, mine[0].TotalMinor, got.TotalMinor)

	t.Run("ItsLiveStateWins", func(t *testing.T) {
		srv.AddOrder(mine[0].OrderID, oms.StateShipped)
		got, err := c.GetOrder(ctx, mine[0].OrderID)
		require.NoError(t, err)
		require.Equal(t, oms.StateShipped, got.Status)
	})
	t.Run("UnknownIsNotFound", func(t *testing.T) {
		_, err := c.GetOrder(ctx, "ORD-NOPE")
		require.ErrorIs(t, err, oms.ErrOrderNotFound)
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
	})
	t.Run("SlowOMSIsCutByTheCallersDeadline", func(t *testing.T) {
		srv.Delay(time.Second)
		defer srv.Delay(0)
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.GetOrder(cctx, mine[0].OrderID)
		require.Error(t, err)
		require.Less(t, time.Since(start), 500*time.Millisecond)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	})
	t.Run("ReadsNeedTheToken", func(t *testing.T) {
		other, err := oms.New(oms.Config{BaseURL: srv.URL(), Token: "wrong-token"})
		require.NoError(t, err)
		_, err = other.GetOrder(ctx, mine[0].OrderID)
		require.ErrorContains(t, err, "credentials refused")
	})
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func digitsOf(s string) string {
	var b []byte
	for _, c := range []byte(s) {
		if c >= '0' && c <= '9' {
			b = append(b, c)
		}
	}
	return string(b)
}
