package rsx_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/golden"
	"github.com/popsockets/integration/shared/rsx"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestParseOrders(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"po-legacy-amazon", "po-7x-walmart"} {
		t.Run(name, func(t *testing.T) {
			o, err := rsx.ParseOrders(read(t, name+".xml"))
			require.NoError(t, err)
			golden.JSON(t, name+".golden", o)
		})
	}
	t.Run("LegacyDialectCarriesControlNumbersInMiscellaneous", func(t *testing.T) {
		o, err := rsx.ParseOrders(read(t, "po-legacy-amazon.xml"))
		require.NoError(t, err)
		require.Equal(t, rsx.DialectLegacy, o.Dialect)
		require.Equal(t, rsx.Control{Interchange: "000040091", Group: "40091", Set: "0001"}, o.Orders[0].Control)
		require.Equal(t, "NE", o.Orders[0].POType)
		require.Equal(t, "2026-12-11", o.Orders[0].Date("063"))
	})
	t.Run("APrefixOrNoNamespaceMakesNoDifference", func(t *testing.T) {
		want, err := rsx.ParseOrders(read(t, "po-7x-walmart.xml"))
		require.NoError(t, err)
		got, err := rsx.ParseOrders(read(t, "po-7x-prefixed.xml"))
		require.NoError(t, err)
		require.Equal(t, want, got)
		plain := []byte(`<Orders><Order><Header><OrderHeader><TradingPartnerId>T</TradingPartnerId><PurchaseOrderNumber>P</PurchaseOrderNumber>` +
			`<TsetPurposeCode>00</TsetPurposeCode></OrderHeader></Header><LineItem><OrderLine><VendorPartNumber>1</VendorPartNumber>` +
			`<OrderQty>1</OrderQty><OrderQtyUOM>EA</OrderQtyUOM></OrderLine></LineItem></Order></Orders>`)
		o, err := rsx.ParseOrders(plain)
		require.NoError(t, err)
		require.Equal(t, "P", o.Orders[0].PONumber)
	})
}

func TestBadOrders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file string
		want       string
	}{
		{"BadQuantityNamesPathAndLine", "po-bad-line.xml",
			`Orders/Order[1]/LineItem[2]/OrderLine/OrderQty (line 23): OrderQty "twelve" is not a positive number`},
		{"TruncatedFileIsMalformed", "po-truncated.xml", "malformed XML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rsx.ParseOrders(read(t, tc.file))
			require.ErrorContains(t, err, tc.want)
			var es rsx.Errors
			require.ErrorAs(t, err, &es)
			require.NotZero(t, es[0].Line)
		})
	}
	for _, tc := range []struct{ name, xml, want string }{
		{"EmptyFile", "", "no root element"},
		{"NotAnOrder", "<Invoices/>", "is not an RSX purchase order"},
		{"NoLines", `<Orders><Order><Header><OrderHeader><TradingPartnerId>T</TradingPartnerId><PurchaseOrderNumber>P</PurchaseOrderNumber><TsetPurposeCode>00</TsetPurposeCode></OrderHeader></Header></Order></Orders>`, "no LineItem"},
		{"MissingPONumber", `<Orders><Order><Header><OrderHeader><TradingPartnerId>T</TradingPartnerId><TsetPurposeCode>00</TsetPurposeCode></OrderHeader></Header><LineItem><OrderLine><VendorPartNumber>1</VendorPartNumber><OrderQty>1</OrderQty><OrderQtyUOM>EA</OrderQtyUOM></OrderLine></LineItem></Order></Orders>`,
			"Orders/Order[1]/Header/OrderHeader (line 1): PurchaseOrderNumber is missing"},
		{"UnknownPurpose", `<Orders><Order><Header><OrderHeader><TradingPartnerId>T</TradingPartnerId><PurchaseOrderNumber>P</PurchaseOrderNumber><TsetPurposeCode>99</TsetPurposeCode></OrderHeader></Header><LineItem><OrderLine><VendorPartNumber>1</VendorPartNumber><OrderQty>1</OrderQty><OrderQtyUOM>EA</OrderQtyUOM></OrderLine></LineItem></Order></Orders>`,
			`TsetPurposeCode "99" is not one of`},
		{"TwoRoots", "<Orders></Orders><Orders></Orders>", "more than one root"},
		{"Unclosed", "<Orders><Order>", "malformed XML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rsx.ParseOrders([]byte(tc.xml))
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestShipmentsRoundTrip(t *testing.T) {
	t.Parallel()
	s := &rsx.Shipment{
		TradingPartnerID: "529ALLPOPSOCKET", ShipmentID: "SH000000123", ShipDate: "2026-12-04", ShipNoticeDate: "2026-12-04", ShipNoticeTime: "10:15:00",
		BillOfLading: "BOL123", SCAC: "FDEG", CarrierRouting: "FEDEX GROUND", TransMethod: "M", Cartons: 2, Weight: "21.5", WeightUOM: "LB",
		Addresses: []rsx.Address{{Type: "ST", LocationQualifier: "UL", LocationNumber: "0078742112824", Name: "WALMART DC 3124"}},
		Orders: []rsx.ShipOrder{{PONumber: "6736452611", PODate: "2026-11-28", Department: "00087", Vendor: "610659870",
			References: []rsx.Reference{{Qualifier: "IA", ID: "610659870"}},
			Packs: []rsx.Pack{
				{SSCC: "008429781000000012", Tracking: "1Z1", Items: []rsx.ShipLine{{Sequence: "001", VendorPartNumber: "801330", OrderQty: "48", OrderQtyUOM: "EA", ShipQty: "48", ShipQtyUOM: "EA"}}},
				{SSCC: "008429781000000029", Items: []rsx.ShipLine{{Sequence: "002", BuyerPartNumber: "574123457", ShipQty: "24", ShipQtyUOM: "EA"}}},
			}}},
	}
	b, err := rsx.WriteShipments(s)
	require.NoError(t, err)
	golden.Equal(t, "shipment-walmart.golden.xml", b)
	back, err := rsx.ParseShipments(b)
	require.NoError(t, err)
	got := back.Shipments[0]
	require.Equal(t, "008429781000000012", got.Orders[0].Packs[0].SSCC, "ShippingSerialID is AI 00 + SSCC")
	require.Equal(t, 2, got.TotalLines)
	require.Equal(t, 2, got.Cartons)

	t.Run("AWrongCheckDigitIsNamed", func(t *testing.T) {
		bad := []byte(`<Shipments><Shipment><Header><ShipmentHeader><TradingPartnerId>T</TradingPartnerId><ShipmentIdentification>S</ShipmentIdentification><ShipDate>2026-12-04</ShipDate></ShipmentHeader></Header>` +
			`<OrderLevel><OrderHeader><PurchaseOrderNumber>P</PurchaseOrderNumber></OrderHeader><PackLevel><Pack><PackLevelType>P</PackLevelType><ShippingSerialID>00008429781000000018</ShippingSerialID></Pack>` +
			`<ItemLevel><ShipmentLine><ShipQty>1</ShipQty><ShipQtyUOM>EA</ShipQtyUOM></ShipmentLine></ItemLevel></PackLevel></OrderLevel></Shipment></Shipments>`)
		_, err := rsx.ParseShipments(bad)
		require.ErrorContains(t, err, "Shipments/Shipment[1]/OrderLevel[1]/PackLevel[1]/Pack/ShippingSerialID (line 1): SSCC 008429781000000018 has a wrong check digit")
	})
}

func TestIsXML(t *testing.T) {
	t.Parallel()
	require.True(t, rsx.IsXML([]byte("\xef\xbb\xbf  \n<Orders/>")))
	require.False(t, rsx.IsXML([]byte("ISA*00*")))
	require.False(t, rsx.IsXML(nil))
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"po-legacy-amazon.xml", "po-7x-walmart.xml", "po-bad-line.xml", "po-truncated.xml"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := rsx.Parse(data)
		if err == nil && doc == nil {
			t.Fatal("no document and no error")
		}
	})
}
