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
