package x12

import (
	"errors"
	"fmt"
	"strconv"
)

// ShippingOrder is a 940 warehouse shipping order (depositor to 3PL).
type ShippingOrder struct {
	Status          string            `json:"status"`                     // W0501: N new, C cancel, R replace
	DepositorOrder  string            `json:"depositor_order"`            // W0502: our sales order
	PurchaseOrder   string            `json:"purchase_order,omitempty"`   // W0503
	LinkSequence    string            `json:"link_sequence,omitempty"`    // W0504
	MasterReference string            `json:"master_reference,omitempty"` // W0505
	Parties         []Party           `json:"parties,omitempty"`          // N1 loop: ST, SF, DE, WH, BT, BY
	References      []Reference       `json:"references,omitempty"`       // N9
	Contacts        []Contact         `json:"contacts,omitempty"`         // G61
	Dates           []WarehouseDate   `json:"dates,omitempty"`            // G62: 10 requested ship, 02 deliver
	Remarks         []Remark          `json:"remarks,omitempty"`          // NTE
	Carrier         *WarehouseCarrier `json:"carrier,omitempty"`          // W66
	Lines           []OrderLine       `json:"lines"`
	Totals          *OrderTotals      `json:"totals,omitempty"` // W76
}

// WarehouseCarrier is a W66 segment.
type WarehouseCarrier struct {
	Payment string `json:"payment"`           // W6601: PP, CC, TP
	Method  string `json:"method"`            // W6602
	Routing string `json:"routing,omitempty"` // W6605: carrier name
	SCAC    string `json:"scac,omitempty"`    // W6610
}

// OrderLine is an LX loop with its W01 line.
type OrderLine struct {
	Number      string      `json:"number,omitempty"` // LX01
	Quantity    Decimal     `json:"quantity"`         // W0101
	Unit        string      `json:"unit"`             // W0102
	UPC         string      `json:"upc,omitempty"`    // W0103 (U.P.C. case code)
	Products    []ProductID `json:"products,omitempty"`
	Lot         string      `json:"lot,omitempty"`         // W0113
	Description string      `json:"description,omitempty"` // G69
	References  []Reference `json:"references,omitempty"`  // N9 in the W01 loop
	Remarks     []Remark    `json:"remarks,omitempty"`     // NTE in the W01 loop
}

// OrderTotals is a W76 segment.
type OrderTotals struct {
	Quantity   Decimal `json:"quantity"`
	Weight     Decimal `json:"weight,omitempty"`
	WeightUnit string  `json:"weight_unit,omitempty"`
	Volume     Decimal `json:"volume,omitempty"`
	VolumeUnit string  `json:"volume_unit,omitempty"`
}

// w01 product pairs: W0104/05, W0106/07 and W0115/16.
var w01Pairs = [3]int{4, 6, 15}

// Read940 reads a 940 transaction set.
func Read940(t *Transaction) (*ShippingOrder, error) {
	if t.ID() != "940" {
		return nil, fmt.Errorf("x12: transaction set %s is not a 940", t.ID())
	}
	c := newCursor(t)
	if !c.at("W05") {
		return nil, fmt.Errorf("x12: reading %s: W05 is not the first segment", c.set)
	}
	w := c.next()
	o := &ShippingOrder{Status: w.String(1), DepositorOrder: w.String(2), PurchaseOrder: w.String(3),
		LinkSequence: w.String(4), MasterReference: w.String(5), Lines: []OrderLine{}}
	var line *OrderLine
	lx := ""
	for c.more() {
		s := c.segs[c.i]
		switch string(s.ID()) {
		case "N1":
			if line == nil && lx == "" {
				o.Parties = append(o.Parties, c.party())
				continue
			}
		case "N9":
			if line != nil {
				line.References = append(line.References, readRef(s))
			} else {
				o.References = append(o.References, readRef(s))
			}
		case "G61":
			ct := Contact{Function: s.String(1), Name: s.String(2)}
			if s.String(3) != "" {
				ct.Numbers = []CommNumber{{Qualifier: s.String(3), Number: s.String(4)}}
			}
			o.Contacts = append(o.Contacts, ct)
		case "G62":
			if lx == "" {
				o.Dates = append(o.Dates, readG62(s))
			}
		case "NTE":
			r := Remark{Code: s.String(1), Text: s.String(2)}
			if line != nil {
				line.Remarks = append(line.Remarks, r)
			} else {
				o.Remarks = append(o.Remarks, r)
			}
		case "W66":
			o.Carrier = &WarehouseCarrier{Payment: s.String(1), Method: s.String(2), Routing: s.String(5), SCAC: s.String(10)}
		case "LX":
			lx, line = s.String(1), nil
		case "W01":
			qty, err := c.decimal(s, 1)
			if err != nil {
				return nil, err
			}
			l := OrderLine{Number: lx, Quantity: qty, Unit: s.String(2), UPC: s.String(3), Lot: s.String(13)}
			for _, p := range w01Pairs {
				l.Products = append(l.Products, readProducts(s, p, 1)...)
			}
			o.Lines = append(o.Lines, l)
			line = &o.Lines[len(o.Lines)-1]
		case "G69":
			if line != nil {
				line.Description = s.String(1)
			}
		case "W76":
			tot := &OrderTotals{WeightUnit: s.String(3), VolumeUnit: s.String(5)}
			var err error
			if tot.Quantity, err = c.decimal(s, 1); err != nil {
				return nil, err
			}
			if tot.Weight, err = c.decimal(s, 2); err != nil {
				return nil, err
			}
			if tot.Volume, err = c.decimal(s, 4); err != nil {
				return nil, err
			}
			o.Totals = tot
			line = nil
		}
		c.i++
	}
	return o, nil
}

// Build940 renders a shipping order as the body of a 940. Lines without a
// Number are numbered from 1.
func Build940(o *ShippingOrder) ([]Seg, error) {
	if o.DepositorOrder == "" {
		return nil, errors.New("x12: 940 needs DepositorOrder")
	}
	if len(o.Lines) == 0 {
		return nil, errors.New("x12: 940 needs at least one line")
	}
	status := o.Status
	if status == "" {
		status = "N"
	}
	out := []Seg{NewSeg("W05", status, o.DepositorOrder, o.PurchaseOrder, o.LinkSequence, o.MasterReference)}
	for _, p := range o.Parties {
		if len(p.ExtraNames) > 4 || len(p.Address) > 4 || len(p.Contacts) > 5 {
			return nil, fmt.Errorf("x12: 940 party %s exceeds the N1 loop's limits", p.Role)
		}
		segs, err := partySegs(p, false)
		if err != nil {
			return nil, err
		}
		out = append(out, segs...)
	}
	for _, r := range o.References {
		out = append(out, refSeg("N9", r))
	}
	for _, ct := range o.Contacts {
		el := []string{ct.Function, ct.Name}
		if len(ct.Numbers) > 0 {
			el = append(el, ct.Numbers[0].Qualifier, ct.Numbers[0].Number)
		}
		out = append(out, Seg{ID: "G61", Elements: el})
	}
	for _, d := range o.Dates {
		out = append(out, g62Seg(d))
	}
	for _, r := range o.Remarks {
		out = append(out, NewSeg("NTE", r.Code, r.Text))
	}
	if cr := o.Carrier; cr != nil {
		out = append(out, NewSeg("W66", cr.Payment, cr.Method, "", "", cr.Routing, "", "", "", "", cr.SCAC))
	}
	for i, l := range o.Lines {
		if !l.Quantity.Valid() || l.Unit == "" {
			return nil, fmt.Errorf("x12: 940 line %d needs Quantity and Unit", i+1)
		}
		if len(l.Products) > 3 {
			return nil, fmt.Errorf("x12: 940 line %d has more than 3 product IDs", i+1)
		}
		n := l.Number
		if n == "" {
			n = strconv.Itoa(i + 1)
		}
		out = append(out, NewSeg("LX", n))
		el := make([]string, 16)
		el[0], el[1], el[2], el[12] = string(l.Quantity), l.Unit, l.UPC, l.Lot
		for k, p := range l.Products {
			el[w01Pairs[k]-1], el[w01Pairs[k]] = p.Qualifier, p.ID
		}
		out = append(out, Seg{ID: "W01", Elements: el})
		if l.Description != "" {
			out = append(out, NewSeg("G69", l.Description))
		}
		for _, r := range l.References {
			out = append(out, refSeg("N9", r))
		}
		for _, r := range l.Remarks {
			out = append(out, NewSeg("NTE", r.Code, r.Text))
		}
	}
	if t := o.Totals; t != nil {
		out = append(out, NewSeg("W76", string(t.Quantity), string(t.Weight), t.WeightUnit, string(t.Volume), t.VolumeUnit))
	}
	return out, nil
}
