package fulfillment

import (
	"fmt"
	"slices"
	"strings"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/oms"
)

// Channels.
const (
	ChannelB2C = "b2c"
	ChannelB2B = "b2b"
)

// OrderTypeB2B is Cirro's Order_type for business orders.
const OrderTypeB2B = 70

// Rules is the configurable part of classification. The company's exact
// rule is not documented, so it is settings, not code:
// FULFILLMENT_B2B_SOURCES and FULFILLMENT_PREPACK_CODES.
type Rules struct {
	// B2BSources are order sources that are always business orders
	// (default: b2b_portal, edi).
	B2BSources []string
	// PrePackCodes are the pack codes that make a line pre-packed; when
	// empty, any pack code does.
	PrePackCodes []string
}

// DefaultRules are used when the settings are empty.
var DefaultRules = Rules{B2BSources: []string{oms.SourceB2BPortal, oms.SourceEDI}}

// ParseList splits a comma-separated setting.
func ParseList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Classification is what the layer decides about a request.
type Classification struct {
	Channel string `json:"channel"`
	PrePack bool   `json:"pre_pack"`
	// Reason says which rule decided the channel, for the journey and the logs.
	Reason string `json:"reason"`
}

// Classify decides B2C or B2B and pre-pack for a fulfilment request:
// Cirro's Order_type 70, or a B2B source (the B2B portal, EDI), makes a
// business order; any line in a pre-pack makes a pre-pack order.
func Classify(r oms.FulfillmentRequest, rules Rules) Classification {
	c := Classification{Channel: ChannelB2C, Reason: "consumer order"}
	switch {
	case r.OrderType == OrderTypeB2B:
		c.Channel, c.Reason = ChannelB2B, fmt.Sprintf("order type %d", OrderTypeB2B)
	case slices.Contains(rules.B2BSources, r.Source):
		c.Channel, c.Reason = ChannelB2B, "source "+r.Source
	}
	for _, l := range r.Lines {
		if l.PackCode == "" {
			continue
		}
		if len(rules.PrePackCodes) == 0 || slices.Contains(rules.PrePackCodes, l.PackCode) {
			c.PrePack = true
			break
		}
	}
	return c
}

// Field limits: identifiers the layer stores and sends on to warehouses.
const (
	maxID   = 64
	maxText = 256
)

// Validate checks a request's fields before anything is stored, and says
// precisely what is wrong: a missing field, an identifier too long for the
// warehouses or holding control characters, a non-positive quantity.
func Validate(r oms.FulfillmentRequest) error {
	var problems []string
	check := func(err error) {
		if err != nil {
			problems = append(problems, err.Error())
		}
	}
	check(azfunc.CheckField("order_id", r.OrderID, maxID, true))
	check(azfunc.CheckField("order_number", r.OrderNumber, maxID, false))
	check(azfunc.CheckField("source", r.Source, maxID, true))
	check(azfunc.CheckField("ship_method", r.ShipMethod, maxID, true))
	check(azfunc.CheckField("po_number", r.PONumber, maxID, false))
	check(azfunc.CheckField("warehouse", r.Warehouse, maxID, false))
	if len(r.Lines) == 0 {
		problems = append(problems, "lines are missing")
	}
	for i, l := range r.Lines {
		check(azfunc.CheckField(fmt.Sprintf("lines[%d].sku", i), l.SKU, maxID, true))
		check(azfunc.CheckField(fmt.Sprintf("lines[%d].pack_code", i), l.PackCode, maxID, false))
		check(azfunc.CheckField(fmt.Sprintf("lines[%d].currency", i), l.Currency, 8, false))
		if l.Quantity <= 0 {
			problems = append(problems, fmt.Sprintf("lines[%d].quantity must be positive", i))
		}
	}
	if r.Sealed.KeyID == "" || len(r.Sealed.Nonce) == 0 || len(r.Sealed.Ciphertext) == 0 {
		problems = append(problems, "sealed customer data is missing")
	}
	check(azfunc.CheckField("sealed.kid", r.Sealed.KeyID, maxID, false))
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}
