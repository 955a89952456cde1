package x12

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var fixedTime = time.Date(2024, 1, 11, 14, 5, 0, 0, time.UTC)

func testEnvelope() Envelope {
	return Envelope{SenderQualifier: "ZZ", SenderID: "POPSOCKETS", ReceiverQualifier: "ZZ", ReceiverID: "RETAILERX",
		Time: fixedTime, Suffix: "\n"}
}

func samplePO() *PurchaseOrder {
	return &PurchaseOrder{
		Purpose: "00", Type: "SA", Number: "4500099999", Date: "20240105", Currency: "USD",
		References: []Reference{{Qualifier: "DP", ID: "042"}, {Qualifier: "IA", ID: "7788"}},
		Contacts:   []Contact{{Function: "BD", Name: "Jane Buyer", Numbers: []CommNumber{{Qualifier: "TE", Number: "5551234567"}}}},
		FOB:        &FOB{Payment: "PP"},
		Terms:      []Terms{{Type: "01", BasisDate: "3", DiscountPercent: "2", DiscountDays: "30", NetDays: "60"}},
		Dates:      []DateRef{{Qualifier: "010", Date: "20240115"}, {Qualifier: "001", Date: "20240131"}},
		Carrier:    &Routing{SCAC: "UPSN", Method: "U", Routing: "UPS GROUND"},
		Notes:      []Note{{Qualifier: "ZZ", ID: "NOTES", Messages: []string{"Deliver to dock 4", "Call ahead"}}},
		Parties: []Party{
			{Role: "ST", Name: "Retailer X DC 12", IDQualifier: "92", ID: "0012", Address: []string{"100 Distribution Way", "Building B", "Door 7"},
				City: "Columbus", State: "OH", PostalCode: "43215", Country: "US"},
			{Role: "BT", Name: "Retailer X Accounts", IDQualifier: "92", ID: "0001", References: []Reference{{Qualifier: "IA", ID: "7788"}}},
		},
		Lines: []POLine{
			{Number: "1", Quantity: "24", Unit: "EA", UnitPrice: "9.99", Products: []ProductID{{"UP", "810012345678"}, {"VN", "PS-GRIP-BLK"}},
				Prices: []Price{{Code: "RTL", Amount: "14.99"}}, Descriptions: []Description{{Type: "F", Text: "Grip Black"}},
				Pack: &Pack{Pack: 12, Size: "1", Unit: "EA"}, Distribution: []StoreQuantity{{Unit: "EA", Qualifier: "92", Store: "0101", Quantity: "12"}, {Unit: "EA", Qualifier: "92", Store: "0102", Quantity: "12"}}},
			{Number: "2", Quantity: "4.5", Unit: "CA", UnitPrice: "102.00", PriceBasis: "PE", Products: []ProductID{{"UK", "10810012345699"}},
				References: []Reference{{Qualifier: "PD", ID: "PROMO7"}}, Dates: []DateRef{{Qualifier: "002", Date: "20240120"}}},
		},
	}
}

func sampleShipment() *Shipment {
	return &Shipment{
		ID: "ASN-0001", Date: "20240111", Time: "1405", ShipDate: "20240111", DeliveryDate: "20240114",
		Packaging: "CTN25", GrossWeight: "42.5", WeightUnit: "LB", SCAC: "UPSN", Method: "U", Routing: "UPS GROUND",
		References: []Reference{{Qualifier: "BM", ID: "BOL123456"}, {Qualifier: "CN", ID: "PRO998877"}},
		Parties: []Party{
			{Role: "ST", Name: "Retailer X DC 12", IDQualifier: "92", ID: "0012"},
			{Role: "SF", Name: "PopSockets Warehouse", Address: []string{"5757 Central Ave"}, City: "Boulder", State: "CO", PostalCode: "80301", Country: "US"},
		},
		Orders: []ShipOrder{
			{PurchaseOrder: "4500099999", PODate: "20240105", References: []Reference{{Qualifier: "DP", ID: "042"}},
				Parties: []Party{{Role: "BY", IDQualifier: "92", ID: "0101"}},
				Cartons: []Carton{
					{SSCC: mustSSCC("0", "0810012340", "000001"), Tracking: "1Z999AA10123456784", Items: []ShipItem{
						{Line: "1", Products: []ProductID{{"UP", "810012345678"}, {"VN", "PS-GRIP-BLK"}}, Shipped: "12", Unit: "EA", Ordered: "24", OrderedUnit: "EA",
							Pack: &Pack{Pack: 12}, Description: "Grip Black"},
						{Line: "2", Products: []ProductID{{"UP", "810012345685"}}, Shipped: "6", Unit: "EA"},
					}},
					{SSCC: mustSSCC("0", "0810012340", "000002"), Items: []ShipItem{
						{Line: "1", Products: []ProductID{{"UP", "810012345678"}}, Shipped: "12", Unit: "EA"},
					}},
				}},
			{PurchaseOrder: "4500099998", Cartons: []Carton{
				{SSCC: mustSSCC("0", "0810012340", "000003"), Items: []ShipItem{
					{Line: "1", Products: []ProductID{{"UP", "810012345685"}}, Shipped: "0.5", Unit: "CA"},
				}},
			}},
		},
	}
}

func mustSSCC(ext, prefix, serial string) string {
	s, err := NewSSCC(ext[0], prefix, serial)
	if err != nil {
		panic(err)
	}
	return s
}

func sampleShippingOrder() *ShippingOrder {
	return &ShippingOrder{
		Status: "N", DepositorOrder: "SO-100234", PurchaseOrder: "4500099999", LinkSequence: "001001", MasterReference: "SO-100234",
		Parties: []Party{
			{Role: "ST", Name: "Retailer X DC 12", IDQualifier: "92", ID: "0012", Address: []string{"100 Distribution Way"}, City: "Columbus", State: "OH", PostalCode: "43215", Country: "US",
				Contacts: []Contact{{Function: "IC", Name: "Dock Office", Numbers: []CommNumber{{"TE", "5550001111"}}}}},
			{Role: "WH", Name: "Third Party Logistics", IDQualifier: "92", ID: "WH1"},
		},
		References: []Reference{{Qualifier: "PO", ID: "4500099999"}},
		Contacts:   []Contact{{Function: "IC", Name: "Order Desk", Numbers: []CommNumber{{"EM", "orders@example.com"}}}},
		Dates:      []WarehouseDate{{Qualifier: "10", Date: "20240110"}, {Qualifier: "02", Date: "20240114", TimeQualifier: "Z", Time: "1700"}},
		Remarks:    []Remark{{Code: "WHI", Text: "Fragile"}},
		Carrier:    &WarehouseCarrier{Payment: "PP", Method: "M", Routing: "UPS GROUND", SCAC: "UPSN"},
		Lines: []OrderLine{
			{Quantity: "24", Unit: "EA", Products: []ProductID{{"VN", "PS-GRIP-BLK"}, {"UP", "810012345678"}}, Description: "Grip Black"},
			{Quantity: "4.5", Unit: "CA", UPC: "008100123456", Products: []ProductID{{"VN", "PS-CASE"}}, Lot: "LOT42",
				References: []Reference{{Qualifier: "LI", ID: "2"}}, Remarks: []Remark{{Text: "Keep upright"}}},
		},
		Totals: &OrderTotals{Quantity: "28.5", Weight: "30.5", WeightUnit: "LB", Volume: "2", VolumeUnit: "CF"},
	}
}

func sampleShipAdvice() *ShipAdvice {
	return &ShipAdvice{
		ReportingCode: "F", DepositorOrder: "SO-100234", ShipDate: "20240111", ShipmentID: "SHP-9001", PurchaseOrder: "4500099999",
		Parties: []Party{
			{Role: "ST", Name: "Retailer X DC 12", IDQualifier: "92", ID: "0012", City: "Columbus", State: "OH", PostalCode: "43215"},
			{Role: "SF", Name: "Third Party Logistics", IDQualifier: "92", ID: "WH1"},
		},
		References: []Reference{{Qualifier: "BM", ID: "BOL123456"}, {Qualifier: "CN", ID: "1Z999AA10123456784"}},
		Dates:      []WarehouseDate{{Qualifier: "11", Date: "20240111"}},
		Carrier:    &CarrierDetail{Method: "U", SCAC: "UPSN", Routing: "UPS GROUND", Payment: "PP"},
		Lines: []ShipLine{
			{Marks: []Mark{{"GM", mustSSCC("0", "0810012340", "000010")}}, Status: "CC", Ordered: "24", Shipped: "24", Difference: "0", Unit: "EA",
				Products: []ProductID{{"VN", "PS-GRIP-BLK"}}, Lot: "LOT41", Description: "Grip Black"},
			{Marks: []Mark{{"GM", mustSSCC("0", "0810012340", "000011")}, {"CP", "1Z999AA10123456784"}}, Status: "CP", Ordered: "48", Shipped: "40", Difference: "8", Unit: "EA",
				UPC: "008100123456", Products: []ProductID{{"VN", "PS-GRIP-WHT"}, {"UP", "810012345685"}}, Weight: "12.5", WeightQualifier: "G", WeightUnit: "L",
				References: []Reference{{Qualifier: "LI", ID: "2"}}},
		},
		Totals: ShipTotals{Weight: "30.5", WeightUnit: "LB"},
	}
}

// buildAndEncode wraps a body in an interchange with fixed time and numbers.
func buildAndEncode(t *testing.T, fid, setID string, body []Seg) []byte {
	t.Helper()
	var out bytes.Buffer
	_, err := testEnvelope().Encode(context.Background(), &out, &Sequence{}, OutGroup{FunctionalID: fid, Sets: []OutSet{{ID: setID, Body: body}}})
	require.NoError(t, err)
	return out.Bytes()
}

// onlySet parses data, checks it is valid and returns its only set.
func onlySet(t *testing.T, data []byte) *Transaction {
	t.Helper()
	doc := ParseBytes(data)
	rep := Validate(doc)
	require.True(t, rep.Valid(), "problems: %v", rep.All())
	require.Len(t, doc.Interchanges, 1)
	require.Len(t, doc.Interchanges[0].Groups, 1)
	require.Len(t, doc.Interchanges[0].Groups[0].Sets, 1)
	return doc.Interchanges[0].Groups[0].Sets[0]
}

func TestBuild850(t *testing.T) {
	po := samplePO()
	body, err := Build850(po)
	require.NoError(t, err)
	data := buildAndEncode(t, "PO", "850", body)
	golden(t, "850.write.golden", data)
	got, err := Read850(onlySet(t, data))
	require.NoError(t, err)
	want := samplePO()
	want.LineCount, want.QuantityHash = 2, "28.5"
	assert.Equal(t, want, got, "typed round trip")
}

func TestBuild856(t *testing.T) {
	sh := sampleShipment()
	body, err := Build856(sh)
	require.NoError(t, err)
	data := buildAndEncode(t, "SH", "856", body)
	golden(t, "856.write.golden", data)
	got, err := Read856(onlySet(t, data))
	require.NoError(t, err)
	want := sampleShipment()
	want.Purpose, want.Structure, want.LadingQuantity = "00", "0001", 3
	assert.Equal(t, want, got, "typed round trip")

	t.Run("ItemOnlyStructure", func(t *testing.T) {
		sh := &Shipment{ID: "ASN-2", Date: "20240111", Time: "1405", Orders: []ShipOrder{{PurchaseOrder: "PO1",
			Items: []ShipItem{{Products: []ProductID{{"UP", "810012345678"}}, Shipped: "3", Unit: "EA"}}}}}
		body, err := Build856(sh)
		require.NoError(t, err)
		ts := onlySet(t, buildAndEncode(t, "SH", "856", body))
		assert.Equal(t, "0004", ts.Body()[0].String(5))
		got, err := Read856(ts)
		require.NoError(t, err)
		assert.Equal(t, sh.Orders[0].Items, got.Orders[0].Items)
	})
}

func TestBuild940(t *testing.T) {
	body, err := Build940(sampleShippingOrder())
	require.NoError(t, err)
	data := buildAndEncode(t, "OW", "940", body)
	golden(t, "940.write.golden", data)
	got, err := Read940(onlySet(t, data))
	require.NoError(t, err)
	want := sampleShippingOrder()
	want.Lines[0].Number, want.Lines[1].Number = "1", "2"
	assert.Equal(t, want, got, "typed round trip")
}

func TestBuild945(t *testing.T) {
	body, err := Build945(sampleShipAdvice())
	require.NoError(t, err)
	data := buildAndEncode(t, "SW", "945", body)
	golden(t, "945.write.golden", data)
	got, err := Read945(onlySet(t, data))
	require.NoError(t, err)
	want := sampleShipAdvice()
	want.Lines[0].Number, want.Lines[1].Number = "1", "2"
	want.Totals.Units = "64"
	assert.Equal(t, want, got, "typed round trip")
}

func TestReadGoldens(t *testing.T) {
	for _, tc := range []struct{ file, golden string }{
		{"850.edi", "850.read.golden"},
		{"856.edi", "856.read.golden"},
		{"940.edi", "940.read.golden"},
		{"945.edi", "945.read.golden"},
		{"997.edi", "997.read.golden"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			doc := ParseBytes(readFile(t, tc.file))
			var docs []any
			for _, g := range doc.Interchanges[0].Groups {
				for _, ts := range g.Sets {
					v, err := Typed(ts)
					require.NoError(t, err)
					docs = append(docs, v)
				}
			}
			goldenJSON(t, tc.golden, docs)
		})
	}
}

func TestBuildersRejectIncompleteInput(t *testing.T) {
	tests := []struct {
		name string
		fn   func() error
	}{
		{"850WithoutLines", func() error { _, err := Build850(&PurchaseOrder{Number: "1", Date: "20240101"}); return err }},
		{"850WithoutNumber", func() error {
			_, err := Build850(&PurchaseOrder{Lines: []POLine{{Quantity: "1", Unit: "EA"}}})
			return err
		}},
		{"850LineWithBadQuantity", func() error {
			_, err := Build850(&PurchaseOrder{Number: "1", Date: "20240101", Lines: []POLine{{Quantity: "1,5", Unit: "EA"}}})
			return err
		}},
		{"856WithBadSSCC", func() error {
			sh := sampleShipment()
			sh.Orders[0].Cartons[0].SSCC = "008100123400000010"
			_, err := Build856(sh)
			return err
		}},
		{"856MixingCartonsAndItems", func() error {
			sh := sampleShipment()
			sh.Orders[0].Items = []ShipItem{{Products: []ProductID{{"UP", "1"}}, Shipped: "1", Unit: "EA"}}
			_, err := Build856(sh)
			return err
		}},
		{"856OrderWithoutPO", func() error {
			sh := sampleShipment()
			sh.Orders[1].PurchaseOrder = ""
			_, err := Build856(sh)
			return err
		}},
		{"940WithoutDepositorOrder", func() error {
			_, err := Build940(&ShippingOrder{Lines: []OrderLine{{Quantity: "1", Unit: "EA"}}})
			return err
		}},
		{"940PartyWithReferences", func() error {
			o := sampleShippingOrder()
			o.Parties[0].References = []Reference{{Qualifier: "ZZ", ID: "1"}}
			_, err := Build940(o)
			return err
		}},
		{"945WithoutParties", func() error {
			a := sampleShipAdvice()
			a.Parties = nil
			_, err := Build945(a)
			return err
		}},
		{"945WithBadSSCC", func() error {
			a := sampleShipAdvice()
			a.Lines[0].Marks[0].Number = "123"
			_, err := Build945(a)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Error(t, tt.fn()) })
	}
}

func TestTypedReadersRejectOtherSets(t *testing.T) {
	doc := ParseBytes(readFile(t, "850.edi"))
	ts := doc.Interchanges[0].Groups[0].Sets[0]
	_, err := Read856(ts)
	assert.Error(t, err)
	_, err = Read940(ts)
	assert.Error(t, err)
	_, err = Read945(ts)
	assert.Error(t, err)
	_, err = ReadFunctionalAck(ts)
	assert.Error(t, err)
	bad := ParseBytes(readFile(t, "invalid/envelope.edi"))
	_, err = Typed(bad.Interchanges[0].Groups[1].Sets[1])
	assert.ErrorIs(t, err, ErrNoTypedForm)
}
