package jackyuntest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/popsockets/integration/shared/jackyun"
)

// Sample is one order as Jackyun lists it, with what a test checks.
type Sample struct {
	TradeNo, OrderNo string
	Modified         time.Time
	// POD is true when at least one line is to be printed (needProcessCount > 0).
	POD bool
	// Lines counts the order's lines.
	Lines int
	Raw   []byte
}

var (
	fgSKUs  = []string{"PS-GRIP-BLK", "PS-GRIP-WHT", "PS-MAGSAFE-BLK", "PS-WALLET-BLK", "PS-MOUNT-CAR"}
	podSKUs = []struct{ sku, flag string }{{"PS-CUSTOM-CYO", "CYO"}, {"PS-CUSTOM-POD", "POD"}, {"PS-PRINT-STD", "STD"}}
	shops   = []string{"Tmall PopSockets", "JD PopSockets", "Douyin PopSockets"}
)

// SampleOrders returns n orders, the same for the same seed: tradeNo
// JY<seed-derived digits>, orderNo XSDD..., modified from first at step
// apart, one to three lines of KH goods, about podPercent of them with a
// print line (needProcessCount > 0, flag CYO/POD/STD, a recipe id). Keys
// are camelCase, except every seventh order's, which are PascalCase (as
// Jackyun writes some responses). No order holds personal data.
func SampleOrders(n int, seed int64, first time.Time, step time.Duration, podPercent int) []Sample {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6a79))
	base := 10_000_000 + rng.IntN(80_000_000)
	out := make([]Sample, 0, n)
	for i := range n {
		tradeNo := fmt.Sprintf("JY%09d", base+i)
		orderNo := fmt.Sprintf("XSDD%010d", 3_000_000_000+base+i)
		modified := first.Add(time.Duration(i) * step)
		pod := rng.IntN(100) < podPercent
		lines := 1 + rng.IntN(3)
		var goods []map[string]any
		podLine := -1
		if pod {
			podLine = rng.IntN(lines)
		}
		for l := range lines {
			count := 1 + rng.IntN(3)
			g := map[string]any{"goodsName": "", "sellCount": count, "sellPrice": fmt.Sprintf("%d.%02d", 49+rng.IntN(100), 10*rng.IntN(10)),
				"needProcessCount": 0, "goodsFlagNames": ""}
			if l == podLine {
				p := podSKUs[rng.IntN(len(podSKUs))]
				g["goodsNo"], g["goodsName"], g["goodsFlagNames"] = p.sku, "定制手机支架", p.flag
				g["needProcessCount"] = count
				g["recipeId"] = fmt.Sprintf("R-%05d", rng.IntN(100000))
			} else {
				g["goodsNo"], g["goodsName"] = fgSKUs[rng.IntN(len(fgSKUs))], "手机支架"
				if rng.IntN(2) == 0 {
					g["sellCount"] = fmt.Sprint(count) // Jackyun writes some numbers as strings
				}
			}
			goods = append(goods, g)
		}
		o := map[string]any{
			"tradeNo": tradeNo, "tradeId": fmt.Sprint(int64(7_000_000_000_000) + int64(base+i)), "orderNo": orderNo,
			"tradeStatus": jackyun.TradeStatusReadyToShip, "sourceTradeNo": fmt.Sprintf("%d", 4_000_000_000_000+int64(base)+int64(i)),
			"onlineTradeNo": fmt.Sprintf("T%d", 2_000_000_000+base+i), "warehouseCode": "KH", "shopName": shops[rng.IntN(len(shops))],
			"flagNames": "", "gmtCreate": jackyun.FormatChina(modified.Add(-3 * time.Minute)), "gmtModified": jackyun.FormatChina(modified),
			"lastShipTime": jackyun.FormatChina(modified.Add(48 * time.Hour)), "isDelete": 0, "currency": "CNY", "goodsDetail": goods,
		}
		if pod {
			o["flagNames"] = "定制"
		}
		if i%7 == 6 {
			o = pascal(o)
		}
		raw, _ := json.Marshal(o)
		out = append(out, Sample{TradeNo: tradeNo, OrderNo: orderNo, Modified: modified, POD: pod, Lines: lines, Raw: raw})
	}
	return out
}

// pascal rewrites an order's keys (and its lines') in PascalCase.
func pascal(o map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range o {
		if k == "goodsDetail" {
			var lines []map[string]any
			for _, l := range v.([]map[string]any) {
				pl := map[string]any{}
				for lk, lv := range l {
					pl[upper(lk)] = lv
				}
				lines = append(lines, pl)
			}
			v = lines
		}
		out[upper(k)] = v
	}
	return out
}

func upper(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// AddSamples adds samples, each visible at once.
func (s *Server) AddSamples(samples []Sample) {
	for _, smp := range samples {
		_ = s.AddOrder(smp.Raw, smp.Modified, time.Time{})
	}
}
