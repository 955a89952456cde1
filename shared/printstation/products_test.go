package printstation_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/printstation"
	"github.com/popsockets/integration/shared/printstation/printstationtest"
)

func productSetup(t *testing.T) (*printstation.Client, *printstationtest.Server) {
	t.Helper()
	srv := printstationtest.NewServer(printstationtest.Config{})
	t.Cleanup(srv.Close)
	c, err := printstation.New(printstation.Config{BaseURL: srv.URL(), APIKey: srv.APIKey()})
	require.NoError(t, err)
	return c, srv
}

func printable(rev string, at time.Time) printstation.Product {
	return printstation.Product{SKU: "PS-CUSTOM-CYO", Name: "Custom grip", Revision: rev, EffectiveAt: at, ImageType: "CYO",
		Category: "Custom", Attributes: map[string]string{"Print Area mm": "38x38"}}
}

func TestUpsertProduct(t *testing.T) {
	t.Parallel()
	day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	t.Run("NewestRevisionWinsWhateverTheOrder", func(t *testing.T) {
		t.Parallel()
		c, srv := productSetup(t)
		got, err := c.UpsertProduct(context.Background(), printable("C", day.Add(2*time.Hour)), "PS-CUSTOM-CYO/C")
		require.NoError(t, err)
		require.True(t, got.Changed)
		got, err = c.UpsertProduct(context.Background(), printable("B", day), "PS-CUSTOM-CYO/B")
		require.NoError(t, err)
		require.Equal(t, printstation.ProductResult{Stale: true, CurrentRevision: "C"}, got)
		p, ok := srv.Product("PS-CUSTOM-CYO")
		require.True(t, ok)
		require.Equal(t, []string{"C"}, p.Applied)
		calls := srv.Calls()
		require.Equal(t, "PS-CUSTOM-CYO/C", calls[0].IdempotencyKey)
	})
	t.Run("RefusalsArePermanentOutagesTransient", func(t *testing.T) {
		t.Parallel()
		c, srv := productSetup(t)
		srv.RefuseProduct("PS-CUSTOM-CYO", "no print template for this blank")
		_, err := c.UpsertProduct(context.Background(), printable("A", day), "k1")
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.ErrorContains(t, err, "no print template for this blank")
		srv.RefuseProduct("PS-CUSTOM-CYO", "")
		srv.FailNext(http.StatusInternalServerError, 1)
		_, err = c.UpsertProduct(context.Background(), printable("A", day), "k2")
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		_, err = c.UpsertProduct(context.Background(), printable("A", day), "k2")
		require.NoError(t, err)
	})
	t.Run("AnImageTypeItDoesNotPrintIsRefusedBeforeAnyCall", func(t *testing.T) {
		t.Parallel()
		c, srv := productSetup(t)
		p := printable("A", day)
		p.ImageType = "FG"
		_, err := c.UpsertProduct(context.Background(), p, "k")
		require.ErrorContains(t, err, `image type "FG"`)
		require.Empty(t, srv.Calls())
	})
	t.Run("TheFakeChecksTheAPIKey", func(t *testing.T) {
		t.Parallel()
		_, srv := productSetup(t)
		c, err := printstation.New(printstation.Config{BaseURL: srv.URL(), APIKey: "wrong-key"})
		require.NoError(t, err)
		_, err = c.UpsertProduct(context.Background(), printable("A", day), "k")
		require.ErrorContains(t, err, "credentials refused")
	})
}
