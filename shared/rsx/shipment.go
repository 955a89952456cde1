package rsx

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
)

// Namespace is RSX's XML namespace.
const Namespace = "http://www.spscommerce.com/RSX"

// Shipments is an 856 file.
type Shipments struct {
	Shipments []*Shipment `json:"shipments"`
}

// Shipment is one ship notice, pick and pack (ASNStructureCode 0001):
// shipment, orders, cartons (PackLevel P), items.
type Shipment struct {
	TradingPartnerID string      `json:"trading_partner_id"`
	ShipmentID       string      `json:"shipment_id"`
	ShipDate         string      `json:"ship_date"`
	ShipNoticeDate   string      `json:"ship_notice_date,omitempty"`
	ShipNoticeTime   string      `json:"ship_notice_time,omitempty"`
	Purpose          string      `json:"purpose"`
	Structure        string      `json:"structure"`
	BillOfLading     string      `json:"bill_of_lading,omitempty"`
	CarrierPro       string      `json:"carrier_pro,omitempty"`
	SCAC             string      `json:"scac,omitempty"`
	CarrierRouting   string      `json:"carrier_routing,omitempty"`
	TransMethod      string      `json:"trans_method,omitempty"`
	Cartons          int         `json:"cartons"`
	Weight           string      `json:"weight,omitempty"`
	WeightUOM        string      `json:"weight_uom,omitempty"`
	Addresses        []Address   `json:"addresses,omitempty"`
	Orders           []ShipOrder `json:"orders"`
	TotalLines       int         `json:"total_lines"`
}

// ShipOrder is an OrderLevel.
type ShipOrder struct {
	PONumber   string      `json:"po_number"`
	PODate     string      `json:"po_date,omitempty"`
	Department string      `json:"department,omitempty"`
	Vendor     string      `json:"vendor,omitempty"`
	References []Reference `json:"references,omitempty"`
	Packs      []Pack      `json:"packs"`
}

// Pack is a carton (PackLevelType P).
type Pack struct {
	// SSCC is the 18-digit SSCC; ShippingSerialID carries "00" + SSCC.
	SSCC     string     `json:"sscc"`
	Tracking string     `json:"tracking,omitempty"`
	Items    []ShipLine `json:"items"`
}

// ShipLine is an ItemLevel's ShipmentLine.
type ShipLine struct {
	Sequence            string `json:"sequence,omitempty"`
	BuyerPartNumber     string `json:"buyer_part_number,omitempty"`
	VendorPartNumber    string `json:"vendor_part_number,omitempty"`
	ConsumerPackageCode string `json:"consumer_package_code,omitempty"`
	GTIN                string `json:"gtin,omitempty"`
	OrderQty            string `json:"order_qty,omitempty"`
	OrderQtyUOM         string `json:"order_qty_uom,omitempty"`
	ShipQty             string `json:"ship_qty"`
	ShipQtyUOM          string `json:"ship_qty_uom"`
}

// The XML shapes, element order as RSX 7.7 lists them.
type (
	xShipments struct {
		XMLName   xml.Name    `xml:"Shipments"`
		NS        string      `xml:"xmlns,attr"`
		Shipments []xShipment `xml:"Shipment"`
	}
	xShipment struct {
		Header     xShipHeader   `xml:"Header"`
		OrderLevel []xOrderLevel `xml:"OrderLevel"`
		Summary    xSummary      `xml:"Summary"`
	}
	xShipHeader struct {
		ShipmentHeader     xShipmentHeader    `xml:"ShipmentHeader"`
		Dates              []xDate            `xml:"Dates"`
		References         []xRef             `xml:"References,omitempty"`
		Address            []xAddress         `xml:"Address"`
		CarrierInformation *xCarrier          `xml:"CarrierInformation,omitempty"`
		QuantityAndWeight  *xQuantityAndWeigh `xml:"QuantityAndWeight,omitempty"`
	}
	xShipmentHeader struct {
		TradingPartnerID       string `xml:"TradingPartnerId"`
		ShipmentIdentification string `xml:"ShipmentIdentification"`
		ShipDate               string `xml:"ShipDate"`
		TsetPurposeCode        string `xml:"TsetPurposeCode"`
		ShipNoticeDate         string `xml:"ShipNoticeDate,omitempty"`
		ShipNoticeTime         string `xml:"ShipNoticeTime,omitempty"`
		ASNStructureCode       string `xml:"ASNStructureCode"`
		BillOfLadingNumber     string `xml:"BillOfLadingNumber,omitempty"`
		CarrierProNumber       string `xml:"CarrierProNumber,omitempty"`
	}
	xDate struct {
		DateTimeQualifier string `xml:"DateTimeQualifier"`
		Date              string `xml:"Date"`
	}
	xRef struct {
		ReferenceQual string `xml:"ReferenceQual"`
		ReferenceID   string `xml:"ReferenceID"`
		Description   string `xml:"Description,omitempty"`
	}
	xAddress struct {
		AddressTypeCode       string `xml:"AddressTypeCode"`
		LocationCodeQualifier string `xml:"LocationCodeQualifier,omitempty"`
		AddressLocationNumber string `xml:"AddressLocationNumber,omitempty"`
		AddressName           string `xml:"AddressName,omitempty"`
		Address1              string `xml:"Address1,omitempty"`
		Address2              string `xml:"Address2,omitempty"`
		City                  string `xml:"City,omitempty"`
		State                 string `xml:"State,omitempty"`
		PostalCode            string `xml:"PostalCode,omitempty"`
		Country               string `xml:"Country,omitempty"`
	}
	xCarrier struct {
		CarrierTransMethodCode string `xml:"CarrierTransMethodCode,omitempty"`
		CarrierAlphaCode       string `xml:"CarrierAlphaCode,omitempty"`
		CarrierRouting         string `xml:"CarrierRouting,omitempty"`
	}
	xQuantityAndWeigh struct {
		PackingMedium   string `xml:"PackingMedium"`
		LadingQuantity  int    `xml:"LadingQuantity"`
		WeightQualifier string `xml:"WeightQualifier,omitempty"`
		Weight          string `xml:"Weight,omitempty"`
		WeightUOM       string `xml:"WeightUOM,omitempty"`
	}
	xOrderLevel struct {
		OrderHeader xOrderHeader `xml:"OrderHeader"`
		References  []xRef       `xml:"References,omitempty"`
		PackLevel   []xPackLevel `xml:"PackLevel"`
	}
	xOrderHeader struct {
		PurchaseOrderNumber string `xml:"PurchaseOrderNumber"`
		PurchaseOrderDate   string `xml:"PurchaseOrderDate,omitempty"`
		Department          string `xml:"Department,omitempty"`
		Vendor              string `xml:"Vendor,omitempty"`
	}
	xPackLevel struct {
		Pack      xPack        `xml:"Pack"`
		ItemLevel []xItemLevel `xml:"ItemLevel"`
	}
	xPack struct {
		PackLevelType    string `xml:"PackLevelType"`
		ShippingSerialID string `xml:"ShippingSerialID"`
		CarrierPackageID string `xml:"CarrierPackageID,omitempty"`
	}
	xItemLevel struct {
		ShipmentLine xShipmentLine `xml:"ShipmentLine"`
	}
	xShipmentLine struct {
		LineSequenceNumber  string `xml:"LineSequenceNumber,omitempty"`
		BuyerPartNumber     string `xml:"BuyerPartNumber,omitempty"`
		VendorPartNumber    string `xml:"VendorPartNumber,omitempty"`
		ConsumerPackageCode string `xml:"ConsumerPackageCode,omitempty"`
		GTIN                string `xml:"GTIN,omitempty"`
		OrderQty            string `xml:"OrderQty,omitempty"`
		OrderQtyUOM         string `xml:"OrderQtyUOM,omitempty"`
		ShipQty             string `xml:"ShipQty"`
		ShipQtyUOM          string `xml:"ShipQtyUOM"`
	}
	xSummary struct {
		TotalLineItemNumber int `xml:"TotalLineItemNumber"`
	}
)

// WriteShipments renders ship notices as an RSX 7.7 Shipments document.
// Each carton's ShippingSerialID is "00" followed by its 18-digit SSCC.
func WriteShipments(ss ...*Shipment) ([]byte, error) {
	doc := xShipments{NS: Namespace}
	for i, s := range ss {
		if s.ShipmentID == "" || s.TradingPartnerID == "" || s.ShipDate == "" || len(s.Orders) == 0 {
			return nil, fmt.Errorf("rsx: shipment %d needs ShipmentID, TradingPartnerID, ShipDate and an order", i+1)
		}
		purpose, structure := s.Purpose, s.Structure
		if purpose == "" {
			purpose = "00"
		}
		if structure == "" {
			structure = "0001"
		}
		x := xShipment{Header: xShipHeader{ShipmentHeader: xShipmentHeader{
			TradingPartnerID: s.TradingPartnerID, ShipmentIdentification: s.ShipmentID, ShipDate: s.ShipDate, TsetPurposeCode: purpose,
			ShipNoticeDate: s.ShipNoticeDate, ShipNoticeTime: s.ShipNoticeTime, ASNStructureCode: structure,
			BillOfLadingNumber: s.BillOfLading, CarrierProNumber: s.CarrierPro,
		}, Dates: []xDate{{DateTimeQualifier: "011", Date: s.ShipDate}}}}
		for _, a := range s.Addresses {
			x.Header.Address = append(x.Header.Address, xAddress{AddressTypeCode: a.Type, LocationCodeQualifier: a.LocationQualifier,
				AddressLocationNumber: a.LocationNumber, AddressName: a.Name, Address1: a.Address1, Address2: a.Address2,
				City: a.City, State: a.State, PostalCode: a.PostalCode, Country: a.Country})
		}
		if s.SCAC != "" || s.TransMethod != "" || s.CarrierRouting != "" {
			x.Header.CarrierInformation = &xCarrier{CarrierTransMethodCode: s.TransMethod, CarrierAlphaCode: s.SCAC, CarrierRouting: s.CarrierRouting}
		}
		q := &xQuantityAndWeigh{PackingMedium: "CTN", LadingQuantity: s.Cartons, Weight: s.Weight, WeightUOM: s.WeightUOM}
		if s.Weight != "" {
			q.WeightQualifier = "G"
		}
		x.Header.QuantityAndWeight = q
		lines := 0
		for _, o := range s.Orders {
			ol := xOrderLevel{OrderHeader: xOrderHeader{PurchaseOrderNumber: o.PONumber, PurchaseOrderDate: o.PODate, Department: o.Department, Vendor: o.Vendor}}
			for _, r := range o.References {
				ol.References = append(ol.References, xRef{ReferenceQual: r.Qualifier, ReferenceID: r.ID, Description: r.Description})
			}
			for _, p := range o.Packs {
				if !validSSCC(p.SSCC) {
					return nil, fmt.Errorf("rsx: shipment %s: SSCC %q is not an 18-digit SSCC with a valid check digit", s.ShipmentID, p.SSCC)
				}
				pl := xPackLevel{Pack: xPack{PackLevelType: "P", ShippingSerialID: "00" + p.SSCC, CarrierPackageID: p.Tracking}}
				for _, it := range p.Items {
					pl.ItemLevel = append(pl.ItemLevel, xItemLevel{ShipmentLine: xShipmentLine{LineSequenceNumber: it.Sequence,
						BuyerPartNumber: it.BuyerPartNumber, VendorPartNumber: it.VendorPartNumber, ConsumerPackageCode: it.ConsumerPackageCode,
						GTIN: it.GTIN, OrderQty: it.OrderQty, OrderQtyUOM: it.OrderQtyUOM, ShipQty: it.ShipQty, ShipQtyUOM: it.ShipQtyUOM}})
					lines++
				}
				ol.PackLevel = append(ol.PackLevel, pl)
			}
			x.OrderLevel = append(x.OrderLevel, ol)
		}
		x.Summary.TotalLineItemNumber = lines
		doc.Shipments = append(doc.Shipments, x)
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("rsx: encoding shipments: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// ParseShipments reads an RSX Shipments file (local names) and checks it:
// a PO per order, a 20-digit AI 00 serial per carton, ship quantities,
// and the line total.
func ParseShipments(data []byte) (*Shipments, error) {
	root, err := parseTree(data)
	if err != nil {
		return nil, Errors{err.(*Error)}
	}
	return shipmentsFrom(root)
}

func shipmentsFrom(root *node) (*Shipments, error) {
	items := root.all("Shipment")
	switch root.name {
	case "Shipments":
	case "Shipment":
		items = []*node{root}
	default:
		return nil, Errors{{Path: root.path, Line: root.line, Message: fmt.Sprintf("root element %s is not an RSX ship notice (Shipments)", root.name)}}
	}
	out := &Shipments{}
	var errs Errors
	problem := func(at *node, format string, a ...any) {
		errs = append(errs, &Error{Path: at.path, Line: at.line, Message: fmt.Sprintf(format, a...)})
	}
	if len(items) == 0 {
		problem(root, "no Shipment in the file")
	}
	for _, n := range items {
		s := &Shipment{Orders: []ShipOrder{}}
		h := n.child("Header")
		sh := h.child("ShipmentHeader")
		if sh == nil {
			problem(n, "Header/ShipmentHeader is missing")
			out.Shipments = append(out.Shipments, s)
			continue
		}
		s.TradingPartnerID, s.ShipmentID, s.ShipDate = sh.get("TradingPartnerId"), sh.get("ShipmentIdentification"), sh.get("ShipDate")
		s.Purpose, s.Structure = sh.get("TsetPurposeCode"), sh.get("ASNStructureCode")
		s.ShipNoticeDate, s.ShipNoticeTime = sh.get("ShipNoticeDate"), sh.get("ShipNoticeTime")
		s.BillOfLading, s.CarrierPro = sh.get("BillOfLadingNumber"), sh.get("CarrierProNumber")
		for _, f := range []struct{ name, v string }{{"TradingPartnerId", s.TradingPartnerID}, {"ShipmentIdentification", s.ShipmentID}, {"ShipDate", s.ShipDate}} {
			if f.v == "" {
				problem(sh, "%s is missing", f.name)
			}
		}
		if ci := h.child("CarrierInformation"); ci != nil {
			s.SCAC, s.CarrierRouting, s.TransMethod = ci.get("CarrierAlphaCode"), ci.get("CarrierRouting"), ci.get("CarrierTransMethodCode")
		}
		if q := h.child("QuantityAndWeight"); q != nil {
			s.Cartons, _ = strconv.Atoi(q.get("LadingQuantity"))
			s.Weight, s.WeightUOM = q.get("Weight"), q.get("WeightUOM")
		}
		for _, a := range h.all("Address") {
			s.Addresses = append(s.Addresses, Address{Type: a.get("AddressTypeCode"), LocationQualifier: a.get("LocationCodeQualifier"),
				LocationNumber: a.get("AddressLocationNumber"), Name: a.get("AddressName"), Address1: a.get("Address1"), Address2: a.get("Address2"),
				City: a.get("City"), State: a.get("State"), PostalCode: a.get("PostalCode"), Country: a.get("Country")})
		}
		lines, packs := 0, 0
		for _, ol := range n.all("OrderLevel") {
			oh := ol.child("OrderHeader")
			o := ShipOrder{PONumber: oh.get("PurchaseOrderNumber"), PODate: oh.get("PurchaseOrderDate"),
				Department: oh.get("Department"), Vendor: oh.get("Vendor"), Packs: []Pack{}}
			if o.PONumber == "" {
				problem(ol, "OrderHeader/PurchaseOrderNumber is missing")
			}
			for _, r := range ol.all("References") {
				o.References = append(o.References, Reference{Qualifier: r.get("ReferenceQual"), ID: r.get("ReferenceID"), Description: r.get("Description")})
			}
			for _, pl := range ol.all("PackLevel") {
				pk := pl.child("Pack")
				serial := pk.get("ShippingSerialID")
				p := Pack{Tracking: pk.get("CarrierPackageID"), Items: []ShipLine{}}
				switch {
				case len(serial) != 20 || serial[:2] != "00":
					problem(pk.at("ShippingSerialID", "PackLevelType"), "ShippingSerialID %q is not AI 00 followed by an 18-digit SSCC", clip(serial))
				case !validSSCC(serial[2:]):
					problem(pk.child("ShippingSerialID"), "SSCC %s has a wrong check digit", serial[2:])
				default:
					p.SSCC = serial[2:]
				}
				packs++
				for _, il := range pl.all("ItemLevel") {
					sl := il.child("ShipmentLine")
					it := ShipLine{Sequence: sl.get("LineSequenceNumber"), BuyerPartNumber: sl.get("BuyerPartNumber"), VendorPartNumber: sl.get("VendorPartNumber"),
						ConsumerPackageCode: sl.get("ConsumerPackageCode"), GTIN: sl.get("GTIN"), OrderQty: sl.get("OrderQty"), OrderQtyUOM: sl.get("OrderQtyUOM"),
						ShipQty: sl.get("ShipQty"), ShipQtyUOM: sl.get("ShipQtyUOM")}
					if !decimalText.MatchString(it.ShipQty) || isZero(it.ShipQty) {
						problem(sl.at("ShipQty", "ShipQtyUOM", "LineSequenceNumber"), "ShipQty %q is not a positive number", clip(it.ShipQty))
					}
					p.Items = append(p.Items, it)
					lines++
				}
				if len(p.Items) == 0 {
					problem(pl, "carton has no ItemLevel")
				}
				o.Packs = append(o.Packs, p)
			}
			s.Orders = append(s.Orders, o)
		}
		if len(s.Orders) == 0 {
			problem(n, "no OrderLevel")
		}
		if sum := n.child("Summary"); sum != nil {
			s.TotalLines, _ = strconv.Atoi(sum.get("TotalLineItemNumber"))
			if s.TotalLines != lines {
				problem(sum, "TotalLineItemNumber says %d, the notice has %d item lines", s.TotalLines, lines)
			}
		}
		if q := h.child("QuantityAndWeight"); q != nil && s.Cartons != packs {
			problem(q, "LadingQuantity says %d cartons, the notice has %d", s.Cartons, packs)
		}
		out.Shipments = append(out.Shipments, s)
	}
	if len(errs) > 0 {
		return out, errs
	}
	return out, nil
}

// validSSCC checks an 18-digit SSCC's GS1 mod-10 check digit.
func validSSCC(s string) bool {
	if len(s) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := s[16-i]
		if c < '0' || c > '9' {
			return false
		}
		w := 1
		if i%2 == 0 {
			w = 3
		}
		sum += int(c-'0') * w
	}
	return s[17] >= '0' && s[17] <= '9' && int(s[17]-'0') == (10-sum%10)%10
}

// Document is any RSX file this package reads.
type Document struct {
	Kind      string     `json:"kind"` // orders or shipments
	Orders    *Orders    `json:"orders,omitempty"`
	Shipments *Shipments `json:"shipments,omitempty"`
}

// Parse reads an RSX file of either kind.
func Parse(data []byte) (*Document, error) {
	root, err := parseTree(data)
	if err != nil {
		return nil, Errors{err.(*Error)}
	}
	switch root.name {
	case "Shipments", "Shipment":
		s, err := shipmentsFrom(root)
		return &Document{Kind: "shipments", Shipments: s}, err
	}
	o, err := ordersFrom(root)
	return &Document{Kind: "orders", Orders: o}, err
}
