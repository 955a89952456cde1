package main

// Tests named after the findings of the review (issue 11). Each failed
// before its fix.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/handlers/fulfillment"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

// TestOutOfOrderStepsEndShippedWithoutParking (A1, A2): a shipment event
// delivered before its confirmation waits for it (OMS's 409 is re-classified
// as transient, and the Retry-After is waited inside the delivery), and an
// acceptance committed while cirro-fulfill still waits for Cirro is not
// overwritten by the late TPL_ORDER_CREATED. Both orders end SHIPPED, nothing
// is parked, nothing dead-lettered.
func TestOutOfOrderStepsEndShippedWithoutParking(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := startFlow(t, flowOptions{})
	smps := b2c(2, 37)

	t.Run("ShipmentBeforeConfirmation", func(t *testing.T) {
		id := smps[0].Request.OrderID
		require.Equal(t, http.StatusAccepted, f.request(t, "cirro", smps[0]))
		f.idle(t)
		// The shipment arrives first; OMS still waits for the confirmation.
		require.NoError(t, f.partners.Cirro.SendShipment(ctx, id))
		f.logs.waitFor(t, "waiting for the earlier step")
		require.NoError(t, f.partners.Cirro.SendAcceptance(ctx, id))
		f.idle(t)
		require.Equal(t, oms.StateShipped, f.partners.OMS.State(id))
		require.Equal(t, []string{oms.StateExportedToTPL, oms.StateShipped}, omsTransitions(f, id))
		o, err := store.GetOrder(ctx, f.store.Pool, id)
		require.NoError(t, err)
		require.Equal(t, oms.StateShipped, o.State)
	})

	t.Run("AcceptanceBeforeTheCreateIsRecorded", func(t *testing.T) {
		id := smps[1].Request.OrderID
		// Cirro makes the order, then takes a while to answer.
		f.partners.Cirro.Delay(1500 * time.Millisecond)
		require.Equal(t, http.StatusAccepted, f.request(t, "cirro", smps[1]))
		deadline := time.After(20 * time.Second)
		made := func() bool {
			for _, o := range f.partners.Cirro.Orders() {
				if o.Create.ReferenceNo == id {
					return true
				}
			}
			return false
		}
		for !made() {
			select {
			case <-deadline:
				t.Fatal("cirro never got the order")
			case <-time.After(5 * time.Millisecond):
			}
		}
		require.NoError(t, f.partners.Cirro.SendAcceptance(ctx, id), "the acceptance overtakes cirro-fulfill")
		f.idle(t)
		f.partners.Cirro.Delay(0)
		o, err := store.GetOrder(ctx, f.store.Pool, id)
		require.NoError(t, err)
		require.Equal(t, oms.StateExportedToTPL, o.State, "the late TPL_ORDER_CREATED did not move the order back")
		require.Contains(t, journeyStates(t, f.store, id), fulfillment.StateTPLOrderCreated, "but the journey has the step")
		require.NoError(t, f.partners.Cirro.SendShipment(ctx, id))
		f.idle(t)
		require.Equal(t, oms.StateShipped, f.partners.OMS.State(id))
		var out, errOut strings.Builder
		require.Equal(t, 0, run(ctx, []string{"trace", id}, func(k string) string { return f.settings[k] }, nil, &out, &errOut), errOut.String())
		require.Contains(t, out.String(), "now SHIPPED")
	})

	require.Zero(t, storetest.Count(t, f.store, `SELECT * FROM parked_messages`), "nothing parked")
	require.Empty(t, f.host.DeadLetters())
}

// TestReplayThatFailsAgainIsAlertedAgain (A4): a replay that fails the same
// way reopens the parked row and people get a new card, as the README says.
func TestReplayThatFailsAgainIsAlertedAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	broken := `{"cirro":{"STANDARD":"USPS_GRND"}}`
	f := startFlow(t, flowOptions{settings: func(v map[string]string) { v["SHIP_METHODS"] = broken }})
	var smp = b2c(10, 41)[0]
	for _, s := range b2c(10, 41) {
		if s.Request.ShipMethod == "STANDARD" {
			smp = s
		}
	}
	require.Equal(t, http.StatusAccepted, f.request(t, "cirro", smp))
	f.idle(t)
	waitCards(t, f, 1)
	parked, err := f.store.ListParked(ctx, store.ParkedFilter{Function: "cirro-fulfill"})
	require.NoError(t, err)
	require.Len(t, parked, 1)
	id := strconv.FormatInt(parked[0].ID, 10)

	// The fix was wrong: the replay fails the same way.
	still := map[string]string{}
	for k, v := range f.settings {
		still[k] = v
	}
	still["SHIP_METHODS"] = `{"cirro":{"EXPRESS":"UPS_2DAY"}}`
	var out, errOut strings.Builder
	require.Equal(t, 1, run(ctx, []string{"replay", id}, func(k string) string { return still[k] }, nil, &out, &errOut))
	require.Contains(t, out.String(), "failed again and is parked")
	cards := waitCards(t, f, 2)
	require.Len(t, cards, 2, "a second card for the second failure")
	p, err := f.store.GetParked(ctx, parked[0].ID)
	require.NoError(t, err)
	require.True(t, p.Open())
	require.Equal(t, 1, p.ReplayCount)

	// A transient failure of the replay leaves it open, and alerts nobody again.
	down := map[string]string{}
	for k, v := range still {
		down[k] = v
	}
	down["SHIP_METHODS"] = `{"cirro":{"STANDARD":"USPS_GROUND"}}`
	f.partners.Cirro.FailNext(http.StatusInternalServerError, 1000)
	out.Reset()
	require.Equal(t, 1, run(ctx, []string{"replay", id}, func(k string) string { return down[k] }, nil, &out, &errOut))
	require.Contains(t, out.String(), "failed (transient")
	p, err = f.store.GetParked(ctx, parked[0].ID)
	require.NoError(t, err)
	require.True(t, p.Open(), "still waiting for a person")
	require.Len(t, f.partners.Teams.Cards(), 2)
}

// TestXBFulfill (A11): the XB path gets the fault tests Cirro has.
func TestXBFulfill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("CreatesOnceWithTheCustomerAndRecordsTheStep", func(t *testing.T) {
		t.Parallel()
		f := startFlow(t, flowOptions{})
		smp := b2c(1, 43)[0]
		require.Equal(t, http.StatusAccepted, f.request(t, "xb", smp))
		require.Equal(t, http.StatusAccepted, f.request(t, "xb", smp), "OMS repeats itself")
		f.idle(t)
		orders := f.partners.XB.Orders()
		require.Len(t, orders, 1)
		require.Equal(t, smp.Customer.Name, orders[0].Order.ShipTo.Name, "the customer was decrypted for XB")
		require.Equal(t, []string{oms.StateWaitingFulfillmentConfirmation, fulfillment.StateTPLOrderCreated}, journeyStates(t, f.store, smp.Request.OrderID))
		o, err := store.GetOrder(ctx, f.store.Pool, smp.Request.OrderID)
		require.NoError(t, err)
		require.Equal(t, "xb", o.TPL)
		require.NotEmpty(t, o.TPLOrderNo)
	})

	t.Run("FailsTwiceThenCreatesOnce", func(t *testing.T) {
		t.Parallel()
		f := startFlow(t, flowOptions{})
		f.partners.XB.FailNext(http.StatusServiceUnavailable, 2)
		smp := b2c(1, 47)[0]
		require.Equal(t, http.StatusAccepted, f.request(t, "xb", smp))
		f.idle(t)
		require.Len(t, f.partners.XB.Orders(), 1)
		invs := f.invocations("xb-fulfill")
		require.Len(t, invs, 1, "retried inside the delivery")
		require.True(t, invs[0].OK)
		var keys []string
		for _, c := range f.partners.XB.Calls() {
			keys = append(keys, c.IdempotencyKey)
		}
		require.Len(t, keys, 3)
		require.Equal(t, keys[0], keys[2], "every attempt carries the same Idempotency-Key")
	})

	t.Run("RefusedOrderIsParkedOnceAndAlerted", func(t *testing.T) {
		t.Parallel()
		f := startFlow(t, flowOptions{})
		f.partners.XB.RejectNext(http.StatusUnprocessableEntity, `{"error":{"code":"invalid_sku","message":"unknown sku"}}`)
		smp := b2c(1, 53)[0]
		require.Equal(t, http.StatusAccepted, f.request(t, "xb", smp))
		f.idle(t)
		invs := f.invocations("xb-fulfill")
		require.Len(t, invs, 1, "no retry storm")
		parked, err := f.store.ListParked(ctx, store.ParkedFilter{Function: "xb-fulfill"})
		require.NoError(t, err)
		require.Len(t, parked, 1)
		require.Empty(t, f.partners.XB.Orders())
		require.Len(t, waitCards(t, f, 1), 1)
	})

	t.Run("ARedeliveredMessageHasNoSecondEffect", func(t *testing.T) {
		t.Parallel()
		f := startFlow(t, flowOptions{})
		smp := b2c(1, 59)[0]
		require.Equal(t, http.StatusAccepted, f.request(t, "xb", smp))
		f.idle(t)
		calls := len(f.partners.XB.Calls())
		// Service Bus delivers the same message again (its completion was lost).
		sealed, err := f.partners.Keyring.Seal(smp.Request.OrderID, smp.Customer)
		require.NoError(t, err)
		req := smp.Request
		req.Sealed = sealed
		env, err := bus.Request("", fulfillment.EventFulfillmentRequested, bus.ObjectFulfillment, req.OrderID,
			fulfillment.Requested{TPL: "xb", Request: req, Classification: fulfillment.Classification{Channel: fulfillment.ChannelB2C}}, time.Now())
		require.NoError(t, err)
		status := f.deliver(t, "xb-fulfill", bus.MessageID(req.OrderID+"/fulfillment-request/xb"), 2, env)
		require.Equal(t, http.StatusOK, status)
		require.Len(t, f.partners.XB.Orders(), 1)
		require.Equal(t, calls, len(f.partners.XB.Calls()), "the claim is done: XB is not even asked")
		require.Equal(t, 1, strings.Count(strings.Join(journeyStates(t, f.store, req.OrderID), ","), fulfillment.StateTPLOrderCreated))
	})
}

// deliver posts one Service Bus invocation to the in-process handler, as
// the host does for a delivery of messageID.
func (f *flow) deliver(t *testing.T, function, messageID string, deliveryCount int, env bus.Envelope) int {
	t.Helper()
	body, err := json.Marshal(env)
	require.NoError(t, err)
	data, _ := json.Marshal(string(body))
	inv, err := json.Marshal(map[string]any{
		"Data": map[string]json.RawMessage{"msg": data},
		"Metadata": map[string]string{
			"MessageId": strconv.Quote(messageID), "DeliveryCount": strconv.Itoa(deliveryCount), "CorrelationId": strconv.Quote(env.RefeID),
		},
	})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, f.handlerURL+"/"+function, bytes.NewReader(inv))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Azure-Functions-InvocationId", "test-delivery-"+strconv.Itoa(deliveryCount))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// waitReported waits until n parked messages have been reported (one card
// may carry several: parking in a burst is one summary).
func waitReported(t *testing.T, f *flow, n int) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for storetest.Count(t, f.store, `SELECT * FROM parked_messages WHERE alerted_at IS NOT NULL`) < n {
		select {
		case <-deadline:
			t.Fatalf("fewer than %d parked messages were reported", n)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// signedCirro posts a Cirro event signed with the flow's Cirro secret.
func (f *flow) signedCirro(t *testing.T, event string, body []byte) (int, map[string]any) {
	t.Helper()
	return f.post(t, "/api/cirro/"+event, signedRequest{id: "cirro-" + strconv.FormatInt(time.Now().UnixNano(), 36), at: time.Now(),
		body: body, secret: f.settings["CIRRO_WEBHOOK_SECRETS"]})
}

// TestNoLogLineContainsAConfiguredSecret (A10) drives the paths on which a
// secret does reach a log line unless redaction removes it: a partner's
// event whose data is a secret (the value is echoed as the order id, in the
// parked reason, and in correlation_id), and a partner that echoes our
// token in its error. The database proves the secret travelled: the parked
// row keeps it, the log lines may not.
func TestNoLogLineContainsAConfiguredSecret(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := startFlow(t, flowOptions{})
	secret := f.settings["OMS_API_TOKEN"]
	require.Greater(t, len(secret), 10)

	// Cirro (or someone with its secret) sends the OMS token as an order id.
	body := []byte(`{"reference_no":"` + secret + `","order_no":"CR-1","Order_type":1}`)
	status, _ := f.signedCirro(t, "acceptance", body)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	parked, err := f.store.ListParked(ctx, store.ParkedFilter{Function: "cirro-webhook"})
	require.NoError(t, err)
	require.Len(t, parked, 1)
	require.Contains(t, parked[0].Reason, secret, "the secret did travel into what this event logs")

	// OMS echoes our bearer token in its error.
	f.partners.OMS.EchoCredentialsNext(http.StatusBadRequest, 1)
	id := "ORD-ECHO-1"
	f.partners.OMS.AddOrder(id, oms.StatePendingNAVRelease)
	env, err := bus.Request("", fulfillment.EventNAVOrderReleased, bus.ObjectOrder, id, fulfillment.NAVReleased{OrderID: id}, time.Now())
	require.NoError(t, err)
	nav, err := bus.NewLocal(bus.LocalConfig{URL: f.host.URL(), Topics: map[string]string{
		fulfillment.TopicNAVOrderRelease: f.settings["TOPIC_NAV_ORDER_RELEASE"]}})
	require.NoError(t, err)
	require.NoError(t, nav.Publish(ctx, bus.Message{Topic: fulfillment.TopicNAVOrderRelease, Key: id + "/nav-release", Envelope: env}))
	f.idle(t)
	all, err := f.store.ListParked(ctx, store.ParkedFilter{})
	require.NoError(t, err)
	require.Len(t, all, 2)
	waitReported(t, f, 2)

	logs := f.logs.String()
	require.Contains(t, logs, "input parked")
	require.Contains(t, logs, "needs attention")
	require.NotContains(t, logs, secret)
	require.NotContains(t, logs, secret[:len(secret)-1], "nor a cut-off piece of it")
	require.Contains(t, logs, `[REDACTED]`)
	for _, c := range f.partners.Teams.Cards() {
		require.NotContains(t, cardText(c), secret, "nor a Teams card")
	}
}

// TestBadBytesAreRefusedBeforeTheDatabase (C3, C5): a NUL in a field, an
// over-long id or invalid UTF-8 is the caller's error: 400 with nothing
// stored, never a 503 that the partner would retry forever.
func TestBadBytesAreRefusedBeforeTheDatabase(t *testing.T) {
	t.Parallel()
	f := startFlow(t, flowOptions{})
	secret := f.settings["OMS_WEBHOOK_SECRETS"]
	smp := b2c(1, 61)[0]
	sealed, err := f.partners.Keyring.Seal(smp.Request.OrderID, smp.Customer)
	require.NoError(t, err)
	good := smp.Request
	good.Sealed = sealed
	body, err := json.Marshal(good)
	require.NoError(t, err)
	cases := map[string]struct {
		body []byte
		want string
	}{
		"NULInAField":      {bytes.Replace(body, []byte(`"sku":"`), []byte(`"sku":"A\u0000`), 1), "NUL"},
		"OverLongID":       {bytes.Replace(body, []byte(`"order_id":"`), []byte(`"order_id":"`+strings.Repeat("7", 3000)), 1), "order_id is"},
		"InvalidUTF8":      {bytes.Replace(body, []byte(`"source":"`), []byte("\"source\":\"\xff\xfe"), 1), "UTF-8"},
		"ControlCharacter": {bytes.Replace(body, []byte(`"ship_method":"`), []byte(`"ship_method":"\u0007`), 1), "control character"},
	}
	i := 0
	for name, tc := range cases {
		i++
		t.Run(name, func(t *testing.T) {
			status, ans := f.post(t, "/api/fulfillment/request/cirro", signedRequest{id: "bad-" + name, at: time.Now(), body: tc.body, secret: secret})
			require.Equal(t, http.StatusBadRequest, status, "%v", ans)
			require.Equal(t, "malformed", ans["class"])
			require.Contains(t, ans["error"], tc.want)
			require.Zero(t, f.stored(t), "nothing stored")
		})
	}

	t.Run("ABadMessageIsParkedNotRetried", func(t *testing.T) {
		env, err := bus.Request("", fulfillment.EventFulfillmentAccepted, bus.ObjectFulfillment, "ORD-NUL",
			map[string]string{"order_id": "ORD\x00NUL", "tpl": "cirro"}, time.Now())
		require.NoError(t, err)
		status := f.deliver(t, fulfillment.FnOMSConfirm, "ORD-NUL/confirmation", 1, env)
		require.Equal(t, http.StatusOK, status, "acknowledged: retrying cannot fix it")
		parked, err := f.store.ListParked(context.Background(), store.ParkedFilter{Function: fulfillment.FnOMSConfirm})
		require.NoError(t, err)
		require.Len(t, parked, 1)
		require.Contains(t, parked[0].Reason, "NUL")
	})
}

// TestRepeatsAndUnknownOrdersGetTruthfulAnswers (C7): a repeated request is
// answered as its first delivery was, whatever path it came on; a Cirro
// event for an order this layer never routed writes no journey and no
// outbox row, is kept (parked, alerted) and answered 422.
func TestRepeatsAndUnknownOrdersGetTruthfulAnswers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := startFlow(t, flowOptions{})
	secret := f.settings["OMS_WEBHOOK_SECRETS"]
	smp := b2c(1, 67)[0]
	sealed, err := f.partners.Keyring.Seal(smp.Request.OrderID, smp.Customer)
	require.NoError(t, err)
	req := smp.Request
	req.Sealed = sealed
	body, err := json.Marshal(req)
	require.NoError(t, err)
	f.partners.OMS.AddOrder(req.OrderID, oms.StateWaitingFulfillmentConfirmation)
	status, first := f.post(t, "/api/fulfillment/request/cirro", signedRequest{id: "wh-repeat", at: time.Now(), body: body, secret: secret})
	require.Equal(t, http.StatusAccepted, status)
	f.idle(t)

	status, again := f.post(t, "/api/fulfillment/request/xb", signedRequest{id: "wh-repeat", at: time.Now(), body: body, secret: secret})
	require.Equal(t, http.StatusAccepted, status)
	require.Equal(t, true, again["duplicate"])
	require.Equal(t, first["tpl"], again["tpl"], "the repeat is answered with the warehouse of the first delivery")
	require.Equal(t, first["channel"], again["channel"])
	f.idle(t)
	require.Empty(t, f.partners.XB.Orders(), "and nothing went to XB")

	before := storetest.Count(t, f.store, `SELECT * FROM order_journey`) + storetest.Count(t, f.store, `SELECT * FROM outbox`)
	status, ans := f.signedCirro(t, "shipment", []byte(`{"reference_no":"ORD-NEVER-ROUTED","order_no":"CR-9","Order_type":1}`))
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", ans)
	require.Contains(t, ans["error"], "not routed by this layer")
	require.Equal(t, before, storetest.Count(t, f.store, `SELECT * FROM order_journey`)+storetest.Count(t, f.store, `SELECT * FROM outbox`),
		"no journey and no outbox row for an order this layer never routed")
	parked, err := f.store.ListParked(ctx, store.ParkedFilter{Correlation: "ORD-NEVER-ROUTED"})
	require.NoError(t, err)
	require.Len(t, parked, 1, "but the event is kept for a person")
	var out, errOut strings.Builder
	require.Equal(t, 1, run(ctx, []string{"replay", strconv.FormatInt(parked[0].ID, 10)}, func(k string) string { return f.settings[k] }, nil, &out, &errOut))
	require.Contains(t, out.String(), "not replayable", "a refused webhook says how to get it again")
}

// publishNAVReleases plays NAV: n orders released, straight to the broker
// (no database needed to publish).
func publishNAVReleases(t *testing.T, f *flow, prefix string, n int) []string {
	t.Helper()
	nav, err := bus.NewLocal(bus.LocalConfig{URL: f.host.URL(), Topics: map[string]string{
		fulfillment.TopicNAVOrderRelease: f.settings["TOPIC_NAV_ORDER_RELEASE"]}})
	require.NoError(t, err)
	var ids []string
	for i := range n {
		id := prefix + strconv.Itoa(i)
		ids = append(ids, id)
		f.partners.OMS.AddOrder(id, oms.StatePendingNAVRelease)
		env, err := bus.Request("", fulfillment.EventNAVOrderReleased, bus.ObjectOrder, id, fulfillment.NAVReleased{OrderID: id}, time.Now())
		require.NoError(t, err)
		require.NoError(t, nav.Publish(context.Background(), bus.Message{Topic: fulfillment.TopicNAVOrderRelease, Key: id + "/nav-release", Envelope: env}))
	}
	return ids
}

// TestDatabaseOutageDeadLettersNothing (C1): with the database away, each
// delivery waits for it inside its budget, with back-off, instead of
// failing at once: Service Bus hands an abandoned message straight back,
// so failing fast burned all ten deliveries in a few seconds and
// dead-lettered every pending message.
func TestDatabaseOutageDeadLettersNothing(t *testing.T) {
	t.Parallel()
	var sw *dbSwitch
	f := startFlow(t, flowOptions{databaseURL: viaSwitch(t, &sw)})
	sw.cut()
	ids := publishNAVReleases(t, f, "ORD-OUTAGE-", 20)
	// Long enough that failing fast would have used up every delivery.
	f.logs.waitFor(t, "trying again within the invocation")
	time.Sleep(4 * time.Second) // the outage itself: a duration, not a wait for a condition
	sw.restore()
	f.idle(t)
	require.Empty(t, f.host.DeadLetters(), "nothing dead-lettered")
	for _, id := range ids {
		require.Equal(t, oms.StateReleasedFromNAV, f.partners.OMS.State(id))
	}
	for _, inv := range f.invocations(fulfillment.FnNAVOrderRelease) {
		require.Equal(t, 1, inv.DeliveryCount, "each message needed one delivery")
	}
	require.Zero(t, storetest.Count(t, f.store, `SELECT * FROM parked_messages`))
}

// TestParkingDoesNotWaitForTeams (C2): alerts leave in the background, a
// burst of parking becomes a few cards, and an invocation that parks never
// waits for Teams (whose limit is a few cards a second).
func TestParkingDoesNotWaitForTeams(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := startFlow(t, flowOptions{settings: func(v map[string]string) { v["SHIP_METHODS"] = `{"cirro":{"NONE":"X"}}` }})
	f.partners.Teams.Delay(3 * time.Second)
	const n = 20
	for _, smp := range b2c(n, 71) {
		require.Equal(t, http.StatusAccepted, f.request(t, "cirro", smp))
	}
	f.idle(t)
	require.Equal(t, n, storetest.Count(t, f.store, `SELECT * FROM parked_messages`))
	invs := f.invocations(fulfillment.FnCirroFulfill)
	require.Len(t, invs, n)
	for _, inv := range invs {
		require.True(t, inv.OK, "parked and acknowledged")
	}
	require.Empty(t, f.partners.Teams.Cards(), "every invocation finished while Teams was still holding the first card")
	waitReported(t, f, n)
	cards := f.partners.Teams.Cards()
	require.LessOrEqual(t, len(cards), 3, "twenty parked messages are a few cards, not twenty")
	_ = ctx
}

// TestPartnerCallsHoldNoDatabaseConnection (platform issue, part 3): while
// Cirro takes its time, the cirro-fulfill invocations waiting for it hold
// no pool connection and no row lock, so webhooks are served meanwhile.
func TestPartnerCallsHoldNoDatabaseConnection(t *testing.T) {
	t.Parallel()
	f := startFlow(t, flowOptions{})
	f.partners.Cirro.Delay(3 * time.Second) // the order is made, the answer held
	const n = 8                             // host.json maxConcurrentCalls
	smps := b2c(n+1, 73)
	for _, smp := range smps[:n] {
		require.Equal(t, http.StatusAccepted, f.request(t, "cirro", smp))
	}
	deadline := time.After(20 * time.Second)
	for len(f.partners.Cirro.Orders()) < n {
		select {
		case <-deadline:
			t.Fatalf("cirro got %d of %d orders", len(f.partners.Cirro.Orders()), n)
		case <-time.After(5 * time.Millisecond):
		}
	}
	// Every cirro-fulfill is now inside its call to Cirro.
	stat := f.parts.Store().Pool.Stat()
	require.Zero(t, stat.AcquiredConns(), "no connection is held across a partner call")
	// And a webhook is served at once meanwhile.
	require.Equal(t, http.StatusAccepted, f.request(t, "xb", smps[n]))
	f.partners.Cirro.Delay(0)
	f.idle(t)
	require.Len(t, f.partners.Cirro.Orders(), n)
	require.Equal(t, n, storetest.Count(t, f.store, `SELECT * FROM processed_messages WHERE consumer = 'cirro-fulfill' AND status = 'done'`))
}
