package product

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/popsockets/integration/shared/arena"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/jackyun"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/printstation"
)

// maxID bounds the identifiers this flow stores and sends on.
const maxID = 64

// Attribute names this flow reads (A: the names PopSockets' Arena workspace
// uses; a different name is a change here).
const (
	// AttrImageType says how an item is printed (CPOD, CYO, STD, POD), or FG.
	AttrImageType = "Image Type"
	// AttrBarcode is the item's UPC/EAN, which the China warehouse scans.
	AttrBarcode = "UPC"
)

func equalFold(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// FromArena builds the products payload from an item revision and its BOM.
func FromArena(it arena.Item, itemGUID string, bom []arena.BOMLine) (Revision, error) {
	r := Revision{ItemNumber: it.Number, Revision: it.RevisionNumber, ItemGUID: itemGUID, RevisionGUID: it.GUID, Name: it.Name,
		Description: it.Description, Category: it.Category.Name, LifecyclePhase: it.LifecyclePhase.Name, UOM: it.UOM,
		EffectiveAt: arena.EffectiveAt(it.EffectiveDateTime), Attributes: []Attribute{}, BOM: []BOMLine{}}
	for _, a := range it.AdditionalAttributes {
		r.Attributes = append(r.Attributes, Attribute{Name: a.Name, Value: a.Text(), FieldType: a.FieldType})
	}
	for _, b := range bom {
		r.BOM = append(r.BOM, BOMLine{LineNumber: b.LineNumber, ItemNumber: b.Item.Number, Revision: b.Item.RevisionNumber,
			Quantity: b.Quantity.String(), RefDes: b.RefDes})
	}
	if err := r.Check(); err != nil {
		return Revision{}, err
	}
	return r, nil
}

// Check refuses a revision this flow cannot key or send: no item number or
// revision, or identifiers that are not text.
func (r Revision) Check() error {
	if err := azfunc.CheckField("item_number", r.ItemNumber, maxID, true); err != nil {
		return fault.Malformed(fmt.Errorf("Arena item: %w", err))
	}
	if err := azfunc.CheckField("revision", r.Revision, maxID, true); err != nil {
		return fault.Malformed(fmt.Errorf("Arena item %s: %w", r.ItemNumber, err))
	}
	if strings.TrimSpace(r.Name) == "" || !utf8.ValidString(r.Name) {
		return fault.Permanentf("Arena item %s revision %s has no name", r.ItemNumber, r.Revision)
	}
	for _, b := range r.BOM {
		if err := azfunc.CheckField("bom item_number", b.ItemNumber, maxID, true); err != nil {
			return fault.Permanentf("Arena item %s revision %s, BOM line %d: %v", r.ItemNumber, r.Revision, b.LineNumber, err)
		}
	}
	return nil
}

// Key is the revision's business key: item number and revision.
func (r Revision) Key() string { return r.ItemNumber + "@" + r.Revision }

// Newer reports whether revision a is newer than b: by effective time when
// both have one, else by revision number (a longer number is newer, so Z <
// AA and 9 < 10; then by text). Equal revisions are not newer.
func Newer(aRev string, aAt time.Time, bRev string, bAt time.Time) bool {
	if aRev == bRev {
		return false
	}
	if !aAt.IsZero() && !bAt.IsZero() && !aAt.Equal(bAt) {
		return aAt.After(bAt)
	}
	if len(aRev) != len(bRev) {
		return len(aRev) > len(bRev)
	}
	return aRev > bRev
}

func attributeMap(r Revision) map[string]string {
	if len(r.Attributes) == 0 {
		return nil
	}
	m := make(map[string]string, len(r.Attributes))
	for _, a := range r.Attributes {
		m[a.Name] = a.Value
	}
	return m
}

// OMSProduct maps a revision to OMS's product (every item goes to OMS).
func OMSProduct(r Revision) oms.Product {
	p := oms.Product{SKU: r.ItemNumber, Name: r.Name, Description: r.Description, Revision: r.Revision, EffectiveAt: r.EffectiveAt,
		LifecyclePhase: r.LifecyclePhase, Category: r.Category, UOM: r.UOM, Attributes: attributeMap(r)}
	for _, b := range r.BOM {
		p.BOM = append(p.BOM, oms.Component{SKU: b.ItemNumber, Quantity: b.Quantity})
	}
	return p
}

// PrintStationProduct maps a printable revision to PrintStation's product;
// ok is false for an item PrintStation does not print (its Image Type is
// FG, empty or another value), with the reason.
func PrintStationProduct(r Revision) (p printstation.Product, ok bool, why string) {
	it := strings.ToUpper(strings.TrimSpace(r.Attr(AttrImageType)))
	if !slices.Contains(printstation.ProductImageTypes, it) {
		if it == "" {
			it = "none"
		}
		return printstation.Product{}, false, fmt.Sprintf("not printed (%s %s)", AttrImageType, it)
	}
	return printstation.Product{SKU: r.ItemNumber, Name: r.Name, Revision: r.Revision, EffectiveAt: r.EffectiveAt, ImageType: it,
		Category: r.Category, Attributes: attributeMap(r)}, true, ""
}

// JackyunGoods maps a revision to the China warehouse's SKU (every item).
func JackyunGoods(r Revision) jackyun.Goods {
	return jackyun.Goods{GoodsNo: r.ItemNumber, GoodsName: r.Name, Barcode: r.Attr(AttrBarcode), Category: r.Category, Unit: r.UOM,
		Revision: r.Revision, Attributes: attributeMap(r)}
}
