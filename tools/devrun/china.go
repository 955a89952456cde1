package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/popsockets/integration/handlers/china"
	"github.com/popsockets/integration/handlers/product"
	"github.com/popsockets/integration/shared/arena/arenatest"
	"github.com/popsockets/integration/shared/devhost"
	"github.com/popsockets/integration/shared/devhost/localpartners"
	"github.com/popsockets/integration/shared/jackyun/jackyuntest"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/store"
)

// seedChina shows the China and product flows: Jackyun has orders ready to
// ship (some with print lines); jackyun-order-poll reads them, OMS creates
// each and asks XB to fulfil it, and the ones with print lines go to
// BatchStation on order-update. Then an Arena item is revised, and
// arena-item-poll takes the revision to OMS, PrintStation and Jackyun.
func seedChina(ctx context.Context, h *devhost.Host, p *localpartners.Partners, values map[string]string, handler string, out io.Writer) {
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	say("")
	say("China: Jackyun orders -> OMS -> XB, and their print lines -> BatchStation (order-update)")
	samples := chinaSamples()
	p.China.Jackyun.AddSamples(samples)
	if inv, err := h.RunTimer(wctx, china.FnPoll); err != nil || !inv.OK {
		say("  %s failed: %v %s", china.FnPoll, err, inv.Error)
		return
	}
	waitQuiet(wctx, h, values["DATABASE_URL"])
	s, err := store.Open(store.Config{URL: values["DATABASE_URL"], MaxConns: 2})
	if err != nil {
		say("  %v", err)
		return
	}
	defer s.Close()
	for _, smp := range samples {
		if _, status, err := p.AskXB(wctx, smp.TradeNo); err != nil {
			say("  %s: %v (%d)", smp.TradeNo, err, status)
		}
	}
	waitQuiet(wctx, h, values["DATABASE_URL"])
	xbOrders := map[string]string{}
	for _, o := range p.XB.Orders() {
		xbOrders[o.Order.OrderNo] = o.Order.OrderNo
	}
	for _, smp := range samples {
		created, ok := p.OMS.CreatedOrder(oms.SourceJackyun, smp.TradeNo)
		if !ok {
			say("  Jackyun %s: not in OMS (see .run/handler.log)", smp.TradeNo)
			continue
		}
		line := fmt.Sprintf("  Jackyun %s -> OMS %s", smp.TradeNo, created.OrderID)
		if _, ok := xbOrders[created.OrderID]; ok {
			line += " -> XB"
		}
		var payload []byte
		err := s.Pool.QueryRow(wctx, `SELECT payload FROM jackyun_batchstation WHERE trade_no = $1 ORDER BY generation DESC LIMIT 1`, smp.TradeNo).Scan(&payload)
		if err == nil {
			var bs china.BatchStationOrder
			_ = json.Unmarshal(payload, &bs)
			var items []string
			for _, it := range bs.OrderItems {
				items = append(items, fmt.Sprintf("%s %s x%d %s", it.OrderLineNumber, it.ProductSKU, it.Quantity, it.ImageType))
			}
			line += fmt.Sprintf(" -> BatchStation (site %s: %s)", bs.SiteID, strings.Join(items, "; "))
		} else {
			line += "   (FG only: not for BatchStation)"
		}
		say("%s", line)
	}
	trace(ctx, handler, values, out, samples[0].TradeNo)
	if created, ok := p.OMS.CreatedOrder(oms.SourceJackyun, samples[0].TradeNo); ok {
		trace(ctx, handler, values, out, created.OrderID)
	}

	say("")
	say("Products: an Arena item revision -> OMS, PrintStation and Jackyun")
	ar := p.China.Arena
	_, err1 := ar.AddItem(arenatest.ItemSpec{Number: "PS-GRIP-BLK", Name: "PopGrip, black", Revision: "A", Category: "Grips", UOM: "each",
		Attributes: map[string]any{"Image Type": "FG", "UPC": "840173700011"}})
	_, err2 := ar.AddItem(arenatest.ItemSpec{Number: "PS-CUSTOM-CYO", Name: "Custom PopGrip", Revision: "A", Category: "Custom", UOM: "each",
		Attributes: map[string]any{"Image Type": "CYO"}, BOM: []arenatest.BOMSpec{{Number: "PS-GRIP-BLK", Quantity: 1}}})
	_, err3 := ar.Publish("PS-GRIP-BLK")
	_, err4 := ar.Revise(arenatest.ItemSpec{Number: "PS-CUSTOM-CYO", Name: "Custom PopGrip, new blank", Revision: "B", Category: "Custom", UOM: "each",
		Attributes: map[string]any{"Image Type": "CYO", "Print Area mm": "38x38"}})
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			say("  %v", err)
			return
		}
	}
	if inv, err := h.RunTimer(wctx, product.FnPoll); err != nil || !inv.OK {
		say("  %s failed: %v %s", product.FnPoll, err, inv.Error)
		return
	}
	waitQuiet(wctx, h, values["DATABASE_URL"])
	for _, sku := range []string{"PS-GRIP-BLK", "PS-CUSTOM-CYO"} {
		line := "  Arena " + sku + " ->"
		if o, ok := p.OMS.Product(sku); ok {
			line += " OMS rev " + o.Current.Revision + ","
		}
		if ps, ok := p.China.PrintStation.Product(sku); ok {
			line += " PrintStation rev " + ps.Current.Revision + " (" + ps.Current.ImageType + "),"
		} else {
			line += " not for PrintStation (not printed),"
		}
		if g, ok := p.China.Jackyun.Goods(sku); ok {
			line += " Jackyun rev " + g.Revision
		}
		say("%s", line)
	}
	say("  Arena logins: %d (one session for every instance); events left unreconciled: %d", ar.Logins(), ar.UnreconciledEvents())
	say("  look an item up: curl -H 'x-functions-key: %s' '%s/api/arena/item?item_number=PS-CUSTOM-CYO'", values["DEVHOST_FUNCTION_KEY"], h.URL())
	say("  re-send a Jackyun order: .run/handler jackyun repush %s", samples[0].TradeNo)
	say("")
}

// chinaSamples are Jackyun orders modified in the last minutes: at least
// one with print lines and one with finished goods only.
func chinaSamples() []jackyuntest.Sample {
	for seed := time.Now().UnixNano(); ; seed++ {
		s := jackyuntest.SampleOrders(3, seed, time.Now().Add(-10*time.Minute), 2*time.Minute, 50)
		pod, fg := false, false
		for _, x := range s {
			pod, fg = pod || x.POD, fg || !x.POD
		}
		if pod && fg {
			// The order with print lines first: its journey is printed.
			for i, x := range s {
				if x.POD {
					s[0], s[i] = s[i], s[0]
					break
				}
			}
			return s
		}
	}
}

func trace(ctx context.Context, handler string, values map[string]string, out io.Writer, id string) {
	fmt.Fprintf(out, "  handler trace %s:\n", id)
	cmd := exec.CommandContext(ctx, handler, "trace", id)
	cmd.Env = os.Environ()
	for k, v := range values {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = out, out
	_ = cmd.Run()
}
