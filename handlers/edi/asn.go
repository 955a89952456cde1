package edi

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/popsockets/integration/handlers/fulfillment"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/rsx"
	"github.com/popsockets/integration/shared/x12"
)

// ShipmentFacts is what the warehouse reported, with the carton detail.
type ShipmentFacts struct {
	OrderID      string
	TPLOrderNo   string
	PONumber     string
	ShippedAt    time.Time
	BillOfLading string
	SCAC         string
	Carrier      string
	ProNumber    string
	Weight       string
	Cartons      []fulfillment.Carton
}

// shippedLine is a PO line with what shipped of it, per carton.
type shippedLine struct {
	line    POLine
	item    string
	shipped int64
}

// Preflight checks a ship notice against its PO and the pack data before
// it can leave: every carton has a valid SSCC-18 (check digit) used once,
// holds items, every item is a line of the PO, and no line ships more than
// was ordered. A non-compliant ASN is parked with every reason, never sent.
func Preflight(pt *Partner, po PO, f ShipmentFacts) error {
	var problems []string
	if len(f.Cartons) == 0 {
		problems = append(problems, "the shipment has no cartons (an ASN needs one SSCC per carton)")
	}
	lines, err := shippedLines(pt, po, f)
	if err != nil {
		problems = append(problems, err.Error())
	}
	seen := map[string]bool{}
	for i, c := range f.Cartons {
		switch {
		case !x12.ValidSSCC(c.SSCC) || len(c.SSCC) != 18:
			problems = append(problems, fmt.Sprintf("carton %d: SSCC %q is not an 18-digit SSCC with a valid check digit", i+1, c.SSCC))
		case seen[c.SSCC]:
			problems = append(problems, fmt.Sprintf("carton %d: SSCC %s is on two cartons", i+1, c.SSCC))
		}
		seen[c.SSCC] = true
		if len(c.Items) == 0 {
			problems = append(problems, fmt.Sprintf("carton %d (%s) holds no items", i+1, c.SSCC))
		}
	}
	for _, l := range lines {
		ordered, err := strconv.ParseFloat(l.line.Quantity, 64)
		if err == nil && float64(l.shipped) > ordered {
			problems = append(problems, fmt.Sprintf("PO line %s (%s): %d shipped, %s ordered", l.line.Sequence, l.item, l.shipped, l.line.Quantity))
		}
	}
	if len(problems) > 0 {
		return fault.Permanentf("non-compliant ASN for PO %s (order %s), not sent: %s", po.Number, f.OrderID, strings.Join(problems, "; "))
	}
	return nil
}

// shippedLines matches each carton's SKUs to the PO's lines.
func shippedLines(pt *Partner, po PO, f ShipmentFacts) ([]*shippedLine, error) {
	byItem := map[string]*shippedLine{}
	var order []*shippedLine
	for _, l := range po.Lines {
		item, ok := pt.ItemNo(l)
		if !ok {
			continue
		}
		sl := &shippedLine{line: l, item: item}
		byItem[item] = sl
		order = append(order, sl)
	}
	var unknown []string
	for _, c := range f.Cartons {
		for _, it := range c.Items {
			sl, ok := byItem[it.SKU]
			if !ok {
				unknown = append(unknown, it.SKU)
				continue
			}
			if it.Quantity <= 0 {
				return nil, fmt.Errorf("carton %s: %s has quantity %d", c.SSCC, it.SKU, it.Quantity)
			}
			sl.shipped += int64(it.Quantity)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return order, fmt.Errorf("SKU(s) %s shipped but not on PO %s", strings.Join(unknown, ", "), po.Number)
	}
	return order, nil
}

func (f ShipmentFacts) shipmentID() string {
	id := f.TPLOrderNo
	if id == "" {
		id = f.OrderID
	}
	return id
}

// RSXShipment is the ship notice in RSX 7.7, pick and pack (0001): one
// PackLevel per carton with AI 00 + SSCC, the PO's references, line
// sequence numbers and part numbers echoed.
func RSXShipment(pt *Partner, po PO, f ShipmentFacts) (*rsx.Shipment, error) {
	lines, err := shippedLines(pt, po, f)
	if err != nil {
		return nil, err
	}
	byItem := map[string]*shippedLine{}
	for _, l := range lines {
		byItem[l.item] = l
	}
	tp := po.TradingPartnerID
	if tp == "" && len(pt.TradingPartnerIDs) > 0 {
		tp = pt.TradingPartnerIDs[0]
	}
	s := &rsx.Shipment{TradingPartnerID: tp, ShipmentID: f.shipmentID(), ShipDate: f.ShippedAt.UTC().Format("2006-01-02"),
		ShipNoticeDate: f.ShippedAt.UTC().Format("2006-01-02"), ShipNoticeTime: f.ShippedAt.UTC().Format("15:04:05"),
		BillOfLading: f.BillOfLading, CarrierPro: f.ProNumber, SCAC: f.SCAC, CarrierRouting: f.Carrier, TransMethod: "M",
		Cartons: len(f.Cartons), Weight: f.Weight, Addresses: []rsx.Address{po.ShipTo}}
	if f.Weight != "" {
		s.WeightUOM = "LB"
	}
	o := rsx.ShipOrder{PONumber: po.Number, PODate: po.Date, Department: po.Department, Vendor: po.Vendor, References: po.References}
	for _, c := range f.Cartons {
		p := rsx.Pack{SSCC: c.SSCC, Tracking: c.TrackingNumber}
		for _, it := range c.Items {
			l := byItem[it.SKU]
			p.Items = append(p.Items, rsx.ShipLine{Sequence: l.line.Sequence, BuyerPartNumber: l.line.BuyerPartNumber,
				VendorPartNumber: l.item, ConsumerPackageCode: l.line.UPC, GTIN: l.line.GTIN, OrderQty: l.line.Quantity,
				OrderQtyUOM: l.line.UOM, ShipQty: strconv.Itoa(it.Quantity), ShipQtyUOM: l.line.UOM})
		}
		o.Packs = append(o.Packs, p)
	}
	s.Orders = []rsx.ShipOrder{o}
	return s, nil
}

// X12Shipment is the ship notice as an X12 856 (S/O/P/I).
func X12Shipment(pt *Partner, po PO, f ShipmentFacts) (*x12.Shipment, error) {
	lines, err := shippedLines(pt, po, f)
	if err != nil {
		return nil, err
	}
	byItem := map[string]*shippedLine{}
	for _, l := range lines {
		byItem[l.item] = l
	}
	s := &x12.Shipment{ID: f.shipmentID(), Date: f.ShippedAt.UTC().Format("20060102"), Time: f.ShippedAt.UTC().Format("1504"),
		ShipDate: f.ShippedAt.UTC().Format("20060102"), Packaging: "CTN25", SCAC: f.SCAC, Method: "M", Routing: f.Carrier}
	if f.Weight != "" {
		s.GrossWeight, s.WeightUnit = x12.Decimal(f.Weight), "LB"
	}
	if f.BillOfLading != "" {
		s.References = append(s.References, x12.Reference{Qualifier: "BM", ID: f.BillOfLading})
	}
	if f.ProNumber != "" {
		s.References = append(s.References, x12.Reference{Qualifier: "CN", ID: f.ProNumber})
	}
	s.Parties = append(s.Parties, x12.Party{Role: "ST", Name: po.ShipTo.Name, IDQualifier: qualifier(po.ShipTo.LocationQualifier), ID: po.ShipTo.LocationNumber})
	o := x12.ShipOrder{PurchaseOrder: po.Number, PODate: strings.ReplaceAll(po.Date, "-", "")}
	if po.Department != "" {
		o.References = append(o.References, x12.Reference{Qualifier: "DP", ID: po.Department})
	}
	if po.Vendor != "" {
		o.References = append(o.References, x12.Reference{Qualifier: "IA", ID: po.Vendor})
	}
	for _, c := range f.Cartons {
		ct := x12.Carton{SSCC: c.SSCC, Tracking: c.TrackingNumber}
		for _, it := range c.Items {
			l := byItem[it.SKU]
			ids := []x12.ProductID{{Qualifier: "VN", ID: l.item}}
			if l.line.UPC != "" {
				ids = append(ids, x12.ProductID{Qualifier: "UP", ID: l.line.UPC})
			}
			if l.line.BuyerPartNumber != "" {
				ids = append(ids, x12.ProductID{Qualifier: "BP", ID: l.line.BuyerPartNumber})
			}
			ct.Items = append(ct.Items, x12.ShipItem{Line: l.line.Sequence, Products: ids, Shipped: x12.DecimalFromInt(int64(it.Quantity)),
				Unit: l.line.UOM, Ordered: x12.Decimal(l.line.Quantity), OrderedUnit: l.line.UOM})
		}
		o.Cartons = append(o.Cartons, ct)
	}
	s.Orders = []x12.ShipOrder{o}
	return s, nil
}

func qualifier(q string) string {
	if q == "" {
		return "92"
	}
	return q
}

// ShipAdvice is the 945 for NAV: the sales order (W0602 = the 940's
// W0502), one LX per carton item with the carton's SSCC (MAN GM), shipped
// against ordered, BOL and carrier.
func ShipAdvice(pt *Partner, po PO, f ShipmentFacts) (*x12.ShipAdvice, error) {
	lines, err := shippedLines(pt, po, f)
	if err != nil {
		return nil, err
	}
	byItem := map[string]*shippedLine{}
	for _, l := range lines {
		byItem[l.item] = l
	}
	a := &x12.ShipAdvice{DepositorOrder: f.OrderID, ShipDate: f.ShippedAt.UTC().Format("20060102"), ShipmentID: f.shipmentID(),
		PurchaseOrder: po.Number, Parties: []x12.Party{{Role: "ST", Name: po.ShipTo.Name, IDQualifier: qualifier(po.ShipTo.LocationQualifier), ID: po.ShipTo.LocationNumber}},
		Dates: []x12.WarehouseDate{{Qualifier: "11", Date: f.ShippedAt.UTC().Format("20060102")}}}
	if f.BillOfLading != "" {
		a.References = append(a.References, x12.Reference{Qualifier: "BM", ID: f.BillOfLading})
	}
	if f.SCAC != "" {
		a.Carrier = &x12.CarrierDetail{Method: "M", SCAC: f.SCAC, Routing: f.Carrier}
	}
	var total int64
	n := 0
	for _, c := range f.Cartons {
		for _, it := range c.Items {
			l := byItem[it.SKU]
			n++
			status := "CC"
			if ord, err := strconv.ParseInt(l.line.Quantity, 10, 64); err == nil && l.shipped < ord {
				status = "CP"
			}
			marks := []x12.Mark{{Qualifier: "GM", Number: c.SSCC}}
			if c.TrackingNumber != "" {
				marks = append(marks, x12.Mark{Qualifier: "CP", Number: c.TrackingNumber})
			}
			a.Lines = append(a.Lines, x12.ShipLine{Number: strconv.Itoa(n), Marks: marks, Status: status, Ordered: x12.Decimal(l.line.Quantity),
				Shipped: x12.DecimalFromInt(int64(it.Quantity)), Unit: l.line.UOM, UPC: l.line.UPC,
				Products: []x12.ProductID{{Qualifier: "VN", ID: l.item}}})
			total += int64(it.Quantity)
		}
	}
	a.Totals = x12.ShipTotals{Units: x12.DecimalFromInt(total)}
	if f.Weight != "" {
		a.Totals.Weight, a.Totals.WeightUnit = x12.Decimal(f.Weight), "LB"
	}
	return a, nil
}

// Interchange describes one side of an X12 exchange.
type Interchange struct {
	Qualifier string
	ID        string
}

// encodeX12 wraps one set in an interchange addressed from us to them.
func encodeX12(ctx context.Context, w io.Writer, nums x12.ControlNumbers, from, to Interchange, functionalID, setID string, body []x12.Seg, at time.Time) (*x12.Sent, error) {
	env := x12.Envelope{SenderQualifier: from.Qualifier, SenderID: from.ID, ReceiverQualifier: to.Qualifier, ReceiverID: to.ID,
		Time: at, Suffix: "\n"}
	return env.Encode(ctx, w, nums, x12.OutGroup{FunctionalID: functionalID, Sets: []x12.OutSet{{ID: setID, Body: body}}})
}
