package cirro_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/cirro"
	"github.com/popsockets/integration/shared/fault"
)

const shipmentB2B = `{
  "Order_type": 70,
  "order_no": "CR0000000042",
  "reference_no": "ORD225299",
  "status": "shipped",
  "po_number": "PO-778899",
  "warehouse_code": "US-NJ-01",
  "shipped_at": "2026-11-26T15:04:05Z",
  "dispatch_info": [
    {"pro_number": "PRO1", "arn": "2000000001", "load_id": "LOAD1", "Carrier": "UPS Freight", "carrier_scac": "UPGF", "bol": "BOL1"}
  ],
  "order_box_info": [
    {"box_no": "1", "sscc_code": "008600000000000018", "tracking_number": "1ZA", "weight": "1.26", "items": [{"sku": "PS-GRIP-BLK", "quantity": 8}]},
    {"box_no": "2", "sscc_code": "008600000000000025", "tracking_number": "1ZB", "weight": 2.5, "items": [{"sku": "PS-MOUNT-WHT", "quantity": 4}]},
    {"box_no": "3", "sscc_code": "008600000000000032", "tracking_number": "1ZA", "weight": null},
    {"box_no": "4", "tracking_number": ""}
  ],
  "a_field_cirro_added_later": {"x": 1}
}`

func TestParseSendOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		body     string
		err      string // "" when it parses
		b2b      bool
		carrier  string
		tracking []string
	}{
		{name: "B2BShipmentIsReadWithCirroFieldNames", body: shipmentB2B, b2b: true, carrier: "UPS Freight", tracking: []string{"1ZA", "1ZB"}},
		{name: "B2CAcceptanceHasNoCarrier", body: `{"Order_type":0,"order_no":"CR1","reference_no":"ORD1","status":"accepted"}`},
		{name: "MissingOrderTypeIsB2C", body: `{"order_no":"CR1","reference_no":"ORD1"}`},
		{name: "OtherOrderTypesAreNotB2B", body: `{"Order_type":10,"order_no":"CR1","reference_no":"ORD1"}`},
		{name: "CarrierFallsBackOnSCAC", body: `{"order_no":"CR1","reference_no":"ORD1","dispatch_info":[{"Carrier":""},{"carrier_scac":"FDEG"}]}`, carrier: "FDEG"},
		{name: "FirstNamedCarrierWins", body: `{"order_no":"CR1","reference_no":"ORD1","dispatch_info":[{"carrier_scac":"UPSN"},{"Carrier":"UPS"}]}`, carrier: "UPS"},
		{name: "EmptyBodyIsMalformed", body: " \n", err: "parsing Cirro SendOrder: empty body"},
		{name: "BrokenJSONSaysWhere", body: `{"order_no": "CR1",, }`, err: "invalid JSON at byte 20"},
		{name: "TruncatedJSONIsMalformed", body: `{"order_no": "CR1"`, err: "truncated JSON"},
		{name: "ArrayIsMalformed", body: `[{"order_no":"CR1"}]`, err: "want a JSON object, got a JSON array"},
		{name: "WrongTypeNamesTheField", body: `{"Order_type":"70","order_no":"CR1","reference_no":"ORD1"}`, err: "field Order_type: want int, got a JSON string"},
		{name: "WeightThatIsNotADecimalIsMalformed", body: `{"order_no":"CR1","reference_no":"ORD1","order_box_info":[{"weight":"heavy"}]}`, err: "not a decimal number"},
		{name: "TrailingDataIsMalformed", body: `{"order_no":"CR1","reference_no":"ORD1"} {}`, err: "data after the JSON object"},
		{name: "MissingReferenceNo", body: `{"order_no":"CR1"}`, err: "missing reference_no"},
		{name: "MissingOrderNo", body: `{"reference_no":"ORD1"}`, err: "missing order_no"},
		{name: "MissingBoth", body: `{"status":"shipped"}`, err: "missing reference_no and order_no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := cirro.ParseSendOrder([]byte(tt.body))
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				require.Equal(t, fault.ClassMalformed, fault.ClassOf(err))
				require.Nil(t, s)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.b2b, s.IsB2B())
			require.Equal(t, tt.carrier, s.Carrier())
			require.Equal(t, tt.tracking, s.TrackingNumbers())
		})
	}
}

func TestParseSendOrderKeepsEveryField(t *testing.T) {
	t.Parallel()
	s, err := cirro.ParseSendOrder([]byte(shipmentB2B))
	require.NoError(t, err)
	require.Equal(t, cirro.StatusShipped, s.Status)
	require.Equal(t, "PO-778899", s.PONumber)
	require.Equal(t, "2026-11-26T15:04:05Z", s.ShippedAt)
	require.Equal(t, cirro.DispatchInfo{ProNumber: "PRO1", ARN: "2000000001", LoadID: "LOAD1", Carrier: "UPS Freight", CarrierSCAC: "UPGF", BOL: "BOL1"}, s.DispatchInfo[0])
	require.Equal(t, "008600000000000018", s.OrderBoxInfo[0].SSCCCode)
	require.Equal(t, cirro.Decimal("1.26"), s.OrderBoxInfo[0].Weight)
	require.Equal(t, cirro.Decimal("2.5"), s.OrderBoxInfo[1].Weight, "a number is kept as its text")
	require.Equal(t, []cirro.BoxItem{{SKU: "PS-GRIP-BLK", Quantity: 8}}, s.OrderBoxInfo[0].Items)
}

// FuzzParseSendOrder: whatever the body (crashers found by go test -fuzz
// are kept under testdata/fuzz), ParseSendOrder returns a parsed
// order with both keys or a Malformed error, and never panics.
func FuzzParseSendOrder(f *testing.F) {
	f.Add([]byte(shipmentB2B))
	f.Add([]byte(`{"order_no":"CR1","reference_no":"ORD1","order_box_info":[{"weight":"1"}]}`))
	f.Add([]byte(`{"order_box_info":[{"weight":1e400}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := cirro.ParseSendOrder(body)
		if err != nil {
			if fault.ClassOf(err) != fault.ClassMalformed {
				t.Fatalf("error of class %s: %v", fault.ClassOf(err), err)
			}
			return
		}
		if s.ReferenceNo == "" || s.OrderNo == "" {
			t.Fatalf("parsed without its keys: %+v", s)
		}
		_ = s.TrackingNumbers()
		_ = s.Carrier()
	})
}
