package china

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/jackyun"
	"github.com/popsockets/integration/shared/oms"
)

// maxID bounds the identifiers this flow stores and sends on.
const maxID = 64

// printImageTypes are the flags of goodsFlagNames that name a print's type;
// a line to print with none of them is POD.
var printImageTypes = []string{"CPOD", "CYO", "STD", "POD"}

// Image types of BatchStation lines.
const (
	ImageTypePOD = "POD"
	ImageTypeFG  = "FG"
)

// lineError says which line of an order could not be read.
func lineError(t jackyun.Trade, i int, format string, a ...any) error {
	return fault.Permanentf("order %s from Jackyun, line %d: %s", azfunc.Clip(t.TradeNo, maxID), i+1, fmt.Sprintf(format, a...))
}

func checkOrder(t jackyun.Trade) error {
	if err := azfunc.CheckField("tradeNo", t.TradeNo, maxID, true); err != nil {
		return fault.Malformed(fmt.Errorf("order from Jackyun: %w", err))
	}
	if err := azfunc.CheckField("orderNo", t.OrderNo, maxID, false); err != nil {
		return fault.Permanentf("order %s: %v", t.TradeNo, err)
	}
	if deleted, _ := t.IsDelete.Int(); deleted != 0 {
		return fault.Permanentf("order %s is deleted in Jackyun (isDelete %s): not sent on", t.TradeNo, t.IsDelete)
	}
	if len(t.GoodsDetail) == 0 {
		return fault.Permanentf("order %s has no goods lines", t.TradeNo)
	}
	return nil
}

// line is one goods line, read.
type line struct {
	sku      string
	count    int
	toPrint  int
	price    int64
	flags    string
	recipeID string
}

func readLine(t jackyun.Trade, i int) (line, error) {
	g := t.GoodsDetail[i]
	l := line{sku: strings.TrimSpace(g.GoodsNo), flags: g.GoodsFlagNames, recipeID: strings.TrimSpace(g.RecipeID)}
	if err := azfunc.CheckField("goodsNo", l.sku, maxID, true); err != nil {
		return line{}, lineError(t, i, "%v", err)
	}
	var err error
	if l.count, err = g.SellCount.Int(); err != nil || l.count <= 0 {
		return line{}, lineError(t, i, "sellCount %q is not a whole number above zero", azfunc.Clip(string(g.SellCount), 20))
	}
	if l.toPrint, err = g.NeedProcessCount.Int(); err != nil || l.toPrint < 0 || l.toPrint > l.count {
		return line{}, lineError(t, i, "needProcessCount %q is not a whole number from 0 to sellCount", azfunc.Clip(string(g.NeedProcessCount), 20))
	}
	if l.price, err = g.SellPrice.Minor(); err != nil || l.price < 0 {
		return line{}, lineError(t, i, "sellPrice %q is not an amount", azfunc.Clip(string(g.SellPrice), 20))
	}
	if err := azfunc.CheckField("recipeId", l.recipeID, maxID, false); err != nil {
		return line{}, lineError(t, i, "%v", err)
	}
	return l, nil
}

// OMSOrder maps a Jackyun order to the order OMS creates: source jackyun,
// its tradeNo as the source order id, its orderNo as the number people
// see, the China warehouse, prices in minor units of the order's currency
// (CNY when it says none), print lines marked. A line that cannot be read
// fails the whole order (permanent: it is parked with the reason).
func OMSOrder(t jackyun.Trade, warehouse string) (oms.SourceOrder, error) {
	if err := checkOrder(t); err != nil {
		return oms.SourceOrder{}, err
	}
	o := oms.SourceOrder{Source: oms.SourceJackyun, SourceOrderID: t.TradeNo, OrderNumber: t.OrderNo, Shop: t.ShopName,
		Warehouse: warehouse, Currency: strings.ToUpper(strings.TrimSpace(t.Currency))}
	if o.Currency == "" {
		o.Currency = "CNY"
	}
	if t.GmtCreate != "" {
		at, err := jackyun.ParseChina(t.GmtCreate)
		if err != nil {
			return oms.SourceOrder{}, fault.Permanentf("order %s: gmtCreate: %v", t.TradeNo, err)
		}
		o.OrderedAt = at.UTC()
	}
	for i := range t.GoodsDetail {
		l, err := readLine(t, i)
		if err != nil {
			return oms.SourceOrder{}, err
		}
		o.Lines = append(o.Lines, oms.SourceLine{LineNo: i + 1, SKU: l.sku, Quantity: l.count, UnitPriceMinor: l.price, Print: l.toPrint > 0})
	}
	return o, nil
}

// HasPrintLines reports whether any line is to be printed (needProcessCount > 0).
func HasPrintLines(t jackyun.Trade) bool {
	for _, g := range t.GoodsDetail {
		if n, err := g.NeedProcessCount.Int(); err == nil && n > 0 {
			return true
		}
	}
	return false
}

// BatchStation maps an order with print lines to BatchStation's payload:
// site, orderId = tradeNo, omsOrderId = orderNo, date = the day it was
// made in China (gmtCreate, else gmtModified), status NEW, and every line
// numbered 10000, 20000, ...: a print line with the count to print, its
// image type (from goodsFlagNames, else POD) and recipe; any other line FG,
// with its count. ok is false for an order with no print line (FG only:
// it goes to OMS only). It depends on the order alone, so a redelivery
// builds the same payload.
func BatchStation(t jackyun.Trade, site string) (p BatchStationOrder, ok bool, err error) {
	if err := checkOrder(t); err != nil {
		return BatchStationOrder{}, false, err
	}
	if !HasPrintLines(t) {
		return BatchStationOrder{}, false, nil
	}
	day := t.GmtCreate
	if day == "" {
		day = t.GmtModified
	}
	made, err := jackyun.ParseChina(day)
	if err != nil {
		return BatchStationOrder{}, false, fault.Permanentf("order %s: no readable gmtCreate or gmtModified: %v", t.TradeNo, err)
	}
	p = BatchStationOrder{SiteID: site, OrderID: t.TradeNo, OMSOrderID: t.OrderNo, Date: made.In(jackyun.China()).Format(time.DateOnly), Status: "NEW"}
	for i := range t.GoodsDetail {
		l, err := readLine(t, i)
		if err != nil {
			return BatchStationOrder{}, false, err
		}
		item := BatchStationItem{OrderLineNumber: strconv.Itoa((i + 1) * 10000), ProductSKU: l.sku, Quantity: l.count, ImageType: ImageTypeFG}
		if l.toPrint > 0 {
			item.Quantity, item.ImageType = l.toPrint, imageType(l.flags)
			if l.recipeID != "" {
				r := l.recipeID
				item.RecipeID = &r
			}
		}
		p.OrderItems = append(p.OrderItems, item)
	}
	return p, true, nil
}

// imageType picks the print's type from a line's comma-separated flags.
func imageType(flags string) string {
	for _, f := range strings.FieldsFunc(flags, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '，' }) {
		for _, t := range printImageTypes {
			if strings.EqualFold(strings.TrimSpace(f), t) {
				return t
			}
		}
	}
	return ImageTypePOD
}

func payloadJSON(p BatchStationOrder) []byte {
	b, _ := json.Marshal(p) // plain strings and numbers: it cannot fail
	return b
}
