package rsx

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Dialects of purchase orders.
const (
	Dialect7      = "rsx-7"      // Orders/Order
	DialectLegacy = "rsx-legacy" // PurchaseOrders/PurchaseOrder
)

// Orders is a file of purchase orders.
type Orders struct {
	Dialect string   `json:"dialect"`
	Orders  []*Order `json:"orders"`
}

// Order is one purchase order, the same for both dialects.
type Order struct {
	// Path is where the order is in the file, for errors.
	Path                string      `json:"path"`
	Line                int         `json:"line"`
	Version             string      `json:"version,omitempty"`
	TradingPartnerID    string      `json:"trading_partner_id"`
	PONumber            string      `json:"po_number"`
	Purpose             string      `json:"purpose"`
	POType              string      `json:"po_type,omitempty"`
	PODate              string      `json:"po_date,omitempty"`
	ReleaseNumber       string      `json:"release_number,omitempty"`
	Department          string      `json:"department,omitempty"`
	Vendor              string      `json:"vendor,omitempty"`
	Currency            string      `json:"currency,omitempty"`
	CustomerOrderNumber string      `json:"customer_order_number,omitempty"`
	Control             Control     `json:"control"`
	Dates               []Date      `json:"dates,omitempty"`
	Addresses           []Address   `json:"addresses,omitempty"`
	References          []Reference `json:"references,omitempty"`
	Carrier             string      `json:"carrier,omitempty"`
	Lines               []Line      `json:"lines"`
	TotalLines          int         `json:"total_lines,omitempty"`
}

// Control is the X12 control numbers SPS's translator saw (Meta in 7.x,
// Miscellaneous INTERCHANGE/FUNCTIONALGROUP/TRANSACTION in the older
// dialect).
type Control struct {
	Interchange string `json:"interchange,omitempty"`
	Group       string `json:"group,omitempty"`
	Set         string `json:"set,omitempty"`
}

// Date is a dated qualifier (002 deliver by, 010 requested ship, 037 ship
// not before, 038 ship no later, 001 cancel after, ...).
type Date struct {
	Qualifier string `json:"qualifier"`
	Date      string `json:"date"`
}

// Address is a party: ST ship-to, BT bill-to, BY buyer, SF ship-from.
type Address struct {
	Type              string `json:"type"`
	LocationQualifier string `json:"location_qualifier,omitempty"`
	LocationNumber    string `json:"location_number,omitempty"`
	Name              string `json:"name,omitempty"`
	Address1          string `json:"address1,omitempty"`
	Address2          string `json:"address2,omitempty"`
	City              string `json:"city,omitempty"`
	State             string `json:"state,omitempty"`
	PostalCode        string `json:"postal_code,omitempty"`
	Country           string `json:"country,omitempty"`
}

// Reference is a qualified reference.
type Reference struct {
	Qualifier   string `json:"qualifier"`
	ID          string `json:"id,omitempty"`
	Description string `json:"description,omitempty"`
}

// Line is one order line.
type Line struct {
	Path                string `json:"-"`
	Sequence            string `json:"sequence,omitempty"`
	BuyerPartNumber     string `json:"buyer_part_number,omitempty"`
	VendorPartNumber    string `json:"vendor_part_number,omitempty"`
	ConsumerPackageCode string `json:"consumer_package_code,omitempty"`
	GTIN                string `json:"gtin,omitempty"`
	UPCCaseCode         string `json:"upc_case_code,omitempty"`
	Quantity            string `json:"quantity"`
	UOM                 string `json:"uom"`
	UnitPrice           string `json:"unit_price,omitempty"`
	Description         string `json:"description,omitempty"`
}

// Date returns the date with the qualifier, or "".
func (o *Order) Date(qualifier string) string {
	for _, d := range o.Dates {
		if d.Qualifier == qualifier {
			return d.Date
		}
	}
	return ""
}

// Address returns the party of a type, or nil.
func (o *Order) Address(typ string) *Address {
	for i := range o.Addresses {
		if o.Addresses[i].Type == typ {
			return &o.Addresses[i]
		}
	}
	return nil
}

// ParseOrders reads a purchase-order file in either dialect and checks it;
// the error lists every problem found (an Errors), each with its path and
// line. A file with problems returns what could be read with the error.
func ParseOrders(data []byte) (*Orders, error) {
	root, err := parseTree(data)
	if err != nil {
		return nil, Errors{err.(*Error)}
	}
	return ordersFrom(root)
}

func ordersFrom(root *node) (*Orders, error) {
	out := &Orders{}
	var items []*node
	switch root.name {
	case "Orders":
		out.Dialect, items = Dialect7, root.all("Order")
	case "PurchaseOrders":
		out.Dialect, items = DialectLegacy, root.all("PurchaseOrder")
	case "Order":
		out.Dialect, items = Dialect7, []*node{root}
	case "PurchaseOrder":
		out.Dialect, items = DialectLegacy, []*node{root}
	default:
		return nil, Errors{{Path: root.path, Line: root.line, Message: fmt.Sprintf("root element %s is not an RSX purchase order (Orders or PurchaseOrders)", root.name)}}
	}
	var errs Errors
	if len(items) == 0 {
		errs = append(errs, &Error{Path: root.path, Line: root.line, Message: "no order in the file"})
	}
	for _, n := range items {
		o, es := readOrder(n)
		out.Orders = append(out.Orders, o)
		errs = append(errs, es...)
	}
	if len(errs) > 0 {
		return out, errs
	}
	return out, nil
}

var decimalText = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

func readOrder(n *node) (*Order, Errors) {
	var errs Errors
	problem := func(at *node, format string, a ...any) {
		errs = append(errs, &Error{Path: at.path, Line: at.line, Message: fmt.Sprintf(format, a...)})
	}
	o := &Order{Path: n.path, Line: n.line, Lines: []Line{}}
	meta := n.child("Meta")
	o.Version = meta.get("Version")
	o.Control = Control{Interchange: meta.get("InterchangeControlNumber"), Group: meta.get("GroupControlNumber"),
		Set: meta.get("DocumentControlNumber")}
	header := n.child("Header")
	if header == nil {
		problem(n, "Header is missing")
		return o, errs
	}
	oh := header.child("OrderHeader")
	if oh == nil {
		problem(header, "OrderHeader is missing")
		return o, errs
	}
	o.TradingPartnerID = oh.get("TradingPartnerId")
	o.PONumber = oh.get("PurchaseOrderNumber")
	o.Purpose = oh.get("TsetPurposeCode")
	o.POType = oh.get("PrimaryPOTypeCode", "PurchaseOrderTypeCode")
	o.PODate = oh.get("PurchaseOrderDate")
	o.ReleaseNumber = oh.get("ReleaseNumber")
	o.Department = oh.get("Department")
	o.Vendor = oh.get("Vendor")
	o.Currency = oh.get("BuyersCurrency")
	o.CustomerOrderNumber = oh.get("CustomerOrderNumber")
	for _, f := range []struct{ name, value string }{
		{"TradingPartnerId", o.TradingPartnerID}, {"PurchaseOrderNumber", o.PONumber}, {"TsetPurposeCode", o.Purpose},
	} {
		if f.value == "" {
			if c := oh.child(f.name); c != nil {
				problem(c, "%s is empty", f.name)
			} else {
				problem(oh, "%s is missing", f.name)
			}
		}
	}
	if o.Purpose != "" && !validPurpose[o.Purpose] {
		problem(oh.child("TsetPurposeCode"), "TsetPurposeCode %q is not one of 00, 01, 05, 06, 07", clip(o.Purpose))
	}
	if len(o.PONumber) > 22 {
		problem(oh.child("PurchaseOrderNumber"), "PurchaseOrderNumber is longer than 22 characters")
	}
	if o.PODate != "" && !validDate(o.PODate) {
		problem(oh.child("PurchaseOrderDate"), "PurchaseOrderDate %q is not a date (YYYY-MM-DD)", clip(o.PODate))
	}
	// 7.x: Dates/DateTimeQualifier + Date; older: Date/DateTimeQualifier1 + Date1.
	for _, d := range append(header.all("Dates"), header.all("Date")...) {
		q, v := d.get("DateTimeQualifier", "DateTimeQualifier1"), d.get("Date", "Date1")
		if q == "" && v == "" {
			continue
		}
		if v != "" && !validDate(v) {
			problem(d.at("Date", "Date1"), "date %q is not a date (YYYY-MM-DD)", clip(v))
		}
		o.Dates = append(o.Dates, Date{Qualifier: q, Date: v})
	}
	for _, a := range header.all("Address") {
		o.Addresses = append(o.Addresses, Address{
			Type: a.get("AddressTypeCode"), LocationQualifier: a.get("LocationCodeQualifier"), LocationNumber: a.get("AddressLocationNumber"),
			Name: a.get("AddressName"), Address1: a.get("Address1"), Address2: a.get("Address2"), City: a.get("City"),
			State: a.get("State"), PostalCode: a.get("PostalCode"), Country: a.get("Country"),
		})
	}
	for _, r := range append(header.all("References"), header.all("Reference")...) {
		o.References = append(o.References, Reference{Qualifier: r.get("ReferenceQual"), ID: r.get("ReferenceID"), Description: r.get("Description")})
	}
	if ci := header.child("CarrierInformation"); ci != nil {
		o.Carrier = ci.get("CarrierAlphaCode")
	} else {
		o.Carrier = oh.get("CarrierAlphaCode")
	}
	// Older dialect: X12 control numbers in Miscellaneous.
	for _, m := range header.all("Miscellaneous") {
		v := m.get("Description2")
		switch strings.ToUpper(m.get("Description1")) {
		case "INTERCHANGE":
			o.Control.Interchange = v
		case "FUNCTIONALGROUP":
			o.Control.Group = v
		case "TRANSACTION":
			o.Control.Set = v
		}
	}
	lines := n.all("LineItem")
	if w := n.child("LineItems"); w != nil {
		lines = append(lines, w.all("LineItem")...)
	}
	if len(lines) == 0 {
		problem(n, "no LineItem: an order needs at least one line")
	}
	seqs := map[string]bool{}
	for _, li := range lines {
		ol := li.child("OrderLine")
		if ol == nil {
			problem(li, "OrderLine is missing")
			continue
		}
		l := Line{
			Path: ol.path, Sequence: ol.get("LineSequenceNumber"), BuyerPartNumber: ol.get("BuyerPartNumber"),
			VendorPartNumber: ol.get("VendorPartNumber"), ConsumerPackageCode: ol.get("ConsumerPackageCode"),
			GTIN: ol.get("GTIN"), UPCCaseCode: ol.get("UPCCaseCode"), Quantity: ol.get("OrderQty"), UOM: ol.get("OrderQtyUOM"),
			UnitPrice: ol.get("PurchasePrice", "UnitPrice"),
		}
		if l.UnitPrice == "" {
			if pi := li.child("PriceInformation"); pi != nil {
				l.UnitPrice = pi.get("UnitPrice")
			}
		}
		if d := li.child("ProductOrItemDescription"); d != nil {
			l.Description = d.get("ProductDescription")
		}
		if l.Sequence != "" {
			if seqs[l.Sequence] {
				problem(ol.child("LineSequenceNumber"), "LineSequenceNumber %s repeats", clip(l.Sequence))
			}
			seqs[l.Sequence] = true
		}
		switch {
		case l.Quantity == "":
			problem(ol, "OrderQty is missing")
		case !decimalText.MatchString(l.Quantity) || isZero(l.Quantity):
			problem(ol.child("OrderQty"), "OrderQty %q is not a positive number", clip(l.Quantity))
		}
		if l.UOM == "" {
			problem(ol, "OrderQtyUOM is missing")
		}
		if l.UnitPrice != "" && !decimalText.MatchString(l.UnitPrice) {
			problem(ol.at("PurchasePrice", "UnitPrice"), "price %q is not a number", clip(l.UnitPrice))
		}
		if l.VendorPartNumber == "" && l.BuyerPartNumber == "" && l.ConsumerPackageCode == "" && l.GTIN == "" {
			problem(ol, "the line names no item (VendorPartNumber, BuyerPartNumber, ConsumerPackageCode or GTIN)")
		}
		o.Lines = append(o.Lines, l)
	}
	if s := n.child("Summary"); s != nil {
		if v := s.get("TotalLineItemNumber"); v != "" {
			k, err := strconv.Atoi(v)
			switch {
			case err != nil:
				problem(s.child("TotalLineItemNumber"), "TotalLineItemNumber %q is not a number", clip(v))
			case k != len(lines):
				problem(s.child("TotalLineItemNumber"), "TotalLineItemNumber says %d lines, the order has %d", k, len(lines))
			}
			o.TotalLines = k
		}
	}
	return o, errs
}

var validPurpose = map[string]bool{"00": true, "01": true, "05": true, "06": true, "07": true}

func validDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, c := range s {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	m, d := (s[5]-'0')*10+s[6]-'0', (s[8]-'0')*10+s[9]-'0'
	return m >= 1 && m <= 12 && d >= 1 && d <= 31
}

func isZero(s string) bool { return strings.Trim(s, "0.") == "" }

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
