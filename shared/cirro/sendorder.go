package cirro

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"

	"github.com/popsockets/integration/shared/fault"
)

// Cirro's Order_type values, from the customer's notes on SendOrder.
const (
	OrderTypeB2C        = 0
	OrderTypeFBA        = 10
	OrderTypeDisposal   = 20
	OrderTypeSelfPickup = 30
	OrderTypeVC         = 50
	OrderTypeWFS        = 60
	OrderTypeB2B        = 70
)

// SendOrder is what Cirro posts to us when it accepts an order and when it
// ships one. JSON names are Cirro's own, capitals included.
type SendOrder struct {
	OrderType     int    `json:"Order_type"`
	OrderNo       string `json:"order_no"`
	ReferenceNo   string `json:"reference_no"`
	Status        string `json:"status"`
	PONumber      string `json:"po_number,omitempty"`
	WarehouseCode string `json:"warehouse_code,omitempty"`
	// ShippedAt is an RFC 3339 time, set on shipments.
	ShippedAt    string         `json:"shipped_at,omitempty"`
	DispatchInfo []DispatchInfo `json:"dispatch_info,omitempty"`
	OrderBoxInfo []Box          `json:"order_box_info,omitempty"`
}

// DispatchInfo is how a shipment left the warehouse.
type DispatchInfo struct {
	ProNumber   string `json:"pro_number,omitempty"`
	ARN         string `json:"arn,omitempty"`
	LoadID      string `json:"load_id,omitempty"`
	Carrier     string `json:"Carrier,omitempty"`
	CarrierSCAC string `json:"carrier_scac,omitempty"`
	BOL         string `json:"bol,omitempty"`
}

// Box is one carton of a shipment.
type Box struct {
	BoxNo          string    `json:"box_no,omitempty"`
	SSCCCode       string    `json:"sscc_code,omitempty"`
	TrackingNumber string    `json:"tracking_number,omitempty"`
	Weight         Decimal   `json:"weight,omitempty"`
	Items          []BoxItem `json:"items,omitempty"`
}

// BoxItem is a quantity of one SKU in a box.
type BoxItem struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// Decimal is a decimal number kept as its text ("1.25"), never as a float.
// It reads a JSON string or a JSON number and writes a JSON string.
type Decimal string

var decimalText = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// UnmarshalJSON accepts "1.25", 1.25 and null.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*d = ""
		return nil
	}
	var s string
	kind := "number"
	if len(b) > 0 && b[0] == '"' {
		kind = "string"
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	} else {
		s = string(b)
	}
	if s != "" && !decimalText.MatchString(s) {
		// The decoder adds the field's name to this error.
		return &json.UnmarshalTypeError{Value: kind + " that is not a decimal number", Type: reflect.TypeFor[Decimal]()}
	}
	*d = Decimal(s)
	return nil
}

// ParseSendOrder reads a SendOrder body. Unknown fields are ignored, so
// Cirro can add fields without breaking us. A body that is not JSON, or has
// no reference_no or order_no, is refused with a fault.Malformed error that
// says where, without echoing the body.
func ParseSendOrder(body []byte) (*SendOrder, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fault.Malformedf("parsing Cirro SendOrder: empty body")
	}
	var s SendOrder
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&s); err != nil {
		return nil, fault.Malformed(fmt.Errorf("parsing Cirro SendOrder: %s", describeJSONError(err)))
	}
	if dec.More() {
		return nil, fault.Malformedf("parsing Cirro SendOrder: data after the JSON object at byte %d", dec.InputOffset())
	}
	var missing []string
	if s.ReferenceNo == "" {
		missing = append(missing, "reference_no")
	}
	if s.OrderNo == "" {
		missing = append(missing, "order_no")
	}
	if len(missing) > 0 {
		return nil, fault.Malformedf("parsing Cirro SendOrder: missing %s", joinAnd(missing))
	}
	return &s, nil
}

// describeJSONError turns a decoding error into a message that names the
// place and the field but not the content.
func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("want a JSON object, got a JSON %s", typ.Value)
		}
		return fmt.Sprintf("field %s: want %s, got a JSON %s", typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	default:
		return err.Error()
	}
}

// IsB2B reports whether Cirro flagged the order as B2B (Order_type 70).
func (s *SendOrder) IsB2B() bool { return s.OrderType == OrderTypeB2B }

// Carrier returns the first carrier name in dispatch_info, or failing that
// the first carrier SCAC; "" when there is none.
func (s *SendOrder) Carrier() string {
	for _, d := range s.DispatchInfo {
		if d.Carrier != "" {
			return d.Carrier
		}
	}
	for _, d := range s.DispatchInfo {
		if d.CarrierSCAC != "" {
			return d.CarrierSCAC
		}
	}
	return ""
}

// TrackingNumbers returns the boxes' tracking numbers, each once, in the
// order they first appear; empty ones are skipped.
func (s *SendOrder) TrackingNumbers() []string {
	var out []string
	seen := make(map[string]bool)
	for _, b := range s.OrderBoxInfo {
		if b.TrackingNumber == "" || seen[b.TrackingNumber] {
			continue
		}
		seen[b.TrackingNumber] = true
		out = append(out, b.TrackingNumber)
	}
	return out
}

func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	out := xs[0]
	for _, x := range xs[1 : len(xs)-1] {
		out += ", " + x
	}
	return out + " and " + xs[len(xs)-1]
}
