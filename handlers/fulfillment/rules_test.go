package fulfillment

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/golden"
	"github.com/popsockets/integration/shared/oms"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	line := func(pack string) oms.Line { return oms.Line{SKU: "PS-GRIP-BLK", Quantity: 1, PackCode: pack} }
	cases := []struct {
		name  string
		req   oms.FulfillmentRequest
		rules Rules
		want  Classification
	}{
		{"ConsumerOrder", oms.FulfillmentRequest{Source: "sfcc", Lines: []oms.Line{line("")}}, DefaultRules,
			Classification{Channel: ChannelB2C, Reason: "consumer order"}},
		{"OrderType70IsBusiness", oms.FulfillmentRequest{Source: "sfcc", OrderType: 70, Lines: []oms.Line{line("")}}, DefaultRules,
			Classification{Channel: ChannelB2B, Reason: "order type 70"}},
		{"B2BPortalIsBusiness", oms.FulfillmentRequest{Source: "b2b_portal", Lines: []oms.Line{line("")}}, DefaultRules,
			Classification{Channel: ChannelB2B, Reason: "source b2b_portal"}},
		{"EDIIsBusiness", oms.FulfillmentRequest{Source: "edi", Lines: []oms.Line{line("")}}, DefaultRules,
			Classification{Channel: ChannelB2B, Reason: "source edi"}},
		{"SourcesAreConfigurable", oms.FulfillmentRequest{Source: "edi", Lines: []oms.Line{line("")}}, Rules{B2BSources: []string{"b2b_portal"}},
			Classification{Channel: ChannelB2C, Reason: "consumer order"}},
		{"AnyPackCodeIsPrePackByDefault", oms.FulfillmentRequest{Source: "sfcc", Lines: []oms.Line{line(""), line("PK6")}}, DefaultRules,
			Classification{Channel: ChannelB2C, PrePack: true, Reason: "consumer order"}},
		{"OnlyListedPackCodesWhenConfigured", oms.FulfillmentRequest{Source: "sfcc", Lines: []oms.Line{line("PK6")}}, Rules{PrePackCodes: []string{"PK12"}},
			Classification{Channel: ChannelB2C, Reason: "consumer order"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, Classify(tc.req, tc.rules))
		})
	}
	require.Equal(t, []string{"a", "b"}, ParseList(" a, ,b "))
}

func TestValidateSaysWhatIsWrong(t *testing.T) {
	t.Parallel()
	err := Validate(oms.FulfillmentRequest{Lines: []oms.Line{{SKU: "", Quantity: 0}}})
	require.EqualError(t, err, "order_id is missing; source is missing; ship_method is missing; lines[0].sku is missing; "+
		"lines[0].quantity must be positive; sealed customer data is missing")
}

func TestShipMethods(t *testing.T) {
	t.Parallel()
	m, err := ParseShipMethods(`{"cirro":{"STANDARD":"USPS_GROUND","EXPRESS":"UPS_2DAY"}}`)
	require.NoError(t, err)
	code, err := m.Lookup("cirro", "EXPRESS")
	require.NoError(t, err)
	require.Equal(t, "UPS_2DAY", code)
	_, err = m.Lookup("cirro", "OVERNIGHT")
	require.Equal(t, fault.ClassPermanent, fault.ClassOf(err), "an unmapped method waits for a person, it is not retried")
	require.EqualError(t, err, `ship method "OVERNIGHT" has no cirro mapping in SHIP_METHODS (mapped: EXPRESS, STANDARD)`)
	_, err = ParseShipMethods(`["cirro"]`)
	require.ErrorContains(t, err, "SHIP_METHODS")
	empty, err := ParseShipMethods("")
	require.NoError(t, err)
	_, err = empty.Lookup("xb", "STANDARD")
	require.Error(t, err)
}

func sample(b2b bool) (Requested, oms.Customer) {
	req := oms.FulfillmentRequest{
		OrderID: "ORD225299", OrderNumber: "SF-10042", Source: "sfcc", ShipMethod: "STANDARD",
		RequestedAt: time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC),
		Lines: []oms.Line{
			{LineNo: 1, SKU: "PS-GRIP-BLK", Quantity: 2},
			{LineNo: 2, SKU: "PS-MAGSAFE-SAGE", Quantity: 1},
			{LineNo: 3, SKU: "PS-GRIP-BLK", Quantity: 1},
		},
	}
	cls := Classification{Channel: ChannelB2C}
	if b2b {
		req.Source, req.OrderType, req.PONumber = "b2b_portal", 70, "PO264566"
		cls.Channel = ChannelB2B
	}
	c := oms.Customer{Name: "Avery Lindqvist", Company: "Northwind Retail", Email: "avery@example.com", Phone: "303-555-0142",
		Address: oms.Address{Line1: "1200 Pearl St", Line2: "Suite 4", City: "Boulder", Region: "CO", PostalCode: "80302", Country: "US"}}
	return Requested{TPL: "cirro", Request: req, Classification: cls}, c
}

func TestMappingGolden(t *testing.T) {
	t.Parallel()
	ships := ShipMethods{"cirro": {"STANDARD": "USPS_GROUND"}, "xb": {"STANDARD": "STANDARD"}}

	p, c := sample(false)
	order, b2b, err := CirroOrder(p, c, ships, "US-EAST")
	require.NoError(t, err)
	require.Nil(t, b2b)
	golden.JSON(t, "cirro_b2c.golden", order)

	p, c = sample(true)
	_, b2b, err = CirroOrder(p, c, ships, "")
	require.NoError(t, err)
	require.NotNil(t, b2b)
	golden.JSON(t, "cirro_b2b.golden", b2b)

	p.Request.PONumber = ""
	_, _, err = CirroOrder(p, c, ships, "")
	require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
	require.ErrorContains(t, err, "no po_number")

	p, c = sample(false)
	p.TPL = "xb"
	x, err := XBOrder(p, c, ships)
	require.NoError(t, err)
	golden.JSON(t, "xb.golden", x)
}
