package x12

import (
	"errors"
	"fmt"
	"strconv"
)

// Shipment is an 856 ship notice: one shipment, its orders, and for each
// order either cartons holding items (pick and pack, BSN05 0001,
// S/O/P/I) or items directly (BSN05 0004, S/O/I).
type Shipment struct {
	Purpose        string      `json:"purpose,omitempty"`         // BSN01, default 00
	ID             string      `json:"id"`                        // BSN02: unique ASN number
	Date           string      `json:"date"`                      // BSN03 CCYYMMDD
	Time           string      `json:"time"`                      // BSN04 HHMM
	Structure      string      `json:"structure,omitempty"`       // BSN05, set by Build856 and Read856
	ShipDate       string      `json:"ship_date,omitempty"`       // DTM*011
	DeliveryDate   string      `json:"delivery_date,omitempty"`   // DTM*067
	Packaging      string      `json:"packaging,omitempty"`       // TD101, e.g. CTN25
	LadingQuantity int         `json:"lading_quantity,omitempty"` // TD102; zero means the number of cartons
	GrossWeight    Decimal     `json:"gross_weight,omitempty"`    // TD107 (TD106 = G)
	WeightUnit     string      `json:"weight_unit,omitempty"`     // TD108
	SCAC           string      `json:"scac,omitempty"`            // TD503
	Method         string      `json:"method,omitempty"`          // TD504
	Routing        string      `json:"routing,omitempty"`         // TD505
	References     []Reference `json:"references,omitempty"`      // REF: BM bill of lading, CN PRO
	Parties        []Party     `json:"parties,omitempty"`         // N1 loop: ST ship-to, SF ship-from
	Orders         []ShipOrder `json:"orders"`
}

// ShipOrder is an O level.
type ShipOrder struct {
	PurchaseOrder string      `json:"purchase_order"`       // PRF01
	Release       string      `json:"release,omitempty"`    // PRF02
	PODate        string      `json:"po_date,omitempty"`    // PRF04
	References    []Reference `json:"references,omitempty"` // REF: DP department, IA vendor
	Parties       []Party     `json:"parties,omitempty"`    // N1 BY mark-for
	Cartons       []Carton    `json:"cartons,omitempty"`
	Items         []ShipItem  `json:"items,omitempty"`
}

// Carton is a P level.
type Carton struct {
	SSCC     string     `json:"sscc"`               // MAN*GM
	Tracking string     `json:"tracking,omitempty"` // MAN*CP
	Items    []ShipItem `json:"items"`
}

// ShipItem is an I level.
type ShipItem struct {
	Line        string      `json:"line,omitempty"`         // LIN01
	Products    []ProductID `json:"products"`               // LIN02..: UP, EN, UK, VN, BP
	Shipped     Decimal     `json:"shipped"`                // SN102
	Unit        string      `json:"unit"`                   // SN103
	Ordered     Decimal     `json:"ordered,omitempty"`      // SN105
	OrderedUnit string      `json:"ordered_unit,omitempty"` // SN106
	Pack        *Pack       `json:"pack,omitempty"`         // PO4
	Description string      `json:"description,omitempty"`  // PID*F
}

// hl numbers HL segments while building.
type hl struct {
	n   int
	out []Seg
}

func (h *hl) add(parent int, level string, children bool) int {
	h.n++
	p, c := "", "0"
	if parent > 0 {
		p = strconv.Itoa(parent)
	}
	if children {
		c = "1"
	}
	h.out = append(h.out, NewSeg("HL", strconv.Itoa(h.n), p, level, c))
	return h.n
}

// Build856 renders a shipment as the body of an 856 with HL numbering,
// HL04 child codes and CTT (HL count and SN102 hash). Every SSCC must carry
// a valid check digit.
func Build856(s *Shipment) ([]Seg, error) {
	if s.ID == "" || s.Date == "" || s.Time == "" {
		return nil, errors.New("x12: 856 needs ID, Date and Time")
	}
	if len(s.Orders) == 0 {
		return nil, errors.New("x12: 856 needs at least one order")
	}
	structure, cartons := "", 0
	for i, o := range s.Orders {
		st := "0004"
		if len(o.Cartons) > 0 {
			st = "0001"
			if len(o.Items) > 0 {
				return nil, fmt.Errorf("x12: 856 order %d mixes cartons and loose items", i+1)
			}
		}
		if structure != "" && st != structure {
			return nil, errors.New("x12: 856 orders mix pick-and-pack and item-only structures")
		}
		structure = st
		if o.PurchaseOrder == "" {
			return nil, fmt.Errorf("x12: 856 order %d needs PurchaseOrder", i+1)
		}
		for j, c := range o.Cartons {
			if !ValidSSCC(c.SSCC) {
				return nil, fmt.Errorf("x12: 856 order %d carton %d: SSCC %q is not a valid SSCC-18", i+1, j+1, c.SSCC)
			}
			if len(c.Items) == 0 {
				return nil, fmt.Errorf("x12: 856 order %d carton %d has no items", i+1, j+1)
			}
			cartons++
		}
	}
	purpose := s.Purpose
	if purpose == "" {
		purpose = "00"
	}
	h := &hl{}
	h.out = append(h.out, NewSeg("BSN", purpose, s.ID, s.Date, s.Time, structure))
	ship := h.add(0, "S", true)
	lading := s.LadingQuantity
	if lading == 0 {
		lading = cartons
	}
	if s.Packaging != "" || s.GrossWeight != "" {
		ladingStr, wq := "", ""
		if lading > 0 {
			ladingStr = strconv.Itoa(lading)
		}
		if s.GrossWeight != "" {
			wq = "G"
		}
		h.out = append(h.out, NewSeg("TD1", s.Packaging, ladingStr, "", "", "", wq, string(s.GrossWeight), s.WeightUnit))
	}
	if s.SCAC != "" || s.Method != "" {
		q := ""
		if s.SCAC != "" {
			q = "2"
		}
		h.out = append(h.out, NewSeg("TD5", "", q, s.SCAC, s.Method, s.Routing))
	}
	for _, r := range s.References {
		h.out = append(h.out, refSeg("REF", r))
	}
	if s.ShipDate != "" {
		h.out = append(h.out, NewSeg("DTM", "011", s.ShipDate))
	}
	if s.DeliveryDate != "" {
		h.out = append(h.out, NewSeg("DTM", "067", s.DeliveryDate))
	}
	for _, p := range s.Parties {
		segs, err := partySegs(p, true)
		if err != nil {
			return nil, err
		}
		h.out = append(h.out, segs...)
	}
	var shipped []Decimal
	addItem := func(parent int, it ShipItem) error {
		if len(it.Products) == 0 || !it.Shipped.Valid() || it.Unit == "" {
			return fmt.Errorf("x12: 856 item %q needs Products, Shipped and Unit", it.Line)
		}
		if len(it.Products) > 15 {
			return fmt.Errorf("x12: 856 item %q has more than 15 product IDs", it.Line)
		}
		h.add(parent, "I", false)
		h.out = append(h.out, Seg{ID: "LIN", Elements: append([]string{it.Line}, productElems(it.Products)...)})
		h.out = append(h.out, NewSeg("SN1", "", string(it.Shipped), it.Unit, "", string(it.Ordered), it.OrderedUnit))
		if it.Pack != nil {
			h.out = append(h.out, packSeg(it.Pack))
		}
		if it.Description != "" {
			h.out = append(h.out, NewSeg("PID", "F", "", "", "", it.Description))
		}
		shipped = append(shipped, it.Shipped)
		return nil
	}
	for _, o := range s.Orders {
		ord := h.add(ship, "O", true)
		h.out = append(h.out, NewSeg("PRF", o.PurchaseOrder, o.Release, "", o.PODate))
		for _, r := range o.References {
			h.out = append(h.out, refSeg("REF", r))
		}
		for _, p := range o.Parties {
			segs, err := partySegs(p, true)
			if err != nil {
				return nil, err
			}
			h.out = append(h.out, segs...)
		}
		for _, c := range o.Cartons {
			pk := h.add(ord, "P", true)
			h.out = append(h.out, NewSeg("MAN", "GM", c.SSCC))
			if c.Tracking != "" {
				h.out = append(h.out, NewSeg("MAN", "CP", c.Tracking))
			}
			for _, it := range c.Items {
				if err := addItem(pk, it); err != nil {
					return nil, err
				}
			}
		}
		for _, it := range o.Items {
			if err := addItem(ord, it); err != nil {
				return nil, err
			}
		}
	}
	h.out = append(h.out, NewSeg("CTT", strconv.Itoa(h.n), string(sumDecimals(shipped...))))
	return h.out, nil
}

// Read856 reads an 856 into a Shipment, following HL02 parent links. Tare
// (T) levels are passed through: their cartons belong to the order above.
func Read856(t *Transaction) (*Shipment, error) {
	if t.ID() != "856" {
		return nil, fmt.Errorf("x12: transaction set %s is not an 856", t.ID())
	}
	c := newCursor(t)
	if !c.at("BSN") {
		return nil, fmt.Errorf("x12: reading %s: BSN is not the first segment", c.set)
	}
	b := c.next()
	sh := &Shipment{Purpose: b.String(1), ID: b.String(2), Date: b.String(3), Time: b.String(4), Structure: b.String(5), Orders: []ShipOrder{}}
	type node struct {
		level  string
		parent string
		order  int // index in sh.Orders
		carton int // index in the order's Cartons, or -1
		item   *ShipItem
	}
	nodes := map[string]*node{}
	var cur *node
	// orderOf finds the order an HL belongs to by walking parents.
	orderOf := func(id string) (int, bool) {
		for k := 0; k < 64 && id != ""; k++ {
			n := nodes[id]
			if n == nil {
				return 0, false
			}
			if n.level == "O" {
				return n.order, true
			}
			id = n.parent
		}
		return 0, false
	}
	for c.more() {
		s := c.segs[c.i]
		id := string(s.ID())
		if id == "HL" {
			n := &node{level: s.String(3), parent: s.String(2), carton: -1}
			switch n.level {
			case "O":
				sh.Orders = append(sh.Orders, ShipOrder{})
				n.order = len(sh.Orders) - 1
			case "P":
				o, ok := orderOf(n.parent)
				if !ok {
					return nil, c.fail(s, 2, "pack without an order above it")
				}
				n.order = o
				sh.Orders[o].Cartons = append(sh.Orders[o].Cartons, Carton{Items: []ShipItem{}})
				n.carton = len(sh.Orders[o].Cartons) - 1
			case "I":
				o, ok := orderOf(n.parent)
				if !ok {
					return nil, c.fail(s, 2, "item without an order above it")
				}
				n.order = o
				ord := &sh.Orders[o]
				if p := nodes[n.parent]; p != nil && p.level == "P" {
					cart := &ord.Cartons[p.carton]
					cart.Items = append(cart.Items, ShipItem{})
					n.item = &cart.Items[len(cart.Items)-1]
				} else {
					ord.Items = append(ord.Items, ShipItem{})
					n.item = &ord.Items[len(ord.Items)-1]
				}
			}
			nodes[s.String(1)] = n
			cur = n
			c.i++
			continue
		}
		if cur == nil {
			if id == "DTM" {
				if err := c.shipmentSegment(sh, s); err != nil {
					return nil, err
				}
			}
			c.i++
			continue
		}
		var err error
		switch cur.level {
		case "S":
			err = c.shipmentSegment(sh, s)
			if id == "N1" {
				continue
			}
		case "O":
			o := &sh.Orders[cur.order]
			switch id {
			case "PRF":
				o.PurchaseOrder, o.Release, o.PODate = s.String(1), s.String(2), s.String(4)
			case "REF":
				o.References = append(o.References, readRef(s))
			case "N1":
				o.Parties = append(o.Parties, c.party())
				continue
			}
		case "P":
			cart := &sh.Orders[cur.order].Cartons[cur.carton]
			if id == "MAN" {
				switch s.String(1) {
				case "GM":
					cart.SSCC = s.String(2)
				case "CP", "CN":
					cart.Tracking = s.String(2)
				}
			}
		case "I":
			err = c.itemSegment(cur.item, s)
		}
		if err != nil {
			return nil, err
		}
		c.i++
	}
	return sh, nil
}

func (c *cursor) shipmentSegment(sh *Shipment, s Segment) error {
	var err error
	switch string(s.ID()) {
	case "TD1":
		sh.Packaging, sh.WeightUnit = s.String(1), s.String(8)
		if sh.LadingQuantity, err = c.integer(s, 2); err != nil {
			return err
		}
		sh.GrossWeight, err = c.decimal(s, 7)
	case "TD5":
		sh.SCAC, sh.Method, sh.Routing = s.String(3), s.String(4), s.String(5)
	case "REF":
		sh.References = append(sh.References, readRef(s))
	case "DTM":
		switch s.String(1) {
		case "011":
			sh.ShipDate = s.String(2)
		case "067":
			sh.DeliveryDate = s.String(2)
		}
	case "N1":
		sh.Parties = append(sh.Parties, c.party())
	}
	return err
}

func (c *cursor) itemSegment(it *ShipItem, s Segment) error {
	var err error
	switch string(s.ID()) {
	case "LIN":
		it.Line = s.String(1)
		it.Products = readProducts(s, 2, 15)
	case "SN1":
		it.Unit, it.OrderedUnit = s.String(3), s.String(6)
		if it.Shipped, err = c.decimal(s, 2); err != nil {
			return err
		}
		it.Ordered, err = c.decimal(s, 5)
	case "PO4":
		it.Pack, err = c.pack(s)
	case "PID":
		it.Description = s.String(5)
	}
	return err
}
