package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/popsockets/integration/handlers/print"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/devhost"
	"github.com/popsockets/integration/shared/devhost/localpartners"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/oms/omstest"
	"github.com/popsockets/integration/shared/store"
)

// seedPrint plays OMS for custom-print orders: it publishes six orders on
// order-update (printable at CROF and KH, one whose image the validator
// rejects, one with no printable line, one at a warehouse with batching
// off), prints their journeys (waiting for a batch, and why), then fires
// print-batch-build every two seconds (its Azure schedule is every five
// minutes) while PrintStation takes the batches and reports them printed
// by itself; OMS, told on batching-update, asks Cirro to fulfil each
// printed order, Cirro ships it, and the journeys are printed again.
func seedPrint(ctx context.Context, h *devhost.Host, p *localpartners.Partners, values map[string]string, handler string, out io.Writer) {
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	pub, err := bus.NewLocal(bus.LocalConfig{URL: h.URL(), Topics: map[string]string{print.TopicOrderUpdate: values["TOPIC_ORDER_UPDATE"]}})
	if err != nil {
		say("seeding print orders: %v", err)
		return
	}
	samples := omstest.SampleOrders(40, time.Now().UnixNano())
	var b2c []omstest.Sample
	for _, s := range samples {
		if s.Request.OrderType == 0 && s.Request.Source != oms.SourceB2BPortal && len(b2c) < 6 {
			b2c = append(b2c, s)
		}
	}
	if len(b2c) < 6 {
		say("seeding print orders: not enough consumer samples")
		return
	}
	img := func(id, n string) string { return "https://images.example/" + id + "/" + n + ".png" }
	ln := func(id, n, t string) print.OrderItem {
		return print.OrderItem{OrderLineNumber: n, Quantity: 1, ProductSKU: "801330", ImageType: t, RecipeID: "R-" + n, ImageURL: img(id, n)}
	}
	o := func(i int, wh string, items ...print.OrderItem) print.OrderUpdate {
		return print.OrderUpdate{OrderID: b2c[i].Request.OrderID, SiteID: wh, Warehouse: wh, Date: time.Now().Format(time.DateOnly), Status: "NEW", OrderItems: items}
	}
	id := func(i int) string { return b2c[i].Request.OrderID }
	blurry := ln(id(3), "10000", "CPOD")
	blurry.ImageURL = img(id(3), localpartners.RejectedImageMark+"-10000")
	orders := []print.OrderUpdate{
		o(0, "CROF", ln(id(0), "10000", "CPOD"), ln(id(0), "20000", "FG")),
		o(1, "CROF", ln(id(1), "10000", "CPOD"), ln(id(1), "20000", "STD")),
		o(2, "KH", ln(id(2), "10000", "CYO")),
		o(3, "CROF", blurry),
		o(4, "CROF", ln(id(4), "10000", "FG")),
		o(5, "NJ", ln(id(5), "10000", "CPOD")),
	}
	for _, ou := range orders {
		env, err := bus.Request("", "oms.order.update", bus.ObjectOrder, ou.OrderID, ou, time.Now())
		if err == nil {
			err = pub.Publish(ctx, bus.Message{Topic: print.TopicOrderUpdate, Key: ou.OrderID + "/order-update", Envelope: env})
		}
		if err != nil {
			say("seeding print order %s: %v", ou.OrderID, err)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	waitQuiet(wctx, h, values["DATABASE_URL"])
	say("")
	say("custom-print orders on order-update, before any batch (handler trace <order-id>):")
	ids := make([]string, len(orders))
	for i, ou := range orders {
		ids[i] = ou.OrderID
	}
	traces(ctx, handler, values, ids, out)

	s, err := store.Open(store.Config{URL: values["DATABASE_URL"], MaxConns: 2})
	if err != nil {
		say("seeding print orders: %v", err)
		return
	}
	defer s.Close()
	printable := ids[:3]
	asked := map[string]bool{}
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for len(asked) < len(printable) {
		if _, err := h.RunTimer(wctx, print.FnBuild); err != nil {
			say("running %s: %v", print.FnBuild, err)
		}
		_ = p.Print.PrintStation.WaitCallbacks(wctx)
		waitQuiet(wctx, h, values["DATABASE_URL"])
		// OMS reads batching-update: a printed order gets its
		// batch_reference and OMS asks for fulfilment.
		for i, oid := range printable {
			if asked[oid] || !printed(wctx, s, oid) {
				continue
			}
			asked[oid] = true
			p.OMS.AddOrder(oid, oms.StateWaitingFulfillmentConfirmation)
			if status, body, err := p.Requester.Send(ctx, "cirro", b2c[i].Request, b2c[i].Customer); err != nil || status != 202 {
				say("seeding %s: OMS request answered %d %s %v", oid, status, body, err)
			}
		}
		select {
		case <-wctx.Done():
			say("print orders did not all print within 90 s: see .run/handler.log")
			traces(ctx, handler, values, ids, out)
			return
		case <-tick.C:
		}
	}
	waitQuiet(wctx, h, values["DATABASE_URL"])
	_ = p.Cirro.WaitCallbacks(wctx)
	waitQuiet(wctx, h, values["DATABASE_URL"])
	say("")
	say("the custom-print orders after batching, printing and shipping:")
	traces(ctx, handler, values, ids, out)
}

// printed reports whether an order's journey says every print line printed.
func printed(ctx context.Context, s *store.Store, orderID string) bool {
	steps, err := store.Journey(ctx, s.Pool, orderID)
	return err == nil && slices.ContainsFunc(steps, func(st store.JourneyStep) bool { return st.State == print.StatePrinted })
}

func traces(ctx context.Context, handler string, values map[string]string, ids []string, out io.Writer) {
	for _, id := range ids {
		cmd := exec.CommandContext(ctx, handler, "trace", id)
		cmd.Env = os.Environ()
		for k, v := range values {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(out, "  %s: %v\n", id, err)
		}
	}
}
