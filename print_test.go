package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/handlers/print"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/devhost/localpartners"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

// printNowRules batch every validated line at once (a cut-off at midnight
// has always passed), so a test needs no clock.
const printNowRules = `{"printableImageTypes":["CPOD","CYO","STD"],
  "warehouses":{"CROF":{"printStationBatching":true,"printSite":"CROF"},"NJ":{"printStationBatching":false}},
  "sites":{"CROF":{"maxItemsPerBatch":10,"timezone":"UTC","cutoff":"00:00"}}}`

func publishOrderUpdate(t *testing.T, f *flow, o print.OrderUpdate) {
	t.Helper()
	pub, err := bus.NewLocal(bus.LocalConfig{URL: f.host.URL(), Topics: map[string]string{print.TopicOrderUpdate: f.settings["TOPIC_ORDER_UPDATE"]}})
	require.NoError(t, err)
	env, err := bus.Request("", "oms.order.update", bus.ObjectOrder, o.OrderID, o, time.Now())
	require.NoError(t, err)
	require.NoError(t, pub.Publish(context.Background(), bus.Message{Topic: print.TopicOrderUpdate, Key: o.OrderID + "/order-update", Envelope: env}))
}

func printLine(n, imageType, url string) print.OrderItem {
	return print.OrderItem{OrderLineNumber: n, Quantity: 1, ProductSKU: "801330", ImageType: imageType, RecipeID: "R1", ImageURL: url}
}

func traceOf(t *testing.T, f *flow, orderID string) string {
	t.Helper()
	var out, errOut strings.Builder
	code := trace(context.Background(), []string{orderID}, func(k string) string {
		if k == "DATABASE_URL" {
			return f.settings["DATABASE_URL"]
		}
		return ""
	}, &out, &errOut)
	require.Equal(t, 0, code, "%s", errOut.String())
	return out.String()
}

// TestPrintOrderThroughTheDevhost: a printable order is queued (and trace
// says why it waits), a non-printable one is said so, the timer batches
// and sends to PrintStation, PrintStation's signed completion reaches OMS
// on batching-update, and OMS's fulfilment request then follows.
func TestPrintOrderThroughTheDevhost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, tap := chinaFlow(t, flowOptions{settings: func(v map[string]string) { v["PRINT_RULES"] = printNowRules }}) // with a tap on the bus
	smp := b2c(1, 14)[0]
	id := smp.Request.OrderID
	publishOrderUpdate(t, f, print.OrderUpdate{OrderID: id, SiteID: "CROF", Warehouse: "CROF", Date: "2026-12-04", Status: "NEW",
		OrderItems: []print.OrderItem{printLine("10000", "CPOD", "https://images.example/a.png"), printLine("20000", "FG", "")}})
	publishOrderUpdate(t, f, print.OrderUpdate{OrderID: "ORD-FG-ONLY", SiteID: "CROF", Date: "2026-12-04", Status: "NEW",
		OrderItems: []print.OrderItem{printLine("10000", "FG", "")}})
	f.idle(t)

	tr := traceOf(t, f, id)
	require.Contains(t, tr, print.StatePrintQueued)
	require.Contains(t, tr, "waiting for a batch")
	require.Contains(t, traceOf(t, f, "ORD-FG-ONLY"), "not printable: no line has image type CPOD, CYO, STD (lines: 10000 FG)")

	inv, err := f.host.RunTimer(ctx, print.FnBuild)
	require.NoError(t, err)
	require.True(t, inv.OK, "%s", lastError(f.logs.String()))
	batches := f.partners.Print.PrintStation.Batches()
	require.Len(t, batches, 1)
	require.Contains(t, traceOf(t, f, id), print.StatePrintBatched)

	status, body, err := f.partners.Print.PrintStation.CompleteBatch(ctx, batches[0].Batch.BatchID)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status, "%s", body)
	f.idle(t)
	require.Contains(t, traceOf(t, f, id), "OMS is told: batching-update COMPLETE, batch_reference "+batches[0].Batch.BatchID)
	require.Zero(t, storetest.Count(t, f.store, `SELECT * FROM outbox`), "batching-update was published")
	// What OMS reads from its subscription: one message, the batch reference in it.
	told := tap.Received(f.settings["TOPIC_BATCHING_UPDATE"])
	require.Len(t, told, 1, "%v", told)
	require.Len(t, told[id].MessageIDs, 1)
	var u print.BatchingUpdate
	require.NoError(t, json.Unmarshal(told[id].Payload, &u))
	require.Equal(t, print.StatusComplete, u.Status)
	require.Equal(t, batches[0].Batch.BatchID, u.BatchReference)

	// OMS (which reads batching-update itself) sets batch_reference and asks for fulfilment.
	require.Equal(t, http.StatusAccepted, f.request(t, "cirro", smp))
	f.idle(t)
	require.NoError(t, f.partners.Cirro.SendAcceptance(ctx, id))
	require.NoError(t, f.partners.Cirro.SendShipment(ctx, id))
	f.idle(t)
	got := journeyStates(t, f.store, id)
	require.Equal(t, []string{print.StatePrintQueued, print.StatePrintBatched, print.StatePrinted}, got[:3])
	// The order's state, not the journey's last row: the confirmation and
	// the shipment are recorded by two consumers at once, and a step that
	// arrives after a later one is still written to the journey.
	require.Contains(t, got, oms.StateShipped)
	o, err := store.GetOrder(ctx, f.store.Pool, id)
	require.NoError(t, err)
	require.Equal(t, oms.StateShipped, o.State)
}

// TestRejectedPrintImageAlertsAndReplays: the validator rejects an image,
// the line is parked with an alert card, and `handler replay` queues it
// again.
func TestRejectedPrintImageAlertsAndReplays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := startFlow(t, flowOptions{settings: func(v map[string]string) { v["PRINT_RULES"] = printNowRules }})
	publishOrderUpdate(t, f, print.OrderUpdate{OrderID: "ORD-BLUR", SiteID: "CROF", Date: "2026-12-04", Status: "NEW",
		OrderItems: []print.OrderItem{printLine("10000", "CPOD", "https://images.example/"+localpartners.RejectedImageMark+".png")}})
	f.idle(t)
	inv, err := f.host.RunTimer(ctx, print.FnBuild)
	require.NoError(t, err)
	require.True(t, inv.OK)
	cards := waitCards(t, f, 1)
	require.Contains(t, cardText(cards[0]), "ORD-BLUR")
	require.Contains(t, cardText(cards[0]), "image resolution below 300 dpi")
	tr := traceOf(t, f, "ORD-BLUR")
	require.Contains(t, tr, print.StateImageRejected)
	require.Contains(t, tr, "-> handler replay")
	require.Empty(t, f.partners.Print.PrintStation.Batches())

	parked, err := f.store.ListParked(ctx, store.ParkedFilter{Correlation: "ORD-BLUR"})
	require.NoError(t, err)
	require.Len(t, parked, 1)
	var out, errOut strings.Builder
	require.Equal(t, 0, run(ctx, []string{"replay", strconv.FormatInt(parked[0].ID, 10)}, func(k string) string { return f.settings[k] }, nil, &out, &errOut),
		"%s%s", out.String(), errOut.String())
	require.Contains(t, out.String(), "succeeded")
	require.Contains(t, journeyStates(t, f.store, "ORD-BLUR"), print.StatePrintQueued)
	require.Equal(t, 2, strings.Count(strings.Join(journeyStates(t, f.store, "ORD-BLUR"), ","), print.StatePrintQueued))
}
