package edi

import (
	"fmt"
	"strings"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/nav"
	"github.com/popsockets/integration/shared/rsx"
	"github.com/popsockets/integration/shared/x12"
)

// PO is a purchase order as the flow keeps it, whatever format it came
// in: RSX (either dialect) or X12 850. It is stored with the order, so the
// ship notice can echo what the retailer sent.
type PO struct {
	Partner          string          `json:"partner"`
	TradingPartnerID string          `json:"trading_partner_id,omitempty"`
	Format           string          `json:"format"`
	Number           string          `json:"number"`
	Purpose          string          `json:"purpose"`
	Type             string          `json:"type,omitempty"`
	Date             string          `json:"date,omitempty"` // YYYY-MM-DD
	Department       string          `json:"department,omitempty"`
	Vendor           string          `json:"vendor,omitempty"`
	Currency         string          `json:"currency,omitempty"`
	Control          rsx.Control     `json:"control"`
	Dates            []rsx.Date      `json:"dates,omitempty"`
	ShipTo           rsx.Address     `json:"ship_to"`
	References       []rsx.Reference `json:"references,omitempty"`
	Lines            []POLine        `json:"lines"`
}

// POLine is one line of a PO.
type POLine struct {
	Sequence         string `json:"sequence"`
	BuyerPartNumber  string `json:"buyer_part_number,omitempty"`
	VendorPartNumber string `json:"vendor_part_number,omitempty"`
	UPC              string `json:"upc,omitempty"`
	GTIN             string `json:"gtin,omitempty"`
	Quantity         string `json:"quantity"`
	UOM              string `json:"uom"`
	UnitPrice        string `json:"unit_price,omitempty"`
	Description      string `json:"description,omitempty"`
}

// Purpose codes (X12 353).
const (
	PurposeOriginal = "00"
	PurposeCancel   = "01"
	PurposeReplace  = "05"
)

// fromRSX turns an RSX order into a PO.
func fromRSX(o *rsx.Order, dialect, partner string) PO {
	po := PO{Partner: partner, TradingPartnerID: o.TradingPartnerID, Format: dialect, Number: o.PONumber, Purpose: o.Purpose,
		Type: o.POType, Date: o.PODate, Department: o.Department, Vendor: o.Vendor, Currency: o.Currency, Control: o.Control,
		Dates: o.Dates, References: o.References, Lines: []POLine{}}
	if st := o.Address("ST"); st != nil {
		po.ShipTo = *st
	} else if by := o.Address("BY"); by != nil {
		po.ShipTo = *by // Target names its DC as the buying party
	}
	for i, l := range o.Lines {
		seq := l.Sequence
		if seq == "" {
			seq = fmt.Sprint(i + 1)
		}
		po.Lines = append(po.Lines, POLine{Sequence: seq, BuyerPartNumber: l.BuyerPartNumber, VendorPartNumber: l.VendorPartNumber,
			UPC: l.ConsumerPackageCode, GTIN: l.GTIN, Quantity: l.Quantity, UOM: l.UOM, UnitPrice: l.UnitPrice, Description: l.Description})
	}
	return po
}

// fromX12 turns an 850 into a PO.
func fromX12(p *x12.PurchaseOrder, partner, interchange, group, set string) PO {
	po := PO{Partner: partner, Format: "x12", Number: p.Number, Purpose: p.Purpose, Type: p.Type, Date: isoDate(p.Date),
		Currency: p.Currency, Control: rsx.Control{Interchange: interchange, Group: group, Set: set}, Lines: []POLine{}}
	for _, r := range p.References {
		switch r.Qualifier {
		case "DP":
			po.Department = r.ID
		case "IA":
			po.Vendor = r.ID
		}
		po.References = append(po.References, rsx.Reference{Qualifier: r.Qualifier, ID: r.ID, Description: r.Description})
	}
	for _, d := range p.Dates {
		po.Dates = append(po.Dates, rsx.Date{Qualifier: d.Qualifier, Date: isoDate(d.Date)})
	}
	for _, pt := range p.Parties {
		if pt.Role == "ST" || (pt.Role == "BY" && po.ShipTo.Type == "") {
			po.ShipTo = rsx.Address{Type: pt.Role, LocationQualifier: pt.IDQualifier, LocationNumber: pt.ID, Name: pt.Name,
				City: pt.City, State: pt.State, PostalCode: pt.PostalCode, Country: pt.Country}
			if len(pt.Address) > 0 {
				po.ShipTo.Address1 = pt.Address[0]
			}
		}
	}
	for i, l := range p.Lines {
		pl := POLine{Sequence: l.Number, Quantity: string(l.Quantity), UOM: l.Unit, UnitPrice: string(l.UnitPrice)}
		if pl.Sequence == "" {
			pl.Sequence = fmt.Sprint(i + 1)
		}
		for _, id := range l.Products {
			switch id.Qualifier {
			case "VN", "VP":
				pl.VendorPartNumber = id.ID
			case "BP", "IN":
				pl.BuyerPartNumber = id.ID
			case "UP":
				pl.UPC = id.ID
			case "UK", "EN":
				pl.GTIN = id.ID
			}
		}
		for _, d := range l.Descriptions {
			if d.Text != "" {
				pl.Description = d.Text
				break
			}
		}
		po.Lines = append(po.Lines, pl)
	}
	return po
}

// isoDate turns CCYYMMDD into YYYY-MM-DD (other text is kept).
func isoDate(d string) string {
	if len(d) == 8 && !strings.Contains(d, "-") {
		return d[:4] + "-" + d[4:6] + "-" + d[6:]
	}
	return d
}

// Date returns the PO's date for a qualifier.
func (p *PO) dateOf(qualifiers ...string) string {
	for _, q := range qualifiers {
		for _, d := range p.Dates {
			if d.Qualifier == q && d.Date != "" {
				return d.Date
			}
		}
	}
	return ""
}

// ItemNo is our item number for a PO line: the vendor part number when
// the retailer sent it, else the partner's cross-reference of its buyer
// part number, UPC or GTIN.
func (pt *Partner) ItemNo(l POLine) (string, bool) {
	if l.VendorPartNumber != "" {
		return l.VendorPartNumber, true
	}
	for _, k := range []string{l.BuyerPartNumber, l.UPC, l.GTIN} {
		if k == "" {
			continue
		}
		if v, ok := pt.Items[k]; ok {
			return v, true
		}
	}
	return "", false
}

// SalesOrder maps a PO to NAV's sales order: Sell-to from the partner,
// External Document No. = PO number, Ship-to from the cross-reference,
// items by vendor part number or cross-reference, dates from the
// qualifiers (002 deliver by, else 038/063 ship no later; 010/037/064 ship
// date). An unmapped ship-to or item fails the whole PO, naming each.
func SalesOrder(po PO, pt *Partner) (nav.SalesOrder, error) {
	so := nav.SalesOrder{SellToCustomerNo: pt.NAVCustomer, ExternalDocumentNo: po.Number, OrderDate: po.Date,
		RequestedDeliveryDate: po.dateOf("002", "038", "063"), ShipmentDate: po.dateOf("010", "037", "064")}
	var problems []string
	loc := po.ShipTo.LocationNumber
	switch code, ok := pt.ShipTo[loc]; {
	case loc == "":
		problems = append(problems, "the PO names no ship-to location (Address ST or BY with AddressLocationNumber)")
	case !ok:
		problems = append(problems, fmt.Sprintf("ship-to location %s (%s) has no NAV Ship-to Code in %s's ship_to cross-reference", loc, po.ShipTo.Name, pt.Name))
	default:
		so.ShipToCode = code
	}
	for _, l := range po.Lines {
		item, ok := pt.ItemNo(l)
		if !ok {
			problems = append(problems, fmt.Sprintf("line %s: no item for buyer part %q, UPC %q, GTIN %q (no vendor part number and no entry in %s's items cross-reference)",
				l.Sequence, l.BuyerPartNumber, l.UPC, l.GTIN, pt.Name))
			continue
		}
		so.Lines = append(so.Lines, nav.SalesLine{Type: "Item", No: item, Quantity: l.Quantity, UnitOfMeasureCode: l.UOM,
			UnitPrice: l.UnitPrice, Description2: "PO line " + l.Sequence})
	}
	if len(problems) > 0 {
		return nav.SalesOrder{}, fault.Permanentf("PO %s from %s cannot go to NAV: %s", po.Number, pt.Name, strings.Join(problems, "; "))
	}
	return so, nil
}
