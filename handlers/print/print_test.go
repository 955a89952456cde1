package print

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/printstation"
	"github.com/popsockets/integration/shared/printstation/printstationtest"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
	"github.com/popsockets/integration/shared/webhook"
)

func TestIntakeRecordsEveryDecisionInTheJourney(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testRules)

	t.Run("PrintableLinesAreQueuedWithWhyTheyWait", func(t *testing.T) {
		require.NoError(t, e.deliver(t, "m1", order("ORD-P", "CROF", line("10000", "CPOD"), line("20000", "FG"), line("30000", "STD"))))
		require.Equal(t, []string{StatePrintQueued}, states(t, e.s, "ORD-P"))
		d := lastDetail(t, e.s, "ORD-P")
		require.Contains(t, d, "2 lines to print at CROF (1 custom-photo, 1 standard), due 2026-12-04")
		require.Contains(t, d, "not printed: 20000 FG")
		require.Contains(t, d, "waiting for a batch: 3 custom-photo items at CROF make a batch")
		require.Equal(t, map[string]string{"10000": "queued", "30000": "queued"}, itemStatuses(t, e.s, "ORD-P"))
	})
	t.Run("ARedeliveryHasNoSecondEffect", func(t *testing.T) {
		err := e.deliver(t, "m1", order("ORD-P", "CROF", line("10000", "CPOD"), line("20000", "FG"), line("30000", "STD")))
		require.Equal(t, fault.ClassDuplicate, fault.ClassOf(err))
		require.Equal(t, []string{StatePrintQueued}, states(t, e.s, "ORD-P"))
		require.Equal(t, 2, storetest.Count(t, e.s, `SELECT * FROM print_items WHERE order_id = 'ORD-P'`))
	})
	t.Run("ANewMessageForQueuedLinesChangesNothing", func(t *testing.T) {
		require.NoError(t, e.deliver(t, "m2", order("ORD-P", "CROF", line("10000", "CPOD"), line("30000", "STD"))))
		require.Contains(t, lastDetail(t, e.s, "ORD-P"), "nothing new, all 2 already queued or batched")
		require.Equal(t, 2, storetest.Count(t, e.s, `SELECT * FROM print_items WHERE order_id = 'ORD-P'`))
	})
	t.Run("NotPrintableIsSaidInTheJourney", func(t *testing.T) {
		require.NoError(t, e.deliver(t, "m3", order("ORD-FG", "CROF", line("10000", "FG"))))
		require.Equal(t, []string{StateNotForPrint}, states(t, e.s, "ORD-FG"))
		require.Contains(t, lastDetail(t, e.s, "ORD-FG"), "no line has image type CPOD, CYO, STD")
		require.NoError(t, e.deliver(t, "m4", order("ORD-NJ", "NJ", line("10000", "CPOD"))))
		require.Contains(t, lastDetail(t, e.s, "ORD-NJ"), "warehouse NJ has print-station batching off")
		require.Zero(t, storetest.Count(t, e.s, `SELECT * FROM print_items WHERE order_id IN ('ORD-FG', 'ORD-NJ')`))
	})
	t.Run("AnOrderAnotherSystemBatchesIsSaidInTheJourney", func(t *testing.T) {
		// A Jackyun order as the China flow publishes it: BatchStation's
		// payload, a CYO line and no imageUrl.
		o := order("JY-1", "KH", OrderItem{OrderLineNumber: "10000", Quantity: 1, ProductSKU: "PS-CUSTOM-CYO", ImageType: "CYO", RecipeID: "R-1"})
		for range 2 {
			m := message(t, "m-jy", o)
			m.Properties = map[string]any{PropSource: "jackyun"}
			err := e.intake.Handle(context.Background(), m)
			if err != nil {
				require.Equal(t, fault.ClassDuplicate, fault.ClassOf(err), "the second delivery is a duplicate")
			}
		}
		require.Equal(t, []string{StateNotForPrint}, states(t, e.s, "JY-1"))
		require.Contains(t, lastDetail(t, e.s, "JY-1"), "BatchStation batches jackyun orders")
		require.Zero(t, storetest.Count(t, e.s, `SELECT * FROM print_items WHERE order_id = 'JY-1'`))
		require.Zero(t, storetest.Count(t, e.s, `SELECT * FROM parked_messages WHERE message_id = 'm-jy'`))
	})
	t.Run("AMalformedOrderIsParkedNotQueued", func(t *testing.T) {
		err := e.deliver(t, "m5", order("ORD-BAD", "CROF", OrderItem{OrderLineNumber: "1", Quantity: 1, ProductSKU: "S", ImageType: "CPOD"}))
		require.Equal(t, fault.ClassMalformed, fault.ClassOf(err))
		require.ErrorContains(t, err, "no imageUrl")
		require.Zero(t, storetest.Count(t, e.s, `SELECT * FROM print_items WHERE order_id = 'ORD-BAD'`))
		require.Zero(t, storetest.Count(t, e.s, `SELECT * FROM processed_messages WHERE message_id = 'm5'`))
	})
	t.Run("NoShippingAddressIsKept", func(t *testing.T) {
		o := order("ORD-ADDR", "CROF", line("1", "CPOD"))
		raw, err := json.Marshal(o)
		require.NoError(t, err)
		var withAddr map[string]any
		require.NoError(t, json.Unmarshal(raw, &withAddr))
		withAddr["shipping"] = "Jane Doe, 1 Main St, Boulder CO"
		envl, err := bus.Request("", "order.update", bus.ObjectOrder, o.OrderID, withAddr, time.Now())
		require.NoError(t, err)
		body, _ := json.Marshal(envl)
		m := message(t, "m6", o)
		m.Body = body
		require.NoError(t, e.intake.Handle(context.Background(), m))
		var kept []byte
		require.NoError(t, e.s.Pool.QueryRow(context.Background(), `SELECT payload FROM print_orders WHERE order_id = 'ORD-ADDR'`).Scan(&kept))
		require.NotContains(t, string(kept), "Main St")
		kenv, err := bus.DecodeEnvelope(kept)
		require.NoError(t, err)
		require.NotContains(t, string(kenv.RequestedPayload), "Main St")
		require.Contains(t, string(kenv.RequestedPayload), `"orderId":"ORD-ADDR"`)
	})
}

func TestBuildBatchesBySiteAndCategoryAndSendsThem(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testRules)
	ctx := context.Background()
	// CROF: 4 custom-photo lines (one full batch of 3 and one waiting), 1 standard.
	require.NoError(t, e.deliver(t, "a", order("ORD-A", "CROF", line("1", "CPOD"), line("2", "CPOD"), line("3", "STD"))))
	b := order("ORD-B", "CROF", line("1", "CPOD"), line("2", "CPOD"))
	b.DueDate = "2026-12-10" // later due: it is the one left waiting
	require.NoError(t, e.deliver(t, "b", b))

	st, err := e.b.Build(ctx)
	require.NoError(t, err)
	require.Equal(t, RunStats{Validated: 5, Formed: 1, Sent: 1, SentItems: 3}, st)
	got := e.ps.Batches()
	require.Len(t, got, 1)
	pb := got[0]
	require.Equal(t, "CROF", pb.Batch.SiteID)
	require.Equal(t, "custom-photo", pb.Batch.Category)
	require.Equal(t, pb.Batch.BatchID, pb.IdempotencyKey, "the batch id is the idempotency key")
	var lines []string
	for _, it := range pb.Batch.Items {
		lines = append(lines, it.OrderID+"/"+it.LineNumber)
	}
	require.Equal(t, []string{"ORD-A/1", "ORD-A/2", "ORD-B/1"}, lines, "oldest due date first")
	require.Equal(t, map[string]string{"1": "sent", "2": "sent", "3": "validated"}, itemStatuses(t, e.s, "ORD-A"))
	require.Equal(t, map[string]string{"1": "sent", "2": "validated"}, itemStatuses(t, e.s, "ORD-B"))
	require.Equal(t, []string{StatePrintQueued, StatePrintBatched}, states(t, e.s, "ORD-A"))
	require.Contains(t, lastDetail(t, e.s, "ORD-A"), "batched in "+pb.Batch.BatchID+" with 2 lines of the order (a batch of 3 custom-photo items at CROF), accepted by PrintStation as PS0000001")

	t.Run("ASecondRunBeforeTheCutoffSendsNothing", func(t *testing.T) {
		st, err := e.b.Build(ctx)
		require.NoError(t, err)
		require.Equal(t, RunStats{}, st)
		require.Len(t, e.ps.Batches(), 1)
		require.Equal(t, []string{StatePrintQueued, StatePrintBatched}, states(t, e.s, "ORD-B"), "the reason did not change: no new step")
	})
	t.Run("AfterTheCutoffPartialBatchesLeave", func(t *testing.T) {
		e.setNow(time.Date(2026, 12, 4, 16, 30, 0, 0, time.UTC))
		st, err := e.b.Build(ctx)
		require.NoError(t, err)
		require.Equal(t, RunStats{Formed: 2, Sent: 2, SentItems: 2}, st)
		require.Len(t, e.ps.Batches(), 3)
		for _, o := range []string{"ORD-A", "ORD-B"} {
			for l, s := range itemStatuses(t, e.s, o) {
				require.Equal(t, "sent", s, "%s line %s", o, l)
			}
		}
	})
}

// TestACancelledOrderIsWithdrawnFromTheQueue: OMS cancels an order while
// its lines wait; they never reach PrintStation, a redelivery changes
// nothing, and lines PrintStation has already are named.
func TestACancelledOrderIsWithdrawnFromTheQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testRules)
	ctx := context.Background()
	require.NoError(t, e.deliver(t, "c1", order("ORD-C", "CROF", line("10000", "CPOD"), line("20000", "STD"))))
	cancelled := order("ORD-C", "CROF", line("10000", "CPOD"), line("20000", "STD"))
	cancelled.Status = "CANCELLED"
	require.NoError(t, e.deliver(t, "c2", cancelled))
	require.Equal(t, map[string]string{"10000": "withdrawn", "20000": "withdrawn"}, itemStatuses(t, e.s, "ORD-C"))
	require.Equal(t, []string{StatePrintQueued, StatePrintWithdrawn}, states(t, e.s, "ORD-C"))
	require.Contains(t, lastDetail(t, e.s, "ORD-C"), "2 print lines withdrawn (10000, 20000)")
	err := e.deliver(t, "c2", cancelled)
	require.Equal(t, fault.ClassDuplicate, fault.ClassOf(err), "a redelivery has no second effect")
	e.setNow(time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC)) // past the cut-off
	_, err = e.b.Build(ctx)
	require.NoError(t, err)
	require.Empty(t, e.ps.Batches(), "nothing withdrawn is printed")
	require.Empty(t, e.iv.Classified(), "nor checked")

	t.Run("LinesPrintStationHasAreNamed", func(t *testing.T) {
		require.NoError(t, e.deliver(t, "c3", order("ORD-D", "CROF", line("1", "CPOD"))))
		_, err := e.b.Build(ctx)
		require.NoError(t, err)
		require.Len(t, e.ps.Batches(), 1)
		gone := order("ORD-D", "CROF", line("1", "CPOD"))
		gone.Status = "CANCELLED"
		require.NoError(t, e.deliver(t, "c4", gone))
		require.Equal(t, map[string]string{"1": "sent"}, itemStatuses(t, e.s, "ORD-D"))
		require.Contains(t, lastDetail(t, e.s, "ORD-D"), "with PrintStation already, ask it to pull them: 1 (sent, batch "+e.ps.Batches()[0].Batch.BatchID+")")
	})
}

func TestValidatorOutageDelaysTheBatchAndDropsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testRules)
	ctx := context.Background()
	e.seed(t, "V", "CROF", 3, 1)
	e.iv.SetDown(true)
	for range 2 {
		st, err := e.b.Build(ctx)
		require.Error(t, err)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err), "%v", err)
		require.Equal(t, RunStats{}, st)
	}
	for _, o := range []string{"V0", "V1", "V2"} {
		require.Equal(t, map[string]string{"10000": "queued"}, itemStatuses(t, e.s, o))
		require.Equal(t, []string{StatePrintQueued, StatePrintWaiting}, states(t, e.s, o), "the wait is written once, not every run")
		require.Contains(t, lastDetail(t, e.s, o), "the image validator is unavailable")
	}
	require.Empty(t, e.ps.Batches())

	e.iv.SetDown(false)
	st, err := e.b.Build(ctx)
	require.NoError(t, err)
	require.Equal(t, RunStats{Validated: 3, Formed: 1, Sent: 1, SentItems: 3}, st)
	require.Equal(t, []string{StatePrintQueued, StatePrintWaiting, StatePrintBatched}, states(t, e.s, "V0"))
}

// TestAnImageTheValidatorRefusesHoldsBackNoOther: the validator refuses a
// whole request (400) for one image it cannot fetch; that image is
// rejected with the refusal and every other image of the request is
// checked and batched in the same run.
func TestAnImageTheValidatorRefusesHoldsBackNoOther(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testRules)
	ctx := context.Background()
	bad := line("20000", "CPOD")
	bad.ImageURL = "https://images.example/unfetchable-20000.png"
	require.NoError(t, e.deliver(t, "u1", order("ORD-U", "CROF", line("10000", "CPOD"), bad, line("30000", "CPOD"), line("40000", "CPOD"))))
	e.iv.RefuseRequestsWith("unfetchable")
	st, err := e.b.Build(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, st.Rejected)
	require.Equal(t, 3, st.Validated)
	require.Equal(t, map[string]string{"10000": "sent", "20000": "rejected", "30000": "sent", "40000": "sent"}, itemStatuses(t, e.s, "ORD-U"))
	parked, err := e.s.ListParked(ctx, store.ParkedFilter{Correlation: "ORD-U"})
	require.NoError(t, err)
	require.Len(t, parked, 1)
	require.Contains(t, parked[0].Reason, "the image validator refused to check it")
	require.Contains(t, parked[0].Reason, "unsupported_image")
}

func TestRejectedImageParksTheLineAndReplayQueuesItAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testRules)
	ctx := context.Background()
	bad := line("20000", "CPOD")
	bad.ImageURL = "https://images.example/blurry-20000.png"
	require.NoError(t, e.deliver(t, "r1", order("ORD-R", "CROF", line("10000", "CPOD"), bad)))
	e.iv.Reject("blurry", "resolution below 300 dpi")

	st, err := e.b.Build(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, st.Rejected)
	require.Equal(t, map[string]string{"10000": "validated", "20000": "rejected"}, itemStatuses(t, e.s, "ORD-R"))
	require.Equal(t, []string{StatePrintQueued, StateImageRejected}, states(t, e.s, "ORD-R"))
	parked, err := e.s.ListParked(ctx, store.ParkedFilter{Correlation: "ORD-R"})
	require.NoError(t, err)
	require.Len(t, parked, 1)
	p := parked[0]
	require.Equal(t, FnIntake, p.Function)
	require.Contains(t, p.Reason, "resolution below 300 dpi")
	require.Contains(t, lastDetail(t, e.s, "ORD-R"), "handler replay")

	t.Run("ARejectedLineIsCheckedAgainOnlyAfterAReplay", func(t *testing.T) {
		_, err := e.b.Build(ctx)
		require.NoError(t, err)
		require.Equal(t, 2, len(e.iv.Classified()), "the rejected image is not sent again by itself")
	})
	t.Run("ReplayingTheParkedRowQueuesTheLineAgain", func(t *testing.T) {
		// What `handler replay` does: the parked payload through the intake,
		// with the parked message id.
		var meta map[string]string
		require.NoError(t, json.Unmarshal(p.MetadataJSON(), &meta))
		require.Contains(t, meta["MessageId"], p.MessageID)
		m := message(t, p.MessageID, OrderUpdate{})
		m.Body = p.Payload
		require.NoError(t, e.intake.Handle(ctx, m))
		require.Equal(t, map[string]string{"10000": "validated", "20000": "queued"}, itemStatuses(t, e.s, "ORD-R"))
		require.Contains(t, lastDetail(t, e.s, "ORD-R"), "1 queued again after being parked")
	})
}

func TestPrintStationFailuresRetryWithTheSameKeyAndCreateOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testRules)
	ctx := context.Background()
	e.seed(t, "F", "CROF", 3, 1)
	e.ps.FailNext(http.StatusInternalServerError, 2)
	for range 2 {
		_, err := e.b.Build(ctx)
		require.Error(t, err)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	}
	require.Equal(t, []string{StatePrintQueued, StatePrintWaiting}, states(t, e.s, "F0"))
	require.Contains(t, lastDetail(t, e.s, "F0"), "PrintStation has not accepted batch")
	st, err := e.b.Build(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, st.Sent)
	var keys []string
	for _, c := range e.ps.Calls() {
		keys = append(keys, c.IdempotencyKey)
	}
	require.Len(t, keys, 3)
	require.Equal(t, keys[0], keys[1])
	require.Equal(t, keys[0], keys[2])
	require.Len(t, e.ps.Batches(), 1, "created once")
	require.Equal(t, 1, storetest.Count(t, e.s, `SELECT * FROM print_batches WHERE attempts = 3 AND status = 'sent'`))
}

func TestPrintStationRefusalParksTheOrdersOfTheBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testRules)
	ctx := context.Background()
	e.seed(t, "X", "CROF", 3, 1)
	e.ps.RefuseNextBatch("recipe R-10000 is unknown")
	st, err := e.b.Build(ctx)
	require.NoError(t, err, "a refusal is recorded, not retried")
	require.Equal(t, 1, st.Refused)
	for _, o := range []string{"X0", "X1", "X2"} {
		require.Equal(t, map[string]string{"10000": "refused"}, itemStatuses(t, e.s, o))
		require.Equal(t, []string{StatePrintQueued, StateBatchRefused}, states(t, e.s, o))
		require.Contains(t, lastDetail(t, e.s, o), "recipe R-10000 is unknown")
	}
	require.Equal(t, 3, storetest.Count(t, e.s, `SELECT * FROM parked_messages WHERE function = $1`, FnIntake))
	st, err = e.b.Build(ctx)
	require.NoError(t, err)
	require.Equal(t, RunStats{}, st, "refused lines wait for a person")
}

func TestTwoBuildersNeverPutALineInTwoBatches(t *testing.T) {
	t.Parallel()
	e := newEnv(t, `{"printableImageTypes":["CPOD"],"warehouses":{"CROF":{"printStationBatching":true,"printSite":"CROF"},
		"KH":{"printStationBatching":true,"printSite":"KH"}},"sites":{"CROF":{"maxItemsPerBatch":7,"timezone":"UTC","cutoff":"00:00"},
		"KH":{"maxItemsPerBatch":5,"timezone":"UTC","cutoff":"00:00"}}}`)
	e.seed(t, "C", "CROF", 100, 3)
	e.seed(t, "K", "KH", 100, 2)
	b2 := *e.b
	var wg sync.WaitGroup
	for _, b := range []*Builder{e.b, &b2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				st, err := b.Build(context.Background())
				if !assertNoErr(t, err) || st == (RunStats{}) {
					return
				}
			}
		}()
	}
	wg.Wait()
	seen := map[string]string{}
	total := 0
	for _, pb := range e.ps.Batches() {
		for _, it := range pb.Batch.Items {
			k := it.OrderID + "/" + it.LineNumber
			require.Empty(t, seen[k], "%s is in %s and %s", k, seen[k], pb.Batch.BatchID)
			seen[k] = pb.Batch.BatchID
			total++
		}
	}
	require.Equal(t, 500, total)
	require.Zero(t, storetest.Count(t, e.s, `SELECT * FROM print_items WHERE status <> 'sent'`))
	require.Equal(t, 500, len(e.iv.Classified()), "each image is checked once")
	// What the locks prevent besides doubles: two builders racing for the
	// same lines form batches that come up empty or short.
	require.Zero(t, storetest.Count(t, e.s, `SELECT * FROM print_batches WHERE status <> 'sent'`), "every batch formed was sent")
	require.Zero(t, storetest.Count(t, e.s, `
		SELECT b.batch_id FROM print_batches b LEFT JOIN print_items i USING (batch_id)
		 GROUP BY b.batch_id, b.item_count, b.site
		HAVING count(i.*) <> b.item_count OR count(i.*) > CASE b.site WHEN 'CROF' THEN 7 ELSE 5 END`), "each batch holds what it says, at most its site's maximum")
}

func assertNoErr(t *testing.T, err error) bool {
	if err != nil {
		t.Errorf("build: %v", err)
		return false
	}
	return true
}

// TestAQuarantinedLineIsToldToOMSAndHeldBack: PrintStation quarantines a
// line; OMS is told QUARANTINED with the reason, the line is held, and
// the journey says so.
func TestAQuarantinedLineIsToldToOMSAndHeldBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testRules)
	ctx := context.Background()
	require.NoError(t, e.deliver(t, "q1", order("ORD-Q", "CROF", line("1", "CPOD"), line("2", "CPOD"))))
	e.setNow(time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC)) // past the cut-off
	_, err := e.b.Build(ctx)
	require.NoError(t, err)
	batches := e.ps.Batches()
	require.Len(t, batches, 1)
	ev := printstation.BatchEvent{Type: printstation.EventItemQuarantined, Data: printstation.BatchEventData{BatchID: batches[0].Batch.BatchID,
		Items: []printstation.EventItem{{OrderID: "ORD-Q", LineNumber: "2", Reason: "cracked case"}}}}
	status, ans, err := printstationtest.Send(ctx, e.hookCB, printstationtest.EventID(ev), ev)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status, "%s", ans)
	require.Equal(t, map[string]string{"1": "sent", "2": "quarantined"}, itemStatuses(t, e.s, "ORD-Q"))
	require.Contains(t, states(t, e.s, "ORD-Q"), StatePrintQuarantin)
	require.Contains(t, lastDetail(t, e.s, "ORD-Q"), "cracked case")
	msgs := e.sent.All()
	require.Len(t, msgs, 1)
	var u BatchingUpdate
	require.NoError(t, json.Unmarshal(msgs[0].Envelope.RequestedPayload, &u))
	require.Equal(t, StatusQuarantined, u.Status)
	require.Equal(t, []BatchingUpdateItem{{OrderLineNumber: "2", Status: "QUARANTINED", BatchReference: batches[0].Batch.BatchID, Reason: "cracked case"}}, u.Items)
	require.NoError(t, msgs[0].Envelope.Validate())
	require.NotContains(t, states(t, e.s, "ORD-Q"), StatePrinted, "a quarantined line holds the order back")
}

func TestWebhook(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testRules)
	ctx := context.Background()
	require.NoError(t, e.deliver(t, "w1", order("ORD-W", "CROF", line("1", "CPOD"), line("2", "CPOD"), line("3", "STD"))))
	o2 := order("ORD-V", "CROF", line("1", "CPOD"))
	o2.OMSOrderID = "OMS-77"
	require.NoError(t, e.deliver(t, "w2", o2))
	e.setNow(time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC)) // past the cut-off: both categories leave
	_, err := e.b.Build(ctx)
	require.NoError(t, err)
	batches := e.ps.Batches()
	require.Len(t, batches, 2)
	photo, std := batches[0], batches[1]
	require.Equal(t, "custom-photo", photo.Batch.Category)
	stored := func() int {
		return storetest.Count(t, e.s, `SELECT * FROM webhook_receipts`) + storetest.Count(t, e.s, `SELECT * FROM outbox`) +
			storetest.Count(t, e.s, `SELECT * FROM order_journey`) + storetest.Count(t, e.s, `SELECT * FROM parked_messages`)
	}

	t.Run("ReplayedOutsideTheToleranceIsRefusedWithNothingStored", func(t *testing.T) {
		before := stored()
		body, _ := json.Marshal(printstation.BatchEvent{Type: printstation.EventBatchCompleted, Data: printstation.BatchEventData{BatchID: photo.Batch.BatchID}})
		status, ans, err := printstationtest.SendRaw(ctx, e.hookCB, "evt-old", time.Now().Add(-6*time.Minute), body)
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, status, "%s", ans)
		require.Equal(t, before, stored())
	})
	t.Run("TamperedIsRefusedWithNothingStored", func(t *testing.T) {
		before := stored()
		body, _ := json.Marshal(printstation.BatchEvent{Type: printstation.EventBatchCompleted, Data: printstation.BatchEventData{BatchID: photo.Batch.BatchID}})
		// Signed for one body, sent with another.
		sent := []byte(strings.Replace(string(body), photo.Batch.BatchID, std.Batch.BatchID, 1))
		require.Equal(t, http.StatusUnauthorized, tampered(t, e.hookCB.URL, body, sent))
		// Signed with a key that is not ours.
		status, _, err := printstationtest.SendRaw(ctx, printstationtest.BatchCallback{URL: e.hookCB.URL,
			Secret: "whsec_d3JvbmctZm9yLXRoaXMtaG9vay0xMjM0NTY3OA=="}, "evt-t", time.Now(), body)
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, status)
		require.Equal(t, before, stored())
		require.Equal(t, "sent", itemStatuses(t, e.s, "ORD-W")["1"])
	})
	t.Run("MalformedIsRefusedWithNothingStored", func(t *testing.T) {
		before := stored()
		status, ans, err := printstationtest.SendRaw(ctx, e.hookCB, "evt-m", time.Now(), []byte(`{"type":"batch.exploded","data":{"batch_id":"x"}}`))
		require.NoError(t, err)
		require.Equal(t, http.StatusBadRequest, status)
		require.Contains(t, string(ans), "batch.exploded")
		require.Equal(t, before, stored())
	})
	t.Run("AReprintIsToldToOMSAndTheOrderWaits", func(t *testing.T) {
		status, ans, err := e.ps.CompleteBatch(ctx, photo.Batch.BatchID, printstation.EventItem{OrderID: "ORD-W", LineNumber: "2", Status: "reprint", Reason: "ink smear"})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status, "%s", ans)
		require.Equal(t, map[string]string{"1": "printed", "2": "reprint", "3": "sent"}, itemStatuses(t, e.s, "ORD-W"))
		msgs := e.sent.All()
		var kinds []string
		for _, m := range msgs {
			var u BatchingUpdate
			require.NoError(t, json.Unmarshal(m.Envelope.RequestedPayload, &u))
			kinds = append(kinds, u.OrderID+":"+u.Status)
		}
		require.ElementsMatch(t, []string{"ORD-W:REPRINT", "ORD-V:COMPLETE"}, kinds)
		require.Contains(t, states(t, e.s, "ORD-W"), StatePrintReprint)
		require.Contains(t, states(t, e.s, "ORD-W"), StateLinesPrinted)
	})
	t.Run("CompleteIsToldOnceWithTheBatchReference", func(t *testing.T) {
		var v BatchingUpdate
		for _, m := range e.sent.All() {
			if m.Envelope.RefeID == "ORD-V" {
				require.NoError(t, json.Unmarshal(m.Envelope.RequestedPayload, &v))
				require.Equal(t, TopicBatchingUpdate, m.Topic)
				require.Equal(t, bus.StatusSuccess, m.Envelope.Status)
				require.Equal(t, bus.ObjectBatch, m.Envelope.ObjectType)
				require.NoError(t, m.Envelope.Validate())
			}
		}
		require.Equal(t, photo.Batch.BatchID, v.BatchReference)
		require.Equal(t, "OMS-77", v.OMSOrderID)
		require.Equal(t, "CROF", v.SiteID)
		require.Equal(t, 1, storetest.Count(t, e.s, `SELECT * FROM outbox WHERE topic = 'batching-update' AND envelope->>'refe_id' = 'ORD-V'`))
	})
	t.Run("ARepeatHasNoSecondEffect", func(t *testing.T) {
		n, before := len(e.sent.All()), stored()
		status, ans, err := e.ps.CompleteBatch(ctx, photo.Batch.BatchID, printstation.EventItem{OrderID: "ORD-W", LineNumber: "2", Status: "reprint", Reason: "ink smear"})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status)
		require.Contains(t, string(ans), `"duplicate":true`)
		require.Equal(t, n, len(e.sent.All()))
		require.Equal(t, before, stored())
	})
	t.Run("TheSameIDWithAnotherBodyIsAConflict", func(t *testing.T) {
		before := stored()
		ev := printstation.BatchEvent{Type: printstation.EventBatchCompleted, Data: printstation.BatchEventData{BatchID: photo.Batch.BatchID}}
		id := printstationtest.EventID(printstation.BatchEvent{Type: printstation.EventBatchCompleted, Data: printstation.BatchEventData{BatchID: photo.Batch.BatchID,
			Items: []printstation.EventItem{{OrderID: "ORD-W", LineNumber: "2"}}}})
		status, _, err := printstationtest.Send(ctx, e.hookCB, id, ev)
		require.NoError(t, err)
		require.Equal(t, http.StatusConflict, status)
		require.Equal(t, before, stored())
	})
	t.Run("TheLastLinePrintedCompletesTheOrder", func(t *testing.T) {
		status, _, err := e.ps.CompleteBatch(ctx, std.Batch.BatchID)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status)
		require.NotContains(t, states(t, e.s, "ORD-W"), StatePrinted, "line 2 is still at reprint")
		ev := printstation.BatchEvent{Type: printstation.EventItemPrinted, Data: printstation.BatchEventData{BatchID: photo.Batch.BatchID,
			Items: []printstation.EventItem{{OrderID: "ORD-W", LineNumber: "2"}}}}
		status, ans, err := printstationtest.Send(ctx, e.hookCB, "evt-reprinted", ev)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status, "%s", ans)
		require.Contains(t, string(ans), `"completed_orders":["ORD-W"]`)
		require.Equal(t, StatePrinted, states(t, e.s, "ORD-W")[len(states(t, e.s, "ORD-W"))-1])
	})
	t.Run("AnEventForABatchNeverSentIsKeptAndRefused", func(t *testing.T) {
		status, ans, err := printstationtest.Send(ctx, e.hookCB, "evt-unknown",
			printstation.BatchEvent{Type: printstation.EventBatchCompleted, Data: printstation.BatchEventData{BatchID: "PB-NOPE"}})
		require.NoError(t, err)
		require.Equal(t, http.StatusUnprocessableEntity, status, "%s", ans)
		require.Equal(t, 1, storetest.Count(t, e.s, `SELECT * FROM parked_messages WHERE correlation_id = 'PB-NOPE' AND trigger = 'httpTrigger'`))
		require.Zero(t, storetest.Count(t, e.s, `SELECT * FROM webhook_receipts WHERE webhook_id = 'evt-unknown'`))
	})
}

// tampered signs signedBody and sends sentBody with that signature.
func tampered(t *testing.T, url string, signedBody, sentBody []byte) int {
	t.Helper()
	signer, err := webhook.NewSigner(printstationtest.DefaultWebhookSecret)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(sentBody))
	require.NoError(t, err)
	require.NoError(t, signer.Sign(req.Header, "evt-tamper", time.Now(), signedBody))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// TestAnOrderInTwoBatchesCompletedAtOnceIsCompleteOnce: the two batches'
// completions arrive together; the last one to commit sees the other's
// lines, so OMS is told COMPLETE exactly once.
func TestAnOrderInTwoBatchesCompletedAtOnceIsCompleteOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for round := range 3 {
		e := newEnv(t, testRules)
		e.setNow(time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC))
		id := "ORD-TWO-" + string(rune('a'+round))
		require.NoError(t, e.deliver(t, "t"+id, order(id, "CROF", line("1", "CPOD"), line("2", "STD"))))
		_, err := e.b.Build(ctx)
		require.NoError(t, err)
		batches := e.ps.Batches()
		require.Len(t, batches, 2)
		// Hold the order so that both events are in flight at once, each
		// having marked its own lines printed, before either counts.
		hold, err := e.s.Pool.Begin(ctx)
		require.NoError(t, err)
		_, err = hold.Exec(ctx, `SELECT 1 FROM print_orders WHERE order_id = $1 FOR UPDATE`, id)
		require.NoError(t, err)
		var wg sync.WaitGroup
		for _, pb := range batches {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, body, err := e.ps.CompleteBatch(ctx, pb.Batch.BatchID)
				assert200(t, status, body, err)
			}()
		}
		deadline := time.After(10 * time.Second)
		for storetest.Count(t, e.s, `SELECT * FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%print_orders%FOR UPDATE%'`) < 2 {
			select {
			case <-deadline:
				_ = hold.Rollback(ctx)
				wg.Wait()
				t.Fatal("both events should wait on the order before counting its lines")
			case <-time.After(5 * time.Millisecond):
			}
		}
		require.NoError(t, hold.Commit(ctx))
		wg.Wait()
		require.Equal(t, 1, storetest.Count(t, e.s, `SELECT * FROM outbox WHERE envelope->>'refe_id' = $1 AND envelope->>'event_type' = $2`,
			id, EventBatchingCompleted), "round %d", round)
		require.Contains(t, states(t, e.s, id), StatePrinted)
	}
}

func assert200(t *testing.T, status int, body []byte, err error) {
	if err != nil || status != http.StatusOK {
		t.Errorf("webhook answered %d %s %v", status, body, err)
	}
}
