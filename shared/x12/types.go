package x12

import (
	"errors"
	"fmt"
	"strconv"
)

// Party is an N1 loop: a named party with address and contacts.
type Party struct {
	Role        string      `json:"role"`                   // N101, e.g. ST, BT, SF, BY
	Name        string      `json:"name,omitempty"`         // N102
	IDQualifier string      `json:"id_qualifier,omitempty"` // N103, e.g. 92, UL
	ID          string      `json:"id,omitempty"`           // N104
	ExtraNames  []string    `json:"extra_names,omitempty"`  // N2
	Address     []string    `json:"address,omitempty"`      // N3 lines
	City        string      `json:"city,omitempty"`         // N401
	State       string      `json:"state,omitempty"`        // N402
	PostalCode  string      `json:"postal_code,omitempty"`  // N403
	Country     string      `json:"country,omitempty"`      // N404
	References  []Reference `json:"references,omitempty"`   // REF (850 and 856 only)
	Contacts    []Contact   `json:"contacts,omitempty"`     // PER
}

// Contact is a PER (or G61) segment.
type Contact struct {
	Function string       `json:"function"`       // PER01
	Name     string       `json:"name,omitempty"` // PER02
	Numbers  []CommNumber `json:"numbers,omitempty"`
}

// CommNumber is a communication number with its qualifier (TE, EM, FX).
type CommNumber struct {
	Qualifier string `json:"qualifier"`
	Number    string `json:"number"`
}

// Reference is a REF or N9 segment.
type Reference struct {
	Qualifier   string `json:"qualifier"`
	ID          string `json:"id,omitempty"`
	Description string `json:"description,omitempty"`
}

// DateRef is a DTM segment: qualifier, CCYYMMDD date and optional time.
type DateRef struct {
	Qualifier string `json:"qualifier"`
	Date      string `json:"date,omitempty"`
	Time      string `json:"time,omitempty"`
}

// WarehouseDate is a G62 segment.
type WarehouseDate struct {
	Qualifier     string `json:"qualifier,omitempty"` // G6201
	Date          string `json:"date,omitempty"`      // G6202
	TimeQualifier string `json:"time_qualifier,omitempty"`
	Time          string `json:"time,omitempty"`
}

// Remark is an NTE segment.
type Remark struct {
	Code string `json:"code,omitempty"` // NTE01
	Text string `json:"text"`           // NTE02
}

// ProductID is a product/service ID with its qualifier (UP, EN, UK, VN, BP, IN, SK).
type ProductID struct {
	Qualifier string `json:"qualifier"`
	ID        string `json:"id"`
}

// Pack is a PO4 segment's first fields.
type Pack struct {
	Pack int     `json:"pack,omitempty"` // PO401 units per pack
	Size Decimal `json:"size,omitempty"` // PO402
	Unit string  `json:"unit,omitempty"` // PO403
}

// Mark is a MAN segment: GM for an SSCC-18, CP or CN for a carrier number.
type Mark struct {
	Qualifier string `json:"qualifier"`
	Number    string `json:"number"`
}

// cursor walks the body of a transaction set.
type cursor struct {
	set  string
	segs []Segment
	i    int
}

func newCursor(t *Transaction) *cursor {
	return &cursor{set: t.ID() + " " + t.Control(), segs: t.Body()}
}

func (c *cursor) more() bool { return c.i < len(c.segs) }

func (c *cursor) at(id string) bool { return c.i < len(c.segs) && c.segs[c.i].Is(id) }

func (c *cursor) next() Segment {
	s := c.segs[c.i]
	c.i++
	return s
}

// decimal reads element i as a Decimal ("" when empty).
func (c *cursor) decimal(s Segment, i int) (Decimal, error) {
	v := s.String(i)
	if v == "" {
		return "", nil
	}
	d, err := ParseDecimal(v)
	if err != nil {
		return "", c.fail(s, i, "not a decimal number")
	}
	return d, nil
}

func (c *cursor) integer(s Segment, i int) (int, error) {
	v := s.String(i)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, c.fail(s, i, "not an integer")
	}
	return n, nil
}

func (c *cursor) fail(s Segment, elem int, detail string) error {
	e := newError(CodeInvalidCharacter, &s)
	e.Element, e.Value, e.Detail = elem, s.String(elem), detail
	return fmt.Errorf("x12: reading %s: %w", c.set, e)
}

// party reads an N1 loop starting at the current N1.
func (c *cursor) party() Party {
	n1 := c.next()
	p := Party{Role: n1.String(1), Name: n1.String(2), IDQualifier: n1.String(3), ID: n1.String(4)}
	for c.more() {
		s := c.segs[c.i]
		switch string(s.ID()) {
		case "N2":
			p.ExtraNames = appendNonEmpty(p.ExtraNames, s.String(1), s.String(2))
		case "N3":
			p.Address = appendNonEmpty(p.Address, s.String(1), s.String(2))
		case "N4":
			p.City, p.State, p.PostalCode, p.Country = s.String(1), s.String(2), s.String(3), s.String(4)
		case "REF":
			p.References = append(p.References, readRef(s))
		case "PER":
			p.Contacts = append(p.Contacts, readPER(s))
		default:
			return p
		}
		c.i++
	}
	return p
}

func appendNonEmpty(dst []string, vs ...string) []string {
	for _, v := range vs {
		if v != "" {
			dst = append(dst, v)
		}
	}
	return dst
}

func readRef(s Segment) Reference {
	return Reference{Qualifier: s.String(1), ID: s.String(2), Description: s.String(3)}
}

func readPER(s Segment) Contact {
	ct := Contact{Function: s.String(1), Name: s.String(2)}
	for i := 3; i+1 <= s.Len(); i += 2 {
		if q := s.String(i); q != "" {
			ct.Numbers = append(ct.Numbers, CommNumber{Qualifier: q, Number: s.String(i + 1)})
		}
	}
	return ct
}

func readDTM(s Segment) DateRef {
	return DateRef{Qualifier: s.String(1), Date: s.String(2), Time: s.String(3)}
}

func readG62(s Segment) WarehouseDate {
	return WarehouseDate{Qualifier: s.String(1), Date: s.String(2), TimeQualifier: s.String(3), Time: s.String(4)}
}

func readProducts(s Segment, first, pairs int) []ProductID {
	var out []ProductID
	for k := 0; k < pairs; k++ {
		q, id := s.String(first+2*k), s.String(first+2*k+1)
		if q != "" || id != "" {
			out = append(out, ProductID{Qualifier: q, ID: id})
		}
	}
	return out
}

func (c *cursor) pack(s Segment) (*Pack, error) {
	n, err := c.integer(s, 1)
	if err != nil {
		return nil, err
	}
	size, err := c.decimal(s, 2)
	if err != nil {
		return nil, err
	}
	return &Pack{Pack: n, Size: size, Unit: s.String(3)}, nil
}

// partySegs renders an N1 loop. withRef says the layout has REF in the loop.
func partySegs(p Party, withRef bool) ([]Seg, error) {
	if p.Role == "" {
		return nil, fmt.Errorf("x12: party without role (N101)")
	}
	out := []Seg{NewSeg("N1", p.Role, p.Name, p.IDQualifier, p.ID)}
	for i := 0; i < len(p.ExtraNames); i += 2 {
		out = append(out, NewSeg("N2", p.ExtraNames[i], at(p.ExtraNames, i+1)))
	}
	for i := 0; i < len(p.Address); i += 2 {
		out = append(out, NewSeg("N3", p.Address[i], at(p.Address, i+1)))
	}
	if p.City != "" || p.State != "" || p.PostalCode != "" || p.Country != "" {
		out = append(out, NewSeg("N4", p.City, p.State, p.PostalCode, p.Country))
	}
	if len(p.References) > 0 && !withRef {
		return nil, fmt.Errorf("x12: party %s: this layout has no REF in the N1 loop", p.Role)
	}
	for _, r := range p.References {
		out = append(out, refSeg("REF", r))
	}
	for _, ct := range p.Contacts {
		out = append(out, perSeg(ct))
	}
	return out, nil
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

func refSeg(id string, r Reference) Seg { return NewSeg(id, r.Qualifier, r.ID, r.Description) }

func perSeg(ct Contact) Seg {
	el := []string{ct.Function, ct.Name}
	for _, n := range ct.Numbers {
		el = append(el, n.Qualifier, n.Number)
	}
	return Seg{ID: "PER", Elements: el}
}

func productElems(ps []ProductID) []string {
	out := make([]string, 0, 2*len(ps))
	for _, p := range ps {
		out = append(out, p.Qualifier, p.ID)
	}
	return out
}

func packSeg(p *Pack) Seg {
	n := ""
	if p.Pack != 0 {
		n = strconv.Itoa(p.Pack)
	}
	return NewSeg("PO4", n, string(p.Size), p.Unit)
}

func g62Seg(d WarehouseDate) Seg { return NewSeg("G62", d.Qualifier, d.Date, d.TimeQualifier, d.Time) }

// sumDecimals adds decimals exactly.
func sumDecimals(ds ...Decimal) Decimal {
	total := Decimal("0")
	for _, d := range ds {
		if d != "" {
			total = total.Add(d)
		}
	}
	return total
}

// Typed reads a supported transaction set into its typed form:
// *PurchaseOrder (850), *Shipment (856), *ShippingOrder (940),
// *ShipAdvice (945) or *FunctionalAck (997).
func Typed(t *Transaction) (any, error) {
	switch t.ID() {
	case "850":
		return Read850(t)
	case "856":
		return Read856(t)
	case "940":
		return Read940(t)
	case "945":
		return Read945(t)
	case "997":
		return ReadFunctionalAck(t)
	}
	return nil, fmt.Errorf("%w: %s", ErrNoTypedForm, t.ID())
}

// ErrNoTypedForm is returned by Typed for sets without a typed form.
var ErrNoTypedForm = errors.New("x12: no typed form for transaction set")
