package edi

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/handlers/fulfillment"
	"github.com/popsockets/integration/shared/golden"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/x12"
)

// nav940 is what NAV writes for a sales order: an X12 940 interchange.
func nav940(t testing.TB, orderNo, po string, lines map[string]int, control int64) []byte {
	t.Helper()
	so := &x12.ShippingOrder{Status: "N", DepositorOrder: orderNo, PurchaseOrder: po,
		Parties: []x12.Party{{Role: "ST", Name: "WALMART DC 3124", IDQualifier: "UL", ID: "0078742112824",
			Address: []string{"1 Distribution Way"}, City: "Bentonville", State: "AR", PostalCode: "72712", Country: "US"},
			{Role: "BY", Name: "WALMART STORE", IDQualifier: "92", ID: "5260"}},
		References: []x12.Reference{{Qualifier: "DP", ID: "00087"}},
		Carrier:    &x12.WarehouseCarrier{Payment: "PP", Method: "M", SCAC: "FDEG"}}
	n := 0
	for _, sku := range sortedKeys(lines) {
		n++
		so.Lines = append(so.Lines, x12.OrderLine{Number: itoa(n), Quantity: x12.DecimalFromInt(int64(lines[sku])), Unit: "EA",
			Products: []x12.ProductID{{Qualifier: "VN", ID: sku}}})
	}
	body, err := x12.Build940(so)
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = x12.Envelope{SenderQualifier: "ZZ", SenderID: "NAVPOPSOCKETS", ReceiverQualifier: "ZZ", ReceiverID: "POPSOCKETS",
		Time: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC), Suffix: "\n"}.Encode(context.Background(), &buf, &x12.Sequence{Start: control},
		x12.OutGroup{FunctionalID: "OW", Sets: []x12.OutSet{{ID: "940", Body: body}}})
	require.NoError(t, err)
	return buf.Bytes()
}

func TestNAVOutboundPoll(t *testing.T) {
	t.Parallel()
	t.Run("A940BecomesACirroB2BRequestWithTheOrderRow", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		b.received(t, "PO1.xml", testdata(t, "po-7x-walmart.xml"))
		require.NoError(t, b.nav.WriteFile("outbound/940-SO001000.edi", nav940(t, "SO001000", "6736452611", map[string]int{"801330": 48, "801331": 24}, 77)))
		res := b.poll(b.navPoller())
		require.Equal(t, 1, res.Taken)
		require.Empty(t, b.nav.Files("outbound"))
		o, err := store.GetOrder(context.Background(), b.store.Pool, "SO001000")
		require.NoError(t, err, "cirro-webhook finds the order")
		require.Equal(t, []string{"edi", "b2b", "cirro", oms.StateWaitingFulfillmentConfirmation},
			[]string{o.Source, o.Channel, o.TPL, o.State})
		m := b.rec.messages[len(b.rec.messages)-1]
		require.Equal(t, fulfillment.TopicFulfillmentRequest, m.Topic)
		require.Equal(t, map[string]string{"target": "cirro", "channel": "b2b", "source": "edi", "origin": "edi"}, m.Properties)
		var req fulfillment.Requested
		payload(t, m, &req)
		var customer oms.Customer
		require.NoError(t, b.keyring.Open("SO001000", req.Request.Sealed, &customer), "sealed for cirro-fulfill")
		require.Equal(t, "WALMART DC 3124", customer.Name)
		require.Equal(t, "6736452611", req.Request.PONumber)
		require.NotNil(t, req.Labels)
		acks := b.nav.Files("inbound")
		require.Len(t, acks, 1, "a 997 for NAV's group")
		require.Equal(t, 1, b.count(`SELECT count(*) FROM order_journey WHERE order_id = 'SO001000' AND state = $1`, StateWarehouseOrder))
	})
	t.Run("A940ForAPONeverReceivedIsParked", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		require.NoError(t, b.nav.WriteFile("outbound/940-SO9.edi", nav940(t, "SO9", "NOPE", map[string]int{"801330": 1}, 5)))
		b.poll(b.navPoller())
		require.Len(t, b.rec.parked, 1)
		require.Contains(t, b.rec.parked[0].Reason, "names PO NOPE, which this layer never received from SPS")
		require.Empty(t, b.rec.messages)
		require.Empty(t, b.nav.Files("outbound"), "archived and recorded, so deleted")
	})
}

// TestLabelTemplatesPerPartner is the golden test each retailer's entry
// needs: the 940 for its PO becomes Cirro's B2B create with the labels its
// configuration asks for, through cirro-fulfill's own mapping.
func TestLabelTemplatesPerPartner(t *testing.T) {
	t.Parallel()
	pts, err := ParsePartners(defaultPartners)
	require.NoError(t, err)
	kr, err := oms.NewKeyring("k1", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "", "")
	require.NoError(t, err)
	for _, pt := range pts.List {
		t.Run(pt.ID+"-"+pt.Name, func(t *testing.T) {
			po := PO{Partner: pt.ID, Number: "PO-" + pt.ID, Purpose: "00", Type: "SA", Department: "080",
				ShipTo: rsxAddress("ST", "92", "DC77", pt.Name+" DC 77"),
				Lines: []POLine{{Sequence: "1", BuyerPartNumber: "B-" + pt.ID + "-1", VendorPartNumber: "801330", UPC: "842978133046", GTIN: "10842978133043", Quantity: "12", UOM: "EA"},
					{Sequence: "2", BuyerPartNumber: "B-" + pt.ID + "-2", VendorPartNumber: "801331", UPC: "842978133053", Quantity: "6", UOM: "EA"}}}
			doc := x12.ParseBytes(nav940(t, "SO-"+pt.ID, po.Number, map[string]int{"801330": 12, "801331": 6}, 1))
			so, err := x12.Read940(doc.Interchanges[0].Groups[0].Sets[0])
			require.NoError(t, err)
			req, err := FulfillmentRequest(so, po, pt, kr, time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))
			require.NoError(t, err)
			var customer oms.Customer
			require.NoError(t, kr.Open(req.Request.OrderID, req.Request.Sealed, &customer))
			ship := fulfillment.ShipMethods{"cirro": {pt.ShipMethod: "LTL"}}
			_, b2b, err := fulfillment.CirroOrder(req, customer, ship, "")
			require.NoError(t, err)
			require.NotNil(t, b2b, "a B2B order")
			golden.JSON(t, "cirro-b2b-"+pt.ID+".golden", b2b)
		})
	}
	t.Run("ANewRetailerIsConfigurationOnly", func(t *testing.T) {
		cfg := []byte(`{"partners":[{"id":"123","name":"New Shop","trading_partner_ids":["123ALLPOPSOCKET"],"nav_customer":"C-NEW",
			"labels":{"ucc":["product_sku","platform_sku"]},"platform_sku":{"meaning":"shop SKU","from":"upc"},"ship_to":{},"items":{}}]}`)
		p, err := ParsePartners(cfg)
		require.NoError(t, err)
		pt, ok := p.ByTradingPartnerID("123ALLPOPSOCKET")
		require.True(t, ok)
		tmpl, _, err := Labels(pt, LabelHeader{DC: "1"}, []LabelItem{{SKU: "801330", Quantity: 1, UPC: "842978133046", Platform: "842978133046"}})
		require.NoError(t, err)
		require.JSONEq(t, `{"ucc_label":{"dc":"1","dept":"","store":"","type":"","items":[{"product_sku":"801330","platform_sku":"842978133046"}]}}`, string(tmpl))
	})
	t.Run("ABadConfigurationIsRefusedNamingEachProblem", func(t *testing.T) {
		_, err := ParsePartners([]byte(`{"partners":[{"id":"1234","name":"X","labels":{"sticker":["upc"],"ucc":["weight"]},"asn_format":"pdf"}]}`))
		require.ErrorContains(t, err, "id must be the 3-character")
		require.ErrorContains(t, err, "nav_customer is missing")
		require.ErrorContains(t, err, `label "sticker" is not one of`)
		require.ErrorContains(t, err, `label ucc field "weight"`)
		require.ErrorContains(t, err, `asn_format "pdf"`)
	})
}
