package nav_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/nav"
	"github.com/popsockets/integration/shared/nav/navtest"
)

func client(t *testing.T, srv *navtest.Server, password string) *nav.Client {
	t.Helper()
	c, err := nav.New(nav.Config{BaseURL: srv.URL(), Auth: srv.Auth(), User: srv.User(), Password: password})
	require.NoError(t, err)
	return c
}

var order = nav.SalesOrder{SellToCustomerNo: "C-WALMART", ExternalDocumentNo: "6736452611", ShipToCode: "DC3124",
	RequestedDeliveryDate: "2026-12-12", Lines: []nav.SalesLine{{Type: "Item", No: "801330", Quantity: "48", UnitOfMeasureCode: "EA"}}}

func TestSalesOrders(t *testing.T) {
	t.Parallel()
	for _, auth := range []string{nav.AuthNTLM, nav.AuthBasic} {
		t.Run(auth, func(t *testing.T) {
			t.Parallel()
			srv := navtest.NewServer(navtest.Config{Auth: auth})
			defer srv.Close()
			c := client(t, srv, srv.Password())
			ctx := context.Background()
			_, ok, err := c.FindSalesOrder(ctx, "C-WALMART", "6736452611")
			require.NoError(t, err)
			require.False(t, ok)
			got, err := c.CreateSalesOrder(ctx, order)
			require.NoError(t, err)
			require.NotEmpty(t, got.No)
			found, ok, err := c.FindSalesOrder(ctx, "C-WALMART", "6736452611")
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, got.No, found.No)
			require.Equal(t, "801330", found.Lines[0].No)
			calls := srv.Calls()
			require.Equal(t, nav.ActionCreate, calls[1].Action, "the SOAPAction names the page and operation")
			require.NoError(t, c.PostShipment(ctx, nav.ShipmentPosting{OrderNo: got.No, ShipmentID: "SH1", ShipDate: "2026-12-04",
				Lines: []nav.ShippedLine{{ItemNo: "801330", Quantity: "48"}}}))
			require.Len(t, srv.Shipments(), 1)
			require.NoError(t, c.DeleteSalesOrder(ctx, got.Key))
			require.Empty(t, srv.Orders())
		})
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("WrongPasswordIsUnauthorized", func(t *testing.T) {
		for _, auth := range []string{nav.AuthNTLM, nav.AuthBasic} {
			srv := navtest.NewServer(navtest.Config{Auth: auth})
			defer srv.Close()
			_, err := client(t, srv, "wrong-password").CreateSalesOrder(ctx, order)
			require.ErrorIs(t, err, nav.ErrUnauthorized, auth)
			require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
			require.NotContains(t, err.Error(), "wrong-password")
			require.Empty(t, srv.Calls(), "nothing reached the service")
		}
	})
	t.Run("ValidationFaultIsPermanentAndParsed", func(t *testing.T) {
		srv := navtest.NewServer(navtest.Config{})
		defer srv.Close()
		srv.ValidationFaultNext(nav.ActionCreate, "Ship-to Code DC9999 does not exist for customer C-WALMART.")
		_, err := client(t, srv, srv.Password()).CreateSalesOrder(ctx, order)
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		var f *nav.Fault
		require.ErrorAs(t, err, &f)
		require.Contains(t, f.String, "Ship-to Code DC9999")
		require.Equal(t, http.StatusInternalServerError, f.Status)
	})
	t.Run("OtherFaultsAreTransient", func(t *testing.T) {
		srv := navtest.NewServer(navtest.Config{})
		defer srv.Close()
		srv.FaultNext(nav.ActionCreate, "a:Microsoft.Dynamics.Nav.Types.NavDatabaseLockTimeoutException", "lock timeout", 500)
		_, err := client(t, srv, srv.Password()).CreateSalesOrder(ctx, order)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	})
	t.Run("UnreachableIsTransient", func(t *testing.T) {
		c, err := nav.New(nav.Config{BaseURL: "http://127.0.0.1:1/DynamicsNAV/WS/X", Auth: nav.AuthBasic, User: "u", Password: "p"})
		require.NoError(t, err)
		_, err = c.CreateSalesOrder(ctx, order)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	})
	t.Run("FakeRefusesAMismatchedSOAPAction", func(t *testing.T) {
		srv := navtest.NewServer(navtest.Config{Auth: nav.AuthBasic})
		defer srv.Close()
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/Page/SalesOrder", strings.NewReader(
			`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Create xmlns="urn:microsoft-dynamics-schemas/page/salesorder"/></soap:Body></soap:Envelope>`))
		req.Header.Set("Content-Type", "text/xml")
		req.Header.Set("SOAPAction", `"urn:microsoft-dynamics-schemas/page/salesorder:Delete"`)
		req.SetBasicAuth(srv.User(), srv.Password())
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 500, resp.StatusCode)
	})
	t.Run("ConfigurationIsChecked", func(t *testing.T) {
		_, err := nav.New(nav.Config{BaseURL: "nav", User: "u", Password: "p"})
		require.Error(t, err)
		_, err = nav.New(nav.Config{BaseURL: "https://nav", Auth: "kerberos", User: "u", Password: "p"})
		require.ErrorContains(t, err, "not ntlm or basic")
	})
}
