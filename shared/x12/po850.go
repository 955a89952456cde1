package x12

import (
	"errors"
	"fmt"
	"strconv"
)

// PurchaseOrder is an 850 read into plain data.
type PurchaseOrder struct {
	Purpose    string      `json:"purpose"`            // BEG01: 00 original, 05 replace, 07 duplicate
	Type       string      `json:"type"`               // BEG02: SA, DS, RL, BK
	Number     string      `json:"number"`             // BEG03
	Release    string      `json:"release,omitempty"`  // BEG04
	Date       string      `json:"date"`               // BEG05 CCYYMMDD
	Contract   string      `json:"contract,omitempty"` // BEG06
	Currency   string      `json:"currency,omitempty"` // CUR02 (CUR01 BY)
	References []Reference `json:"references,omitempty"`
	Contacts   []Contact   `json:"contacts,omitempty"`
	FOB        *FOB        `json:"fob,omitempty"`
	Terms      []Terms     `json:"terms,omitempty"`
	Dates      []DateRef   `json:"dates,omitempty"`
	Carrier    *Routing    `json:"carrier,omitempty"`
	Notes      []Note      `json:"notes,omitempty"`
	Parties    []Party     `json:"parties,omitempty"`
	Lines      []POLine    `json:"lines"`
	// LineCount and QuantityHash are CTT01/CTT02 as received; Build850
	// computes them.
	LineCount    int     `json:"line_count,omitempty"`
	QuantityHash Decimal `json:"quantity_hash,omitempty"`
}

// FOB is an FOB segment.
type FOB struct {
	Payment           string `json:"payment"`                      // FOB01: PP, CC
	LocationQualifier string `json:"location_qualifier,omitempty"` // FOB02
	Location          string `json:"location,omitempty"`           // FOB03
}

// Terms is an ITD segment.
type Terms struct {
	Type            string  `json:"type,omitempty"`             // ITD01
	BasisDate       string  `json:"basis_date,omitempty"`       // ITD02
	DiscountPercent Decimal `json:"discount_percent,omitempty"` // ITD03
	DiscountDays    string  `json:"discount_days,omitempty"`    // ITD05
	NetDays         string  `json:"net_days,omitempty"`         // ITD07
	Description     string  `json:"description,omitempty"`      // ITD12
}

// Routing is a TD5 segment naming the carrier.
type Routing struct {
	SCAC    string `json:"scac,omitempty"`    // TD503 (TD502 = 2)
	Method  string `json:"method,omitempty"`  // TD504: M motor, U parcel, A air
	Routing string `json:"routing,omitempty"` // TD505
}

// Note is an N9 loop with its MSG lines.
type Note struct {
	Qualifier string   `json:"qualifier"`
	ID        string   `json:"id,omitempty"`
	Messages  []string `json:"messages,omitempty"`
}

// POLine is a PO1 loop.
type POLine struct {
	Number       string          `json:"number,omitempty"`      // PO101
	Quantity     Decimal         `json:"quantity"`              // PO102
	Unit         string          `json:"unit"`                  // PO103: EA, CA
	UnitPrice    Decimal         `json:"unit_price,omitempty"`  // PO104
	PriceBasis   string          `json:"price_basis,omitempty"` // PO105
	Products     []ProductID     `json:"products,omitempty"`    // PO106..PO125
	Prices       []Price         `json:"prices,omitempty"`      // CTP
	Descriptions []Description   `json:"descriptions,omitempty"`
	Pack         *Pack           `json:"pack,omitempty"` // PO4
	References   []Reference     `json:"references,omitempty"`
	Distribution []StoreQuantity `json:"distribution,omitempty"` // SDQ
	Dates        []DateRef       `json:"dates,omitempty"`
}

// Price is a CTP segment.
type Price struct {
	Class  string  `json:"class,omitempty"` // CTP01
	Code   string  `json:"code"`            // CTP02: RTL retail, ...
	Amount Decimal `json:"amount"`          // CTP03
}

// Description is a PID segment.
type Description struct {
	Type string `json:"type"`           // PID01: F free-form
	Code string `json:"code,omitempty"` // PID04
	Text string `json:"text,omitempty"` // PID05
}

// StoreQuantity is one store/quantity pair of an SDQ segment.
type StoreQuantity struct {
	Unit      string  `json:"unit"`                // SDQ01
	Qualifier string  `json:"qualifier,omitempty"` // SDQ02: 92 buyer location
	Store     string  `json:"store"`
	Quantity  Decimal `json:"quantity"`
}

// Read850 reads an 850 transaction set.
func Read850(t *Transaction) (*PurchaseOrder, error) {
	if t.ID() != "850" {
		return nil, fmt.Errorf("x12: transaction set %s is not an 850", t.ID())
	}
	c := newCursor(t)
	if !c.at("BEG") {
		return nil, fmt.Errorf("x12: reading %s: BEG is not the first segment", c.set)
	}
	beg := c.next()
	po := &PurchaseOrder{Purpose: beg.String(1), Type: beg.String(2), Number: beg.String(3), Release: beg.String(4),
		Date: beg.String(5), Contract: beg.String(6), Lines: []POLine{}}
	var line *POLine
	var note *Note
	for c.more() {
		s := c.segs[c.i]
		id := string(s.ID())
		if line != nil {
			if done, err := c.lineSegment(line, s); err != nil {
				return nil, err
			} else if done {
				continue
			}
		}
		switch id {
		case "CUR":
			po.Currency = s.String(2)
		case "REF":
			po.References = append(po.References, readRef(s))
		case "PER":
			po.Contacts = append(po.Contacts, readPER(s))
		case "FOB":
			po.FOB = &FOB{Payment: s.String(1), LocationQualifier: s.String(2), Location: s.String(3)}
		case "ITD":
			pct, err := c.decimal(s, 3)
			if err != nil {
				return nil, err
			}
			po.Terms = append(po.Terms, Terms{Type: s.String(1), BasisDate: s.String(2), DiscountPercent: pct,
				DiscountDays: s.String(5), NetDays: s.String(7), Description: s.String(12)})
		case "DTM":
			po.Dates = append(po.Dates, readDTM(s))
		case "TD5":
			po.Carrier = &Routing{SCAC: s.String(3), Method: s.String(4), Routing: s.String(5)}
		case "N9":
			po.Notes = append(po.Notes, Note{Qualifier: s.String(1), ID: s.String(2)})
			note = &po.Notes[len(po.Notes)-1]
		case "MSG":
			if note != nil {
				note.Messages = append(note.Messages, s.String(1))
			}
		case "N1":
			if line == nil {
				po.Parties = append(po.Parties, c.party())
				continue
			}
		case "PO1":
			qty, err := c.decimal(s, 2)
			if err != nil {
				return nil, err
			}
			price, err := c.decimal(s, 4)
			if err != nil {
				return nil, err
			}
			po.Lines = append(po.Lines, POLine{Number: s.String(1), Quantity: qty, Unit: s.String(3), UnitPrice: price,
				PriceBasis: s.String(5), Products: readProducts(s, 6, 10)})
			line = &po.Lines[len(po.Lines)-1]
		case "CTT":
			n, err := c.integer(s, 1)
			if err != nil {
				return nil, err
			}
			hash, err := c.decimal(s, 2)
			if err != nil {
				return nil, err
			}
			po.LineCount, po.QuantityHash = n, hash
			line = nil
		}
		c.i++
	}
	return po, nil
}

// lineSegment handles a segment inside a PO1 loop; done is false when the
// segment belongs to the header or summary.
func (c *cursor) lineSegment(l *POLine, s Segment) (done bool, err error) {
	switch string(s.ID()) {
	case "CTP":
		amt, err := c.decimal(s, 3)
		if err != nil {
			return false, err
		}
		l.Prices = append(l.Prices, Price{Class: s.String(1), Code: s.String(2), Amount: amt})
	case "PID":
		l.Descriptions = append(l.Descriptions, Description{Type: s.String(1), Code: s.String(4), Text: s.String(5)})
	case "PO4":
		p, err := c.pack(s)
		if err != nil {
			return false, err
		}
		l.Pack = p
	case "REF":
		l.References = append(l.References, readRef(s))
	case "SDQ":
		for k := 3; k+1 <= s.Len() && k <= 21; k += 2 {
			if s.String(k) == "" {
				continue
			}
			q, err := c.decimal(s, k+1)
			if err != nil {
				return false, err
			}
			l.Distribution = append(l.Distribution, StoreQuantity{Unit: s.String(1), Qualifier: s.String(2), Store: s.String(k), Quantity: q})
		}
	case "DTM":
		l.Dates = append(l.Dates, readDTM(s))
	default:
		return false, nil
	}
	c.i++
	return true, nil
}

// Build850 renders a purchase order as the body of an 850 (BEG through
// CTT). CTT01 and CTT02 are computed from the lines.
func Build850(po *PurchaseOrder) ([]Seg, error) {
	if po.Number == "" || po.Date == "" {
		return nil, errors.New("x12: 850 needs Number and Date")
	}
	if len(po.Lines) == 0 {
		return nil, errors.New("x12: 850 needs at least one line")
	}
	purpose, typ := po.Purpose, po.Type
	if purpose == "" {
		purpose = "00"
	}
	if typ == "" {
		typ = "SA"
	}
	out := []Seg{NewSeg("BEG", purpose, typ, po.Number, po.Release, po.Date, po.Contract)}
	if po.Currency != "" {
		out = append(out, NewSeg("CUR", "BY", po.Currency))
	}
	for _, r := range po.References {
		out = append(out, refSeg("REF", r))
	}
	for _, ct := range po.Contacts {
		out = append(out, perSeg(ct))
	}
	if po.FOB != nil {
		out = append(out, NewSeg("FOB", po.FOB.Payment, po.FOB.LocationQualifier, po.FOB.Location))
	}
	for _, t := range po.Terms {
		out = append(out, NewSeg("ITD", t.Type, t.BasisDate, string(t.DiscountPercent), "", t.DiscountDays, "", t.NetDays,
			"", "", "", "", t.Description))
	}
	for _, d := range po.Dates {
		out = append(out, NewSeg("DTM", d.Qualifier, d.Date, d.Time))
	}
	if r := po.Carrier; r != nil {
		q := ""
		if r.SCAC != "" {
			q = "2"
		}
		out = append(out, NewSeg("TD5", "", q, r.SCAC, r.Method, r.Routing))
	}
	for _, n := range po.Notes {
		out = append(out, NewSeg("N9", n.Qualifier, n.ID))
		for _, m := range n.Messages {
			out = append(out, NewSeg("MSG", m))
		}
	}
	for _, p := range po.Parties {
		segs, err := partySegs(p, true)
		if err != nil {
			return nil, err
		}
		out = append(out, segs...)
	}
	var qtys []Decimal
	for i, l := range po.Lines {
		if !l.Quantity.Valid() || l.Unit == "" {
			return nil, fmt.Errorf("x12: 850 line %d needs Quantity and Unit", i+1)
		}
		if len(l.Products) > 10 {
			return nil, fmt.Errorf("x12: 850 line %d has more than 10 product IDs", i+1)
		}
		qtys = append(qtys, l.Quantity)
		el := append([]string{l.Number, string(l.Quantity), l.Unit, string(l.UnitPrice), l.PriceBasis}, productElems(l.Products)...)
		out = append(out, Seg{ID: "PO1", Elements: el})
		for _, p := range l.Prices {
			out = append(out, NewSeg("CTP", p.Class, p.Code, string(p.Amount)))
		}
		for _, d := range l.Descriptions {
			out = append(out, NewSeg("PID", d.Type, "", "", d.Code, d.Text))
		}
		if l.Pack != nil {
			out = append(out, packSeg(l.Pack))
		}
		for _, r := range l.References {
			out = append(out, refSeg("REF", r))
		}
		out = append(out, sdqSegs(l.Distribution)...)
		for _, d := range l.Dates {
			out = append(out, NewSeg("DTM", d.Qualifier, d.Date, d.Time))
		}
	}
	out = append(out, NewSeg("CTT", strconv.Itoa(len(po.Lines)), string(sumDecimals(qtys...))))
	return out, nil
}

// sdqSegs groups store quantities into SDQ segments of up to ten pairs.
func sdqSegs(ds []StoreQuantity) []Seg {
	var out []Seg
	for i := 0; i < len(ds); {
		el := []string{ds[i].Unit, ds[i].Qualifier}
		j := i
		for ; j < len(ds) && j-i < 10 && ds[j].Unit == ds[i].Unit && ds[j].Qualifier == ds[i].Qualifier; j++ {
			el = append(el, ds[j].Store, string(ds[j].Quantity))
		}
		out = append(out, Seg{ID: "SDQ", Elements: el})
		i = j
	}
	return out
}
