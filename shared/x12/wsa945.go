package x12

import (
	"errors"
	"fmt"
	"strconv"
)

// ShipAdvice is a 945 warehouse shipping advice (3PL to depositor). It is
// matched to its 940 by DepositorOrder (W0602 = W0502).
type ShipAdvice struct {
	ReportingCode   string          `json:"reporting_code"`              // W0601: F full detail
	DepositorOrder  string          `json:"depositor_order"`             // W0602
	ShipDate        string          `json:"ship_date"`                   // W0603 CCYYMMDD
	ShipmentID      string          `json:"shipment_id,omitempty"`       // W0604: 3PL shipment ID
	AgentShipmentID string          `json:"agent_shipment_id,omitempty"` // W0605
	PurchaseOrder   string          `json:"purchase_order,omitempty"`    // W0606
	Parties         []Party         `json:"parties"`                     // N1 loop (at least one)
	References      []Reference     `json:"references,omitempty"`        // N9: BM bill of lading, CN PRO
	Dates           []WarehouseDate `json:"dates,omitempty"`             // G62: 11 shipped
	Remarks         []Remark        `json:"remarks,omitempty"`           // NTE
	Carrier         *CarrierDetail  `json:"carrier,omitempty"`           // W27
	Lines           []ShipLine      `json:"lines"`
	Totals          ShipTotals      `json:"totals"` // W03
}

// CarrierDetail is a W27 segment.
type CarrierDetail struct {
	Method  string `json:"method"`            // W2701
	SCAC    string `json:"scac,omitempty"`    // W2702
	Routing string `json:"routing,omitempty"` // W2703
	Payment string `json:"payment,omitempty"` // W2704
}

// ShipLine is an LX loop: carton marks and one W12 line.
type ShipLine struct {
	Number          string      `json:"number,omitempty"` // LX01
	Marks           []Mark      `json:"marks,omitempty"`  // MAN: GM SSCC-18, CP/CN tracking
	Status          string      `json:"status"`           // W1201: CC complete, CP partial
	Ordered         Decimal     `json:"ordered,omitempty"`
	Shipped         Decimal     `json:"shipped,omitempty"`
	Difference      Decimal     `json:"difference,omitempty"`
	Unit            string      `json:"unit,omitempty"`
	UPC             string      `json:"upc,omitempty"` // W1206
	Products        []ProductID `json:"products,omitempty"`
	Lot             string      `json:"lot,omitempty"`    // W1209
	Weight          Decimal     `json:"weight,omitempty"` // W1210
	WeightQualifier string      `json:"weight_qualifier,omitempty"`
	WeightUnit      string      `json:"weight_unit,omitempty"`
	Description     string      `json:"description,omitempty"` // G69
	References      []Reference `json:"references,omitempty"`  // N9 in the W12 loop
}

// ShipTotals is a W03 segment.
type ShipTotals struct {
	Units      Decimal `json:"units"` // W0301
	Weight     Decimal `json:"weight,omitempty"`
	WeightUnit string  `json:"weight_unit,omitempty"`
	Volume     Decimal `json:"volume,omitempty"`
	VolumeUnit string  `json:"volume_unit,omitempty"`
}

// Read945 reads a 945 transaction set.
func Read945(t *Transaction) (*ShipAdvice, error) {
	if t.ID() != "945" {
		return nil, fmt.Errorf("x12: transaction set %s is not a 945", t.ID())
	}
	c := newCursor(t)
	if !c.at("W06") {
		return nil, fmt.Errorf("x12: reading %s: W06 is not the first segment", c.set)
	}
	w := c.next()
	a := &ShipAdvice{ReportingCode: w.String(1), DepositorOrder: w.String(2), ShipDate: w.String(3),
		ShipmentID: w.String(4), AgentShipmentID: w.String(5), PurchaseOrder: w.String(6), Lines: []ShipLine{}}
	var line *ShipLine
	inLX := false
	for c.more() {
		s := c.segs[c.i]
		switch string(s.ID()) {
		case "N1":
			if !inLX {
				a.Parties = append(a.Parties, c.party())
				continue
			}
		case "N9":
			switch {
			case line != nil && line.Status != "":
				line.References = append(line.References, readRef(s))
			case !inLX:
				a.References = append(a.References, readRef(s))
			}
		case "G62":
			if !inLX {
				a.Dates = append(a.Dates, readG62(s))
			}
		case "NTE":
			a.Remarks = append(a.Remarks, Remark{Code: s.String(1), Text: s.String(2)})
		case "W27":
			if !inLX {
				a.Carrier = &CarrierDetail{Method: s.String(1), SCAC: s.String(2), Routing: s.String(3), Payment: s.String(4)}
			}
		case "LX":
			inLX = true
			a.Lines = append(a.Lines, ShipLine{Number: s.String(1)})
			line = &a.Lines[len(a.Lines)-1]
		case "MAN":
			if line != nil {
				line.Marks = append(line.Marks, Mark{Qualifier: s.String(1), Number: s.String(2)})
			}
		case "W12":
			if line == nil || line.Status != "" {
				// a W12 without its own LX: start a line for it
				a.Lines = append(a.Lines, ShipLine{})
				line = &a.Lines[len(a.Lines)-1]
			}
			if err := c.readW12(line, s); err != nil {
				return nil, err
			}
		case "G69":
			if line != nil {
				line.Description = s.String(1)
			}
		case "W03":
			tot := ShipTotals{WeightUnit: s.String(3), VolumeUnit: s.String(5)}
			var err error
			if tot.Units, err = c.decimal(s, 1); err != nil {
				return nil, err
			}
			if tot.Weight, err = c.decimal(s, 2); err != nil {
				return nil, err
			}
			if tot.Volume, err = c.decimal(s, 4); err != nil {
				return nil, err
			}
			a.Totals = tot
			line = nil
		}
		c.i++
	}
	return a, nil
}

func (c *cursor) readW12(l *ShipLine, s Segment) error {
	l.Status, l.Unit, l.UPC, l.Lot = s.String(1), s.String(5), s.String(6), s.String(9)
	l.WeightQualifier, l.WeightUnit = s.String(11), s.String(12)
	l.Products = append(readProducts(s, 7, 1), readProducts(s, 17, 1)...)
	var err error
	if l.Ordered, err = c.decimal(s, 2); err != nil {
		return err
	}
	if l.Shipped, err = c.decimal(s, 3); err != nil {
		return err
	}
	if l.Difference, err = c.decimal(s, 4); err != nil {
		return err
	}
	l.Weight, err = c.decimal(s, 10)
	return err
}

// Build945 renders a shipping advice as the body of a 945. Lines without a
// Number are numbered from 1; W03 units default to the sum shipped.
func Build945(a *ShipAdvice) ([]Seg, error) {
	if a.DepositorOrder == "" || a.ShipDate == "" {
		return nil, errors.New("x12: 945 needs DepositorOrder and ShipDate")
	}
	if len(a.Parties) == 0 {
		return nil, errors.New("x12: 945 needs at least one party (N1)")
	}
	code := a.ReportingCode
	if code == "" {
		code = "F"
	}
	out := []Seg{NewSeg("W06", code, a.DepositorOrder, a.ShipDate, a.ShipmentID, a.AgentShipmentID, a.PurchaseOrder)}
	for _, p := range a.Parties {
		if len(p.ExtraNames) > 2 || len(p.Address) > 4 || len(p.Contacts) > 5 {
			return nil, fmt.Errorf("x12: 945 party %s exceeds the N1 loop's limits", p.Role)
		}
		segs, err := partySegs(p, false)
		if err != nil {
			return nil, err
		}
		out = append(out, segs...)
	}
	for _, r := range a.References {
		out = append(out, refSeg("N9", r))
	}
	for _, d := range a.Dates {
		out = append(out, g62Seg(d))
	}
	for _, r := range a.Remarks {
		out = append(out, NewSeg("NTE", r.Code, r.Text))
	}
	if cr := a.Carrier; cr != nil {
		out = append(out, NewSeg("W27", cr.Method, cr.SCAC, cr.Routing, cr.Payment))
	}
	var shipped []Decimal
	for i, l := range a.Lines {
		if l.Status == "" {
			return nil, fmt.Errorf("x12: 945 line %d needs Status", i+1)
		}
		if len(l.Products) > 2 {
			return nil, fmt.Errorf("x12: 945 line %d has more than 2 product IDs", i+1)
		}
		for _, m := range l.Marks {
			if m.Qualifier == "GM" && !ValidSSCC(m.Number) {
				return nil, fmt.Errorf("x12: 945 line %d: SSCC %q has a bad check digit", i+1, m.Number)
			}
		}
		n := l.Number
		if n == "" {
			n = strconv.Itoa(i + 1)
		}
		out = append(out, NewSeg("LX", n))
		for _, m := range l.Marks {
			out = append(out, NewSeg("MAN", m.Qualifier, m.Number))
		}
		el := make([]string, 18)
		el[0], el[1], el[2], el[3], el[4], el[5] = l.Status, string(l.Ordered), string(l.Shipped), string(l.Difference), l.Unit, l.UPC
		el[8], el[9], el[10], el[11] = l.Lot, string(l.Weight), l.WeightQualifier, l.WeightUnit
		if len(l.Products) > 0 {
			el[6], el[7] = l.Products[0].Qualifier, l.Products[0].ID
		}
		if len(l.Products) > 1 {
			el[16], el[17] = l.Products[1].Qualifier, l.Products[1].ID
		}
		out = append(out, Seg{ID: "W12", Elements: el})
		if l.Description != "" {
			out = append(out, NewSeg("G69", l.Description))
		}
		for _, r := range l.References {
			out = append(out, refSeg("N9", r))
		}
		shipped = append(shipped, l.Shipped)
	}
	t := a.Totals
	if t.Units == "" {
		t.Units = sumDecimals(shipped...)
	}
	out = append(out, NewSeg("W03", string(t.Units), string(t.Weight), t.WeightUnit, string(t.Volume), t.VolumeUnit))
	return out, nil
}
