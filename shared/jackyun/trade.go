package jackyun

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/popsockets/integration/shared/fault"
)

// Num is a number Jackyun may write as a JSON number or as a string
// ("3", "12.50"); it keeps the text.
type Num string

// UnmarshalJSON accepts a number, a string or null.
func (n *Num) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*n = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = Num(strings.TrimSpace(s))
		return nil
	default:
		var num json.Number
		if err := json.Unmarshal(b, &num); err != nil {
			return fmt.Errorf("%s is not a number", clip(string(b), 20))
		}
		*n = Num(num.String())
		return nil
	}
}

// Int reads a whole number; "" is 0. "3.0" is 3, "2.5" is an error.
func (n Num) Int() (int, error) {
	if n == "" {
		return 0, nil
	}
	s := string(n)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		if strings.Trim(s[i+1:], "0") != "" {
			return 0, fmt.Errorf("%q is not a whole number", clip(s, 20))
		}
		s = s[:i]
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", clip(string(n), 20))
	}
	return v, nil
}

// Minor reads a decimal amount ("12.5") as minor units with two decimals
// (1250), without floating point; "" is 0. More than two decimals that are
// not zeros is an error.
func (n Num) Minor() (int64, error) {
	s := string(n)
	if s == "" {
		return 0, nil
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if len(frac) > 2 {
		if strings.Trim(frac[2:], "0") != "" {
			return 0, fmt.Errorf("%q has more than two decimals", clip(string(n), 20))
		}
		frac = frac[:2]
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w > (1<<62)/100 {
		return 0, fmt.Errorf("%q is not an amount", clip(string(n), 20))
	}
	v := w*100 + f
	if neg {
		v = -v
	}
	return v, nil
}

// Trade is a sales order of MethodTradeList, decoded. Keys decode whatever
// their case (Jackyun writes TradeNo or tradeNo).
type Trade struct {
	TradeNo       string      `json:"tradeNo"`
	TradeID       Num         `json:"tradeId"`
	OrderNo       string      `json:"orderNo"`
	TradeStatus   Num         `json:"tradeStatus"`
	SourceTradeNo string      `json:"sourceTradeNo"`
	OnlineTradeNo string      `json:"onlineTradeNo"`
	WarehouseCode string      `json:"warehouseCode"`
	ShopName      string      `json:"shopName"`
	FlagNames     string      `json:"flagNames"`
	GmtCreate     string      `json:"gmtCreate"`
	GmtModified   string      `json:"gmtModified"`
	LastShipTime  string      `json:"lastShipTime"`
	IsDelete      Num         `json:"isDelete"`
	Currency      string      `json:"currency"`
	GoodsDetail   []GoodsLine `json:"goodsDetail"`
}

// GoodsLine is one line of a Trade.
type GoodsLine struct {
	GoodsNo   string `json:"goodsNo"`
	GoodsName string `json:"goodsName"`
	SellCount Num    `json:"sellCount"`
	SellPrice Num    `json:"sellPrice"`
	// NeedProcessCount > 0 marks a line to be printed (POD).
	NeedProcessCount Num    `json:"needProcessCount"`
	GoodsFlagNames   string `json:"goodsFlagNames"`
	// RecipeID is the print recipe KH keeps on the line (A).
	RecipeID string `json:"recipeId"`
}

// ErrNoTradeNo means an order came without its tradeNo.
var ErrNoTradeNo = errors.New("order has no tradeNo")

// DecodeTrade reads one raw order. Its errors are Malformed: the order
// cannot be read, and reading it again will not help.
func DecodeTrade(raw []byte) (Trade, error) {
	var t Trade
	if err := json.Unmarshal(raw, &t); err != nil {
		return Trade{}, fault.Malformed(fmt.Errorf("decoding Jackyun order: %w", err))
	}
	if strings.TrimSpace(t.TradeNo) == "" {
		return Trade{}, fault.Malformed(ErrNoTradeNo)
	}
	return t, nil
}
