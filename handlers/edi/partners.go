package edi

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// defaultPartners is the trading-partner configuration the binary ships
// with; EDI_PARTNERS replaces it (same JSON).
//
//go:embed partners.json
var defaultPartners []byte

// Label kinds Cirro prints, as label_template's sub-objects.
var labelKinds = map[string]string{
	"ucc": "ucc_label", "pallet": "pallet_label", "packing_slip": "packing_slip_label", "gtin14": "gtin14_label",
}

// Item fields a label may carry.
var labelFields = []string{"upc", "product_sku", "platform_sku", "gtin14", "style", "color", "size"}

// Line fields platform_sku may come from.
var platformSources = []string{"buyer_part_number", "upc", "gtin14", "vendor_part_number"}

// Partners is the trading-partner configuration: one entry per retailer.
// A new retailer is an entry (and a golden test), never code.
type Partners struct {
	Defaults Terms      `json:"defaults"`
	List     []*Partner `json:"partners"`
}

// Terms are the per-partner rules that have defaults.
type Terms struct {
	// ASNFormat is how the 856 goes to SPS: rsx (RSX XML) or x12.
	ASNFormat string `json:"asn_format,omitempty"`
	// ASNDueMinutes is how long after the ship event the 856 must be sent.
	ASNDueMinutes int `json:"asn_due_minutes,omitempty"`
	// AckDueHours is how long after sending an X12 document its 997 is due.
	AckDueHours int `json:"ack_due_hours,omitempty"`
	// WarnBeforeMinutes is how long before a deadline people are told.
	WarnBeforeMinutes int `json:"warn_before_minutes,omitempty"`
	// ShipMethod is the ship method the 940's order asks Cirro for (an
	// SHIP_METHODS key).
	ShipMethod string `json:"ship_method,omitempty"`
}

// Partner is one retailer.
type Partner struct {
	// ID is the 3-character prefix of SPS's TradingPartnerId (080 Amazon).
	ID   string `json:"id"`
	Name string `json:"name"`
	// TradingPartnerIDs are SPS's full ids for the relationship.
	TradingPartnerIDs []string `json:"trading_partner_ids"`
	// ISAIDs are the partner's X12 interchange IDs (ISA06 of what it sends).
	ISAIDs []string `json:"isa_ids,omitempty"`
	// NAVCustomer is the Sell-to Customer No. in NAV.
	NAVCustomer string `json:"nav_customer"`
	Terms
	// Labels are the labels the retailer wants and the item fields each
	// carries: ucc, packing_slip, pallet, gtin14.
	Labels map[string][]string `json:"labels"`
	// PlatformSKU says what platform_sku means for the retailer and which
	// PO field it comes from.
	PlatformSKU PlatformSKU `json:"platform_sku"`
	// ShipTo maps the PO's ship-to location number (store or DC) to NAV's
	// Ship-to Code.
	ShipTo map[string]string `json:"ship_to"`
	// Items maps the retailer's item ids (buyer part number, UPC, GTIN) to
	// our item number, for lines without our vendor part number.
	Items map[string]string `json:"items"`
}

// PlatformSKU is what the retailer's own item number is.
type PlatformSKU struct {
	Meaning string `json:"meaning"`
	From    string `json:"from"`
}

// ParsePartners reads and checks a configuration; every problem is named.
func ParsePartners(data []byte) (*Partners, error) {
	var p Partners
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("trading-partner configuration is not valid JSON of the expected shape: %w", err)
	}
	var errs []error
	d := p.Defaults
	if d.ASNFormat == "" {
		d.ASNFormat = "rsx"
	}
	if d.ASNDueMinutes <= 0 {
		d.ASNDueMinutes = 60
	}
	if d.AckDueHours <= 0 {
		d.AckDueHours = 24
	}
	if d.WarnBeforeMinutes <= 0 {
		d.WarnBeforeMinutes = 15
	}
	p.Defaults = d
	seen := map[string]bool{}
	for i, pt := range p.List {
		where := fmt.Sprintf("partner %d (%s)", i+1, pt.ID)
		if len(pt.ID) != 3 {
			errs = append(errs, fmt.Errorf("%s: id must be the 3-character trading partner prefix", where))
		}
		if seen[pt.ID] {
			errs = append(errs, fmt.Errorf("%s: id repeats", where))
		}
		seen[pt.ID] = true
		if pt.NAVCustomer == "" {
			errs = append(errs, fmt.Errorf("%s: nav_customer is missing", where))
		}
		if pt.ASNFormat == "" {
			pt.ASNFormat = d.ASNFormat
		}
		if pt.ASNFormat != "rsx" && pt.ASNFormat != "x12" {
			errs = append(errs, fmt.Errorf("%s: asn_format %q is not rsx or x12", where, pt.ASNFormat))
		}
		if pt.ASNDueMinutes <= 0 {
			pt.ASNDueMinutes = d.ASNDueMinutes
		}
		if pt.AckDueHours <= 0 {
			pt.AckDueHours = d.AckDueHours
		}
		if pt.WarnBeforeMinutes <= 0 {
			pt.WarnBeforeMinutes = d.WarnBeforeMinutes
		}
		if pt.ShipMethod == "" {
			pt.ShipMethod = d.ShipMethod
		}
		if len(pt.Labels) == 0 {
			errs = append(errs, fmt.Errorf("%s: labels are missing", where))
		}
		for kind, fields := range pt.Labels {
			if _, ok := labelKinds[kind]; !ok {
				errs = append(errs, fmt.Errorf("%s: label %q is not one of ucc, packing_slip, pallet, gtin14", where, kind))
			}
			for _, f := range fields {
				if !slices.Contains(labelFields, f) {
					errs = append(errs, fmt.Errorf("%s: label %s field %q is not one of %s", where, kind, f, strings.Join(labelFields, ", ")))
				}
			}
		}
		if pt.PlatformSKU.From != "" && !slices.Contains(platformSources, pt.PlatformSKU.From) {
			errs = append(errs, fmt.Errorf("%s: platform_sku.from %q is not one of %s", where, pt.PlatformSKU.From, strings.Join(platformSources, ", ")))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &p, nil
}

// CheckPartners is the EDI_PARTNERS setting's check.
func CheckPartners(v string) error {
	_, err := ParsePartners([]byte(v))
	return err
}

// loadPartners is the configured list, or the embedded default.
func loadPartners(setting string) (*Partners, error) {
	if strings.TrimSpace(setting) != "" {
		return ParsePartners([]byte(setting))
	}
	return ParsePartners(defaultPartners)
}

// ByTradingPartnerID finds the partner of SPS's TradingPartnerId: the full
// id first, then its 3-character prefix.
func (p *Partners) ByTradingPartnerID(id string) (*Partner, bool) {
	for _, pt := range p.List {
		if slices.Contains(pt.TradingPartnerIDs, id) {
			return pt, true
		}
	}
	if len(id) >= 3 {
		for _, pt := range p.List {
			if pt.ID == id[:3] {
				return pt, true
			}
		}
	}
	return nil, false
}

// ByISA finds the partner of an X12 interchange sender ID.
func (p *Partners) ByISA(senderID string) (*Partner, bool) {
	senderID = strings.TrimSpace(senderID)
	for _, pt := range p.List {
		if slices.Contains(pt.ISAIDs, senderID) {
			return pt, true
		}
	}
	return nil, false
}

// ByID finds a partner by its 3-character id.
func (p *Partners) ByID(id string) (*Partner, bool) {
	for _, pt := range p.List {
		if pt.ID == id {
			return pt, true
		}
	}
	return nil, false
}
