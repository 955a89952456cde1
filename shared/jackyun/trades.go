package jackyun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/fault"
)

// TradeQuery asks MethodTradeList for one page.
type TradeQuery struct {
	// From and To bound the orders' last modification; they are sent in
	// China time, whatever zone they are in.
	From, To time.Time
	// Status is the tradeStatus (default TradeStatusReadyToShip).
	Status int
	// PageSize is at most MaxPageSize (default MaxPageSize).
	PageSize int
	// ScrollID continues a listing; empty starts one.
	ScrollID string
	// Fields are the fields to return (default Fields).
	Fields []string
	// TradeNo, when set, asks for that one order; From and To may then be zero.
	TradeNo string
}

// RawTrade is one order as Jackyun sent it, and its tradeNo ("" when the
// order has none: the caller keeps it and says so).
type RawTrade struct {
	TradeNo string
	Raw     json.RawMessage
}

// TradePage is one page of orders.
type TradePage struct {
	Trades []RawTrade
	// ScrollID continues the listing.
	ScrollID string
	// Total is what Jackyun says the whole listing holds (0 when it does not say).
	Total int
}

// ListTrades asks for one page of sales orders. Follow ScrollID until a
// page is shorter than the page size, or empty. Errors are classified
// (fault): a refusal inside HTTP 200 is an error, never an empty page.
func (c *Client) ListTrades(ctx context.Context, q TradeQuery) (TradePage, error) {
	if q.PageSize <= 0 {
		q.PageSize = MaxPageSize
	}
	if q.PageSize > MaxPageSize {
		return TradePage{}, fault.Permanentf("Jackyun page size %d is over its limit of %d", q.PageSize, MaxPageSize)
	}
	if q.Status == 0 {
		q.Status = TradeStatusReadyToShip
	}
	if len(q.Fields) == 0 {
		q.Fields = Fields
	}
	biz := url.Values{}
	biz.Set(ParamTradeStatus, strconv.Itoa(q.Status))
	biz.Set(ParamPageSize, strconv.Itoa(q.PageSize))
	biz.Set(ParamFields, strings.Join(q.Fields, ","))
	biz.Set(ParamScrollID, q.ScrollID)
	if q.TradeNo != "" {
		biz.Set(ParamTradeNo, q.TradeNo)
	} else {
		if q.From.IsZero() || q.To.IsZero() || q.To.Before(q.From) {
			return TradePage{}, fault.Permanentf("Jackyun order window %s - %s is empty or inverted", q.From, q.To)
		}
		biz.Set(ParamStartModified, FormatChina(q.From))
		biz.Set(ParamEndModified, FormatChina(q.To))
	}
	res, err := c.call(ctx, MethodTradeList, biz)
	if err != nil {
		return TradePage{}, fmt.Errorf("listing Jackyun orders: %w", err)
	}
	page, err := parseTradePage(res)
	if err != nil {
		return TradePage{}, fmt.Errorf("listing Jackyun orders: %w", err)
	}
	return page, nil
}

// parseTradePage reads the data of MethodTradeList. An order that is not a
// JSON object fails the page (transient: the answer is broken, not the
// order); an order without tradeNo is returned with an empty TradeNo.
func parseTradePage(res WireResult) (TradePage, error) {
	if len(res.Data) == 0 {
		return TradePage{ScrollID: res.ScrollID}, nil
	}
	var w WireTradePage
	if err := json.Unmarshal(res.Data, &w); err != nil {
		return TradePage{}, fault.Transient(fmt.Errorf("the page of orders does not decode: %w", err), 0)
	}
	page := TradePage{ScrollID: res.ScrollID, Total: w.TotalResults, Trades: make([]RawTrade, 0, len(w.Trades))}
	if page.ScrollID == "" {
		page.ScrollID = w.ScrollID
	}
	for i, raw := range w.Trades {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || raw[0] != '{' {
			return TradePage{}, fault.Transient(fmt.Errorf("order %d of the page is not an object", i+1), 0)
		}
		var head struct {
			TradeNo json.RawMessage `json:"tradeNo"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return TradePage{}, fault.Transient(fmt.Errorf("order %d of the page does not decode: %w", i+1, err), 0)
		}
		page.Trades = append(page.Trades, RawTrade{TradeNo: tradeNoText(head.TradeNo), Raw: append(json.RawMessage(nil), raw...)})
	}
	return page, nil
}

// tradeNoText reads a tradeNo written as a string (or, carelessly, a number).
func tradeNoText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// ErrTradeNotFound means Jackyun has no order with the tradeNo asked for.
var ErrTradeNotFound = errors.New("no such order in Jackyun")

// GetTrade asks for one order by its tradeNo (`handler jackyun repush`).
func (c *Client) GetTrade(ctx context.Context, tradeNo string) (RawTrade, error) {
	if strings.TrimSpace(tradeNo) == "" {
		return RawTrade{}, fault.Permanentf("getting a Jackyun order: no tradeNo")
	}
	page, err := c.ListTrades(ctx, TradeQuery{TradeNo: tradeNo, PageSize: 1})
	if err != nil {
		return RawTrade{}, err
	}
	for _, t := range page.Trades {
		if t.TradeNo == tradeNo {
			return t, nil
		}
	}
	return RawTrade{}, fault.Permanent(fmt.Errorf("order %s: %w", tradeNo, ErrTradeNotFound))
}
