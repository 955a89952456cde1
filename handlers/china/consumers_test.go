package china

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/azfunc/azfunctest"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/oms/omstest"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

func rawTrade(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return b
}

func message(t *testing.T, raw []byte, gen int) bus.Message {
	t.Helper()
	var head struct {
		TradeNo string `json:"tradeNo"`
	}
	require.NoError(t, json.Unmarshal(raw, &head))
	m, err := orderMessage(head.TradeNo, raw, gen, chinaNoon)
	require.NoError(t, err)
	return m
}

func keepOrder(t *testing.T, s *store.Store, tradeNo string, raw []byte) {
	t.Helper()
	_, err := s.Pool.Exec(context.Background(), `INSERT INTO jackyun_orders (trade_no, raw) VALUES ($1, $2)`, tradeNo, raw)
	require.NoError(t, err)
}

func parkedReasons(t *testing.T, s *store.Store) []string {
	t.Helper()
	rows, err := s.Pool.Query(context.Background(), `SELECT reason FROM parked_messages ORDER BY id`)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		require.NoError(t, rows.Scan(&r))
		out = append(out, r)
	}
	return out
}

func setupToOMS(t *testing.T) (*harness, *omstest.Server) {
	t.Helper()
	s := storetest.Store(t)
	fake := omstest.NewServer(omstest.Config{})
	t.Cleanup(fake.Close)
	c, err := oms.New(oms.Config{BaseURL: fake.URL(), Token: fake.Token(), Timeout: 5 * time.Second})
	require.NoError(t, err)
	// A retry budget a busy machine's retry fits in (the platform's is 2 minutes).
	h := &harness{Host: azfunctest.New(t, s, time.Second, func(srv *azfunc.Server) {
		srv.ServiceBus(FnToOMS, "msg", false, (&ToOMS{Store: s, OMS: c, Warehouse: "KH"}).Handle)
	}), store: s}
	return h, fake
}

func TestToOMS(t *testing.T) {
	t.Parallel()
	t.Run("CreatesTheOrderOnceWhateverTheDeliveries", func(t *testing.T) {
		t.Parallel()
		h, fake := setupToOMS(t)
		raw := rawTrade(t, "trade_pod.json")
		keepOrder(t, h.store, "JY202603020001", raw)
		m := message(t, raw, 1)
		for i := range 3 {
			require.Equal(t, http.StatusOK, h.Deliver(t, FnToOMS, m, m.Key, i+1))
		}
		require.Equal(t, http.StatusOK, h.Deliver(t, FnToOMS, message(t, raw, 2), "repush-2", 1), "a repush of an order OMS has")
		created := fake.CreatedOrders()
		require.Len(t, created, 1)
		require.Equal(t, 1, created[0].Calls, "redeliveries and repushes find the claim done: OMS is asked once")
		require.Equal(t, "KH", created[0].Request.Warehouse)
		require.Equal(t, oms.SourceJackyun, created[0].Request.Source)
		var omsID string
		require.NoError(t, h.store.Pool.QueryRow(context.Background(), `SELECT oms_order_id FROM jackyun_orders WHERE trade_no = 'JY202603020001'`).Scan(&omsID))
		require.Equal(t, created[0].OrderID, omsID)
		require.Equal(t, 1, count(t, h.store, `SELECT count(*) FROM order_journey WHERE order_id = $1 AND state = $2`, omsID, StateCreatedInOMS),
			"handler trace <OMS order> shows where it came from")
	})
	t.Run("AnOrderThatCannotBeMappedIsParkedWithTheReason", func(t *testing.T) {
		t.Parallel()
		h, fake := setupToOMS(t)
		raw := []byte(strings.Replace(string(rawTrade(t, "trade_pod.json")), `"sellCount":"2"`, `"sellCount":"2.5"`, 1))
		require.Equal(t, http.StatusOK, h.Deliver(t, FnToOMS, message(t, raw, 1), "m1", 1), "parked and acknowledged")
		require.Empty(t, fake.Calls(), "nothing half-sent")
		reasons := parkedReasons(t, h.store)
		require.Len(t, reasons, 1)
		require.Contains(t, reasons[0], `line 1: sellCount "2.5" is not a whole number`)
	})
	t.Run("AMessageThatIsNotAnEnvelopeIsParked", func(t *testing.T) {
		t.Parallel()
		h, _ := setupToOMS(t)
		require.Equal(t, http.StatusOK, h.DeliverRaw(t, FnToOMS, []byte(`{"tradeNo":"JY1"}`), "m1", 1, nil))
		require.Equal(t, http.StatusOK, h.DeliverRaw(t, FnToOMS, []byte("\xff\xfe"), "m2", 1, nil))
		require.Len(t, parkedReasons(t, h.store), 2)
	})
	t.Run("OMSRefusesItIsParkedAndAReplayAfterTheFixUsesANewKey", func(t *testing.T) {
		t.Parallel()
		h, fake := setupToOMS(t)
		raw := rawTrade(t, "trade_pod.json")
		keepOrder(t, h.store, "JY202603020001", raw)
		m := message(t, raw, 1)
		fake.RejectNext(http.StatusUnprocessableEntity, `{"code":"validation_failed","message":"shop Tmall PopSockets is not set up"}`)
		require.Equal(t, http.StatusOK, h.Deliver(t, FnToOMS, m, m.Key, 1))
		require.Contains(t, parkedReasons(t, h.store)[0], "shop Tmall PopSockets is not set up")
		require.Equal(t, http.StatusOK, h.Deliver(t, FnToOMS, m, m.Key, 1), "replayed once OMS is fixed")
		require.Len(t, fake.CreatedOrders(), 1)
		calls := fake.Calls()
		require.Equal(t, "jackyun/JY202603020001/oms-create/retry-1", calls[len(calls)-1].IdempotencyKey)
	})
	t.Run("AnOMSOutageIsRetriedAndMakesOneOrder", func(t *testing.T) {
		t.Parallel()
		h, fake := setupToOMS(t)
		raw := rawTrade(t, "trade_fg_pascal.json")
		keepOrder(t, h.store, "JY202603020002", raw)
		m := message(t, raw, 1)
		fake.FailNext(http.StatusInternalServerError, 1)
		require.Equal(t, http.StatusOK, h.Deliver(t, FnToOMS, m, m.Key, 1), "retried inside the invocation")
		fake.FailNext(http.StatusServiceUnavailable, 5)
		require.Equal(t, http.StatusOK, h.Deliver(t, FnToOMS, m, m.Key, 2), "already done: the outage does not matter")
		require.Len(t, fake.CreatedOrders(), 1)
	})
}

func setupToBatchStation(t *testing.T) (*harness, *outbox) {
	t.Helper()
	s := storetest.Store(t)
	ob := &outbox{}
	h := newHarness(t, s, func(srv *azfunc.Server) {
		srv.ServiceBus(FnToBatchStation, "msg", false, (&ToBatchStation{Store: s, Outbox: ob, Site: "KH", Now: func() time.Time { return chinaNoon }}).Handle)
	})
	return h, ob
}

func TestToBatchStation(t *testing.T) {
	t.Parallel()
	t.Run("AnOrderWithPrintLinesIsPublishedToOrderUpdateExactlyOnce", func(t *testing.T) {
		t.Parallel()
		h, ob := setupToBatchStation(t)
		m := message(t, rawTrade(t, "trade_pod.json"), 1)
		require.Equal(t, http.StatusOK, h.Deliver(t, FnToBatchStation, m, m.Key, 1))
		require.Equal(t, http.StatusOK, h.Deliver(t, FnToBatchStation, m, m.Key, 2), "a redelivery")
		require.Equal(t, http.StatusOK, h.Deliver(t, FnToBatchStation, m, "another-copy", 1), "a copy under another message id")
		msgs := ob.All()
		require.Len(t, msgs, 1, "BatchStation refuses duplicates: one message")
		got := msgs[0]
		require.Equal(t, TopicOrderUpdate, got.Topic)
		require.Equal(t, "KH/JY202603020001/order-update/1", got.Key)
		require.Equal(t, EventBatchStationCreate, got.Envelope.EventType)
		require.Equal(t, bus.ObjectOrder, got.Envelope.ObjectType)
		require.Equal(t, "JY202603020001", got.Envelope.RefeID)
		require.Equal(t, m.Envelope.TraceID, got.Envelope.TraceID, "one trace from Jackyun to BatchStation")
		require.Equal(t, map[string]string{PropSite: "KH", PropSource: SourceJackyun}, got.Properties)
		require.NoError(t, got.Envelope.Validate())
		var p BatchStationOrder
		require.NoError(t, json.Unmarshal(got.Envelope.RequestedPayload, &p))
		want, _, err := BatchStation(readTrade(t, "trade_pod.json"), "KH")
		require.NoError(t, err)
		require.Equal(t, want, p)
		require.Equal(t, 1, count(t, h.store, `SELECT count(*) FROM jackyun_batchstation`))
		require.Equal(t, 1, count(t, h.store, `SELECT count(*) FROM outbox WHERE topic = $1`, TopicOrderUpdate))
	})
	t.Run("ARepushIsANewGenerationAndIsSentAgain", func(t *testing.T) {
		t.Parallel()
		h, ob := setupToBatchStation(t)
		raw := rawTrade(t, "trade_pod.json")
		require.Equal(t, http.StatusOK, h.Deliver(t, FnToBatchStation, message(t, raw, 1), "g1", 1))
		require.Equal(t, http.StatusOK, h.Deliver(t, FnToBatchStation, message(t, raw, 2), "g2", 1))
		require.Len(t, ob.All(), 2)
		require.Equal(t, "KH/JY202603020001/order-update/2", ob.All()[1].Key)
	})
	t.Run("AnFGOnlyOrderGoesToOMSOnly", func(t *testing.T) {
		t.Parallel()
		h, ob := setupToBatchStation(t)
		m := message(t, rawTrade(t, "trade_fg_pascal.json"), 1)
		require.Equal(t, http.StatusOK, h.Deliver(t, FnToBatchStation, m, m.Key, 1))
		require.Empty(t, ob.All())
		require.Empty(t, parkedReasons(t, h.store))
		require.Contains(t, h.Logs.String(), "FG only")
	})
	t.Run("BadInputIsParkedWithTheReason", func(t *testing.T) {
		t.Parallel()
		h, ob := setupToBatchStation(t)
		m := message(t, rawTrade(t, "trade_pod.json"), 1)
		m.Properties[PropGeneration] = "first"
		require.Equal(t, http.StatusOK, h.Deliver(t, FnToBatchStation, m, "m1", 1))
		broken := []byte(strings.Replace(string(rawTrade(t, "trade_pod.json")), `"needProcessCount":3`, `"needProcessCount":4`, 1))
		require.Equal(t, http.StatusOK, h.Deliver(t, FnToBatchStation, message(t, broken, 1), "m2", 1))
		m = message(t, rawTrade(t, "trade_pod.json"), 1)
		m.Envelope.RefeID = "JY-SOMEONE-ELSE"
		require.Equal(t, http.StatusOK, h.Deliver(t, FnToBatchStation, m, "m3", 1))
		reasons := parkedReasons(t, h.store)
		require.Len(t, reasons, 3)
		require.Contains(t, reasons[0], `property generation "first"`)
		require.Contains(t, reasons[1], "line 2: needProcessCount")
		require.Contains(t, reasons[2], "envelope names order JY-SOMEONE-ELSE")
		require.Empty(t, ob.All())
	})
}
