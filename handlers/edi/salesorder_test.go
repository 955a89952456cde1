package edi

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/nav"
	"github.com/popsockets/integration/shared/nav/navtest"
)

// received polls one PO file in and returns its edi-inbound message.
func (b *bench) received(t *testing.T, name string, data []byte) *azfunc.Message {
	t.Helper()
	require.NoError(t, b.sps.WriteFile("out/"+name, data))
	before := len(b.rec.messages)
	b.poll(b.spsPoller())
	require.Len(t, b.rec.messages, before+1)
	m := b.rec.messages[before]
	return message(t, m, m.Key)
}

func (b *bench) salesOrderFn(t *testing.T, srv *navtest.Server) *SalesOrderFn {
	c, err := nav.New(nav.Config{BaseURL: srv.URL(), Auth: srv.Auth(), User: srv.User(), Password: srv.Password()})
	require.NoError(t, err)
	return &SalesOrderFn{Function: FnNAVSalesOrder, Store: b.store, NAV: c, Partners: b.partners}
}

func invoke(string) context.Context { return context.Background() }

func TestNAVSalesOrder(t *testing.T) {
	t.Parallel()
	t.Run("CreatesTheOrderOnceOverNTLM", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		srv := navtest.NewServer(navtest.Config{Auth: nav.AuthNTLM})
		defer srv.Close()
		f := b.salesOrderFn(t, srv)
		m := b.received(t, "PO1.xml", testdata(t, "po-7x-walmart.xml"))
		require.NoError(t, f.Handle(invoke(FnNAVSalesOrder), m))
		orders := srv.Orders()
		require.Len(t, orders, 1)
		require.Equal(t, "C-WALMART", orders[0].SellToCustomerNo)
		require.Equal(t, "6736452611", orders[0].ExternalDocumentNo)
		require.Equal(t, "WMT-DC3124", orders[0].ShipToCode)
		require.Equal(t, "801331", orders[0].Lines[1].No, "the second line by the items cross-reference")
		err := f.Handle(invoke(FnNAVSalesOrder), m)
		require.Equal(t, fault.ClassDuplicate, fault.ClassOf(err), "a redelivery does nothing")
		require.Len(t, srv.Orders(), 1)
		require.Equal(t, 1, b.count(`SELECT count(*) FROM edi_orders WHERE nav_order_no = $1`, orders[0].No))
	})
	t.Run("ARetryAfterALostAnswerFindsTheOrder", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		srv := navtest.NewServer(navtest.Config{Auth: nav.AuthBasic})
		defer srv.Close()
		f := b.salesOrderFn(t, srv)
		m := b.received(t, "PO1.xml", testdata(t, "po-7x-walmart.xml"))
		// NAV created it, but the answer never arrived (it was entered meanwhile).
		existing := srv.AddOrder(nav.SalesOrder{SellToCustomerNo: "C-WALMART", ExternalDocumentNo: "6736452611",
			Lines: []nav.SalesLine{{Type: "Item", No: "801330", Quantity: "48"}}})
		require.NoError(t, f.Handle(invoke(FnNAVSalesOrder), m))
		require.Len(t, srv.Orders(), 1)
		require.Equal(t, 1, b.count(`SELECT count(*) FROM edi_orders WHERE nav_order_no = $1`, existing.No))
	})
	t.Run("AValidationFaultIsPermanent", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		srv := navtest.NewServer(navtest.Config{})
		defer srv.Close()
		srv.ValidationFaultNext(nav.ActionCreate, "Ship-to Code WMT-DC3124 does not exist.")
		f := b.salesOrderFn(t, srv)
		m := b.received(t, "PO1.xml", testdata(t, "po-7x-walmart.xml"))
		err := f.Handle(invoke(FnNAVSalesOrder), m)
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.ErrorContains(t, err, "Ship-to Code WMT-DC3124 does not exist")
	})
	t.Run("AnUnknownPartnerIsParkedWithTheReason", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		srv := navtest.NewServer(navtest.Config{})
		defer srv.Close()
		f := b.salesOrderFn(t, srv)
		data := []byte(`<Orders><Order><Header><OrderHeader><TradingPartnerId>777ALLNEWSHOP</TradingPartnerId><PurchaseOrderNumber>X1</PurchaseOrderNumber>` +
			`<TsetPurposeCode>00</TsetPurposeCode></OrderHeader></Header><LineItem><OrderLine><VendorPartNumber>801330</VendorPartNumber>` +
			`<OrderQty>1</OrderQty><OrderQtyUOM>EA</OrderQtyUOM></OrderLine></LineItem></Order></Orders>`)
		m := b.received(t, "PO9.xml", data)
		err := f.Handle(invoke(FnNAVSalesOrder), m)
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.ErrorContains(t, err, `trading partner "777" (TradingPartnerId "777ALLNEWSHOP") is not in the trading-partner configuration`)
		require.Empty(t, srv.Calls(), "NAV is not called")
	})
	t.Run("NAVDownIsTransientAndTheRetryCreatesIt", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		srv := navtest.NewServer(navtest.Config{})
		defer srv.Close()
		srv.FaultNext(nav.ActionReadMultiple, "a:Microsoft.Dynamics.Nav.Types.NavDatabaseLockTimeoutException", "busy", 500)
		f := b.salesOrderFn(t, srv)
		m := b.received(t, "PO1.xml", testdata(t, "po-7x-walmart.xml"))
		err := f.Handle(invoke(FnNAVSalesOrder), m)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		require.NoError(t, f.Handle(invoke(FnNAVSalesOrder), m))
		require.Len(t, srv.Orders(), 1)
	})
	t.Run("CancelDeletesTheOrder", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		srv := navtest.NewServer(navtest.Config{})
		defer srv.Close()
		f := b.salesOrderFn(t, srv)
		data := testdata(t, "po-7x-walmart.xml")
		require.NoError(t, f.Handle(invoke(FnNAVSalesOrder), b.received(t, "PO1.xml", data)))
		cancel := []byte(replaceOnce(string(data), "<TsetPurposeCode>00", "<TsetPurposeCode>01"))
		require.NoError(t, f.Handle(invoke(FnNAVSalesOrder), b.received(t, "PO2.xml", cancel)))
		require.Empty(t, srv.Orders())
	})
}
