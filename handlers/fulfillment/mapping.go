package fulfillment

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/popsockets/integration/shared/cirro"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/xb"
)

// ShipMethods maps OMS ship methods to each warehouse's codes. It is the
// SHIP_METHODS setting, JSON: {"cirro": {"STANDARD": "USPS_GROUND"}, "xb": {...}}.
type ShipMethods map[string]map[string]string

// ParseShipMethods reads the SHIP_METHODS setting.
func ParseShipMethods(s string) (ShipMethods, error) {
	m := ShipMethods{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("SHIP_METHODS is not a JSON object of warehouse -> {OMS method: warehouse code}: %w", err)
	}
	return m, nil
}

// Lookup returns the warehouse's code for an OMS ship method. An unmapped
// method is permanent: retrying cannot help until the mapping is fixed, and
// the message is parked so it can be replayed then.
func (m ShipMethods) Lookup(tpl, method string) (string, error) {
	code, ok := m[tpl][method]
	if !ok || code == "" {
		known := make([]string, 0, len(m[tpl]))
		for k := range m[tpl] {
			known = append(known, k)
		}
		sort.Strings(known)
		return "", fault.Permanentf("ship method %q has no %s mapping in SHIP_METHODS (mapped: %s)", method, tpl, strings.Join(known, ", "))
	}
	return code, nil
}

// CirroOrder maps a fulfilment request and its decrypted customer to
// Cirro's order create: the B2C order, or, for a business order, the B2B
// order with the retailer's PO.
func CirroOrder(p Requested, c oms.Customer, ship ShipMethods, warehouse string) (cirro.OrderCreate, *cirro.B2BOrderCreate, error) {
	method, err := ship.Lookup("cirro", p.Request.ShipMethod)
	if err != nil {
		return cirro.OrderCreate{}, nil, err
	}
	o := cirro.OrderCreate{
		ReferenceNo:    p.Request.OrderID,
		ShippingMethod: method,
		WarehouseCode:  warehouse,
		Consignee: cirro.Consignee{
			Name: c.Name, Company: c.Company, Phone: c.Phone, Email: c.Email,
			CountryCode: c.Address.Country, Province: c.Address.Region, City: c.Address.City,
			Address1: c.Address.Line1, Address2: c.Address.Line2, Zipcode: c.Address.PostalCode,
		},
		Items: cirroItems(p.Request.Lines),
	}
	if p.Request.OrderNumber != "" {
		o.Remark = "order " + p.Request.OrderNumber
	}
	if p.Classification.Channel != ChannelB2B {
		return o, nil, nil
	}
	if p.Request.PONumber == "" {
		return cirro.OrderCreate{}, nil, fault.Permanentf("business order %s has no po_number, which Cirro's B2B create requires", p.Request.OrderID)
	}
	b2b := &cirro.B2BOrderCreate{OrderCreate: o, PONumber: p.Request.PONumber}
	if p.Labels != nil {
		// Built from the trading-partner configuration by the EDI flow;
		// passed through unread, so a new retailer needs no code here.
		b2b.LabelTemplate, b2b.CartonList = p.Labels.LabelTemplate, p.Labels.CartonList
	}
	return o, b2b, nil
}

// StateRank is a state's rank in the one table of an order's states
// (states.go), for flows that record an order they route themselves.
func StateRank(state string) int { return rank(state) }

// cirroItems merges lines of the same SKU, in first-seen order.
func cirroItems(lines []oms.Line) []cirro.Item {
	var out []cirro.Item
	at := map[string]int{}
	for _, l := range lines {
		if i, ok := at[l.SKU]; ok {
			out[i].Quantity += l.Quantity
			continue
		}
		at[l.SKU] = len(out)
		out = append(out, cirro.Item{SKU: l.SKU, Quantity: l.Quantity})
	}
	return out
}

// XBOrder maps a fulfilment request and its decrypted customer to XB's order.
func XBOrder(p Requested, c oms.Customer, ship ShipMethods) (xb.Order, error) {
	method, err := ship.Lookup("xb", p.Request.ShipMethod)
	if err != nil {
		return xb.Order{}, err
	}
	o := xb.Order{
		OrderNo: p.Request.OrderID,
		ShipTo: xb.ShipTo{
			Name: c.Name, Company: c.Company, Phone: c.Phone, Email: c.Email,
			Line1: c.Address.Line1, Line2: c.Address.Line2, City: c.Address.City,
			Region: c.Address.Region, PostalCode: c.Address.PostalCode, Country: c.Address.Country,
		},
		ShipMethod: method,
		Reference:  p.Request.OrderNumber,
	}
	if p.Request.PONumber != "" {
		o.Reference = "PO " + p.Request.PONumber
	}
	for _, it := range cirroItems(p.Request.Lines) {
		o.Lines = append(o.Lines, xb.Line{SKU: it.SKU, Qty: it.Quantity})
	}
	return o, nil
}
