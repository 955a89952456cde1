package jackyun

import (
	"encoding/json"
	"testing"
)

// FuzzParseAnswer: whatever Jackyun answers inside HTTP 200, parsing never
// panics, and an answer it accepts has data that is JSON (or none) and
// orders that are JSON objects.
func FuzzParseAnswer(f *testing.F) {
	for _, s := range []string{
		`{"code":200,"msg":"success","result":{"data":{"TotalResults":1,"Trades":[{"tradeNo":"JY1"}]},"scrollId":"s1"}}`,
		`{"code":"200","result":{"data":"{\"trades\":[{\"TradeNo\":\"JY2\"}]}"}}`,
		`{"code":500,"msg":"busy","subCode":"isp.busy"}`,
		`{"error_response":{"code":25,"msg":"Invalid signature","sub_code":"isv.invalid-signature"}}`,
		`{"code":200,"result":{"data":"not json"}}`,
		`{"code":200,"result":{"data":null}}`,
		`<html>bad gateway</html>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := parseAnswer(MethodTradeList, body)
		if err != nil {
			return
		}
		if len(res.Data) > 0 && !json.Valid(res.Data) {
			t.Fatalf("accepted data that is not JSON: %q", res.Data)
		}
		page, err := parseTradePage(res)
		if err != nil {
			return
		}
		for _, tr := range page.Trades {
			var obj map[string]json.RawMessage
			if json.Unmarshal(tr.Raw, &obj) != nil {
				t.Fatalf("accepted an order that is not an object: %q", tr.Raw)
			}
		}
	})
}

// FuzzDecodeTrade: an order either decodes with a tradeNo or is refused as
// malformed; its amounts and counts never panic.
func FuzzDecodeTrade(f *testing.F) {
	f.Add([]byte(`{"tradeNo":"JY1","goodsDetail":[{"goodsNo":"A","sellCount":"2","sellPrice":12.5,"needProcessCount":1}]}`))
	f.Add([]byte(`{"TradeNo":"JY2","GoodsDetail":[{"SellCount":1.0}]}`))
	f.Add([]byte(`{"tradeNo":""}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		tr, err := DecodeTrade(raw)
		if err != nil {
			return
		}
		if tr.TradeNo == "" {
			t.Fatal("decoded an order without tradeNo")
		}
		for _, g := range tr.GoodsDetail {
			_, _ = g.SellCount.Int()
			_, _ = g.SellPrice.Minor()
			_, _ = g.NeedProcessCount.Int()
		}
	})
}

// FuzzParseChina: a time either parses and formats back to a valid Jackyun
// time, or is refused.
func FuzzParseChina(f *testing.F) {
	f.Add("2026-03-02 00:00:00")
	f.Add("2026-03-02 00:00:00.123")
	f.Add("1991-04-14 02:30:00")
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseChina(s)
		if err != nil {
			return
		}
		if _, err := ParseChina(FormatChina(tm)); err != nil {
			t.Fatalf("%q parsed but its formatting %q does not", s, FormatChina(tm))
		}
	})
}
