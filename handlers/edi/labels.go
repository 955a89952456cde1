package edi

import (
	"encoding/json"
	"fmt"
	"sort"
)

// LabelItem is one item's data on a label.
type LabelItem struct {
	SKU      string
	Quantity int
	UPC      string
	GTIN14   string
	Platform string // the retailer's item number (platform_sku)
}

// LabelHeader is what every label may show of the order.
type LabelHeader struct {
	Dept       string
	DC         string
	Store      string
	Type       string
	Name       string
	Company    string
	ShipmentID string
}

// Labels builds Cirro's label_template and carton_list for a retailer's
// order from its configuration alone: which labels it wants, which item
// fields each carries, what platform_sku is. No retailer has code of its
// own. (Assumption, Cirro's "Label Detail" spec: each label is an object
// with its header fields and items[]; carton_list lists, per SKU, the
// quantity and the labels to apply to its cartons.)
func Labels(pt *Partner, h LabelHeader, items []LabelItem) (labelTemplate, cartonList json.RawMessage, err error) {
	kinds := make([]string, 0, len(pt.Labels))
	for k := range pt.Labels {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	tmpl := map[string]any{}
	var applied []string
	for _, kind := range kinds {
		name, ok := labelKinds[kind]
		if !ok {
			return nil, nil, fmt.Errorf("label %q is not one of ucc, packing_slip, pallet, gtin14", kind)
		}
		applied = append(applied, name)
		label := map[string]any{}
		switch kind {
		case "ucc", "pallet":
			label["dept"], label["dc"], label["store"], label["type"] = h.Dept, h.DC, h.Store, h.Type
		case "packing_slip":
			label["dc"], label["dept"], label["name"], label["company_name"], label["shipment_id"] = h.DC, h.Dept, h.Name, h.Company, h.ShipmentID
		}
		rows := make([]map[string]any, 0, len(items))
		for _, it := range items {
			row := map[string]any{}
			for _, f := range pt.Labels[kind] {
				switch f {
				case "upc":
					row["upc"] = it.UPC
				case "product_sku":
					row["product_sku"] = it.SKU
				case "platform_sku":
					row["platform_sku"] = it.Platform
				case "gtin14":
					row["gtin14"] = it.GTIN14
				default: // style, color, size: not carried by a PO line
					row[f] = ""
				}
			}
			rows = append(rows, row)
		}
		label["items"] = rows
		tmpl[name] = label
	}
	type carton struct {
		SKU      string   `json:"sku"`
		Quantity int      `json:"quantity"`
		Labels   []string `json:"labels"`
	}
	cl := make([]carton, 0, len(items))
	for _, it := range items {
		cl = append(cl, carton{SKU: it.SKU, Quantity: it.Quantity, Labels: applied})
	}
	if labelTemplate, err = json.Marshal(tmpl); err != nil {
		return nil, nil, err
	}
	if cartonList, err = json.Marshal(cl); err != nil {
		return nil, nil, err
	}
	return labelTemplate, cartonList, nil
}

// platformSKU is the retailer's item number for a PO line.
func (pt *Partner) platformSKU(l POLine) string {
	switch pt.PlatformSKU.From {
	case "upc":
		return l.UPC
	case "gtin14":
		return l.GTIN
	case "vendor_part_number":
		return l.VendorPartNumber
	default:
		return l.BuyerPartNumber
	}
}
