package product

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/jackyun"
	"github.com/popsockets/integration/shared/jackyun/jackyuntest"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/oms/omstest"
	"github.com/popsockets/integration/shared/printstation"
	"github.com/popsockets/integration/shared/printstation/printstationtest"
	"github.com/popsockets/integration/shared/store/storetest"
)

// targets are the three systems, each behind its fake.
type targets struct {
	oms     *omstest.Server
	ps      *printstationtest.Server
	jackyun *jackyuntest.Server
	h       *harness
}

func setupPush(t *testing.T) *targets { return setupPushRetrying(t, 100*time.Millisecond) }

func setupPushRetrying(t *testing.T, budget time.Duration) *targets {
	t.Helper()
	s := storetest.Store(t)
	tg := &targets{oms: omstest.NewServer(omstest.Config{}), ps: printstationtest.NewServer(printstationtest.Config{}),
		jackyun: jackyuntest.NewServer(jackyuntest.Config{})}
	t.Cleanup(func() { tg.oms.Close(); tg.ps.Close(); tg.jackyun.Close() })
	oc, err := oms.New(oms.Config{BaseURL: tg.oms.URL(), Token: tg.oms.Token(), Timeout: 5 * time.Second})
	require.NoError(t, err)
	pc, err := printstation.New(printstation.Config{BaseURL: tg.ps.URL(), APIKey: tg.ps.APIKey(), Timeout: 5 * time.Second})
	require.NoError(t, err)
	jc, err := jackyun.New(jackyun.Config{URL: tg.jackyun.URL(), AppKey: tg.jackyun.AppKey(), Secret: tg.jackyun.Secret()})
	require.NoError(t, err)
	tg.h = newHarnessRetrying(t, s, budget, func(srv *azfunc.Server) {
		srv.ServiceBus(FnToOMS, "msg", false, (&Push{Store: s, Target: OMSTarget{OMS: oc}}).Handle)
		srv.ServiceBus(FnToPrintStation, "msg", false, (&Push{Store: s, Target: PrintStationTarget{PrintStation: pc}}).Handle)
		srv.ServiceBus(FnToJackyun, "msg", false, (&Push{Store: s, Target: JackyunTarget{Jackyun: jc}}).Handle)
	})
	return tg
}

var allPushes = []string{FnToOMS, FnToPrintStation, FnToJackyun}

func rev(t *testing.T, number, revision string, effective time.Time, imageType string, bom ...BOMLine) bus.Message {
	t.Helper()
	r := Revision{ItemNumber: number, Revision: revision, Name: "Grip " + number + " " + revision, Category: "Grips", UOM: "each",
		EffectiveAt: effective, Attributes: []Attribute{{Name: AttrImageType, Value: imageType}, {Name: AttrBarcode, Value: "840173720011"}}, BOM: bom}
	if bom == nil {
		r.BOM = []BOMLine{}
	}
	m, err := revisionMessage(r, effective)
	require.NoError(t, err)
	return m
}

// deliverAll delivers m to the three push functions.
func (tg *targets) deliverAll(t *testing.T, m bus.Message, id string, count int) {
	t.Helper()
	for _, fn := range allPushes {
		require.Equal(t, http.StatusOK, tg.h.Deliver(t, fn, m, id, count), fn)
	}
}

// revisions are the revisions each system holds of sku, in the order applied.
func (tg *targets) revisions(t *testing.T, sku string) (omsRevs, psRevs, jackyunRevs []string) {
	t.Helper()
	if p, ok := tg.oms.Product(sku); ok {
		omsRevs = p.Applied
	}
	if p, ok := tg.ps.Product(sku); ok {
		psRevs = p.Applied
	}
	for _, c := range tg.jackyun.GoodsCalls() {
		if c.GoodsNo == sku && c.Refused == "" {
			jackyunRevs = append(jackyunRevs, c.Revision)
		}
	}
	return
}

func TestPush(t *testing.T) {
	t.Parallel()
	t.Run("AnItemRevisionReachesTheThreeSystemsOnce", func(t *testing.T) {
		t.Parallel()
		tg := setupPush(t)
		m := rev(t, "PS-CUSTOM-CYO", "A", morning, "CYO")
		tg.deliverAll(t, m, m.Key, 1)
		tg.deliverAll(t, m, m.Key, 2)
		tg.deliverAll(t, m, "another-copy", 1)
		o, p, j := tg.revisions(t, "PS-CUSTOM-CYO")
		require.Equal(t, []string{"A"}, o)
		require.Equal(t, []string{"A"}, p)
		require.Equal(t, []string{"A"}, j, "Jackyun is asked once: the claim is on item and revision")
		g, _ := tg.jackyun.Goods("PS-CUSTOM-CYO")
		require.Equal(t, "840173720011", g.Barcode)
		ps, _ := tg.ps.Product("PS-CUSTOM-CYO")
		require.Equal(t, "CYO", ps.Current.ImageType)
	})
	t.Run("AnOlderRevisionNeverOverwritesANewerOneWhateverTheOrder", func(t *testing.T) {
		t.Parallel()
		tg := setupPush(t)
		a := rev(t, "PS-GRIP-BLK", "A", morning, "STD")
		b := rev(t, "PS-GRIP-BLK", "B", morning.Add(time.Hour), "STD")
		c := rev(t, "PS-GRIP-BLK", "C", morning.Add(2*time.Hour), "STD")
		tg.deliverAll(t, b, b.Key, 1)
		tg.deliverAll(t, a, a.Key, 1) // late
		tg.deliverAll(t, c, c.Key, 1)
		tg.deliverAll(t, a, a.Key, 2) // and again
		o, p, j := tg.revisions(t, "PS-GRIP-BLK")
		require.Equal(t, []string{"B", "C"}, o)
		require.Equal(t, []string{"B", "C"}, p)
		require.Equal(t, []string{"B", "C"}, j, "Jackyun keeps no revisions: the flow's own record skips A")
		require.Contains(t, tg.h.Logs.String(), "older product revision skipped")
	})
	t.Run("ConcurrentRevisionsOfOneItemEndAtTheNewest", func(t *testing.T) {
		t.Parallel()
		tg := setupPushRetrying(t, 30*time.Second) // a delivery waits its turn for the item's lease
		msgs := []bus.Message{}
		for i, r := range []string{"A", "B", "C", "D", "E", "F"} {
			msgs = append(msgs, rev(t, "PS-MOUNT-CAR", r, morning.Add(time.Duration(i)*time.Hour), "POD"))
		}
		var wg sync.WaitGroup
		for i := len(msgs) - 1; i >= 0; i-- {
			for _, fn := range allPushes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					require.Equal(t, http.StatusOK, tg.h.Deliver(t, fn, msgs[i], msgs[i].Key, 1))
				}()
			}
		}
		wg.Wait()
		o, p, j := tg.revisions(t, "PS-MOUNT-CAR")
		for _, applied := range [][]string{o, p, j} {
			require.Equal(t, "F", applied[len(applied)-1], "the newest revision is what each system ends with: %v", applied)
			for k := 1; k < len(applied); k++ {
				require.Greater(t, applied[k], applied[k-1], "and it never went back: %v", applied)
			}
		}
	})
	t.Run("AnItemPrintStationDoesNotPrintGoesOnlyToOMSAndJackyun", func(t *testing.T) {
		t.Parallel()
		tg := setupPush(t)
		m := rev(t, "PS-WALLET-BLK", "A", morning, "FG")
		tg.deliverAll(t, m, m.Key, 1)
		o, p, j := tg.revisions(t, "PS-WALLET-BLK")
		require.Equal(t, []string{"A"}, o)
		require.Empty(t, p)
		require.Equal(t, []string{"A"}, j)
		require.Empty(t, tg.ps.Calls())
		require.Contains(t, tg.h.Logs.String(), "not printed (Image Type FG)")
	})
	t.Run("AnUnknownSKUDownstreamIsParkedWithTheReasonAndTheOthersGoOn", func(t *testing.T) {
		t.Parallel()
		tg := setupPush(t)
		kit := rev(t, "PS-KIT-01", "A", morning, "CYO", BOMLine{LineNumber: 1, ItemNumber: "PS-NOT-IN-OMS", Quantity: "1"})
		tg.ps.RefuseProduct("PS-KIT-01", "no print template for blank PS-KIT-01")
		tg.jackyun.RefuseGoods("PS-KIT-01", "goods category Grips is not set up for KH")
		tg.deliverAll(t, kit, kit.Key, 1)
		reasons := parkedReasons(t, tg.h)
		require.Len(t, reasons, 3)
		require.Contains(t, reasons[FnToOMS], "PS-NOT-IN-OMS", "OMS does not know the component")
		require.Contains(t, reasons[FnToPrintStation], "no print template")
		require.Contains(t, reasons[FnToJackyun], "not set up for KH")
		other := rev(t, "PS-GRIP-WHT", "A", morning, "STD")
		tg.deliverAll(t, other, other.Key, 1)
		o, p, j := tg.revisions(t, "PS-GRIP-WHT")
		require.Equal(t, [][]string{{"A"}, {"A"}, {"A"}}, [][]string{o, p, j})

		// Fixed downstream, the parked message is replayed: a new key, since
		// the systems answer a key with its first answer.
		tg.oms.KnowSKUs("PS-NOT-IN-OMS")
		tg.ps.RefuseProduct("PS-KIT-01", "")
		tg.jackyun.RefuseGoods("PS-KIT-01", "")
		tg.deliverAll(t, kit, kit.Key, 1)
		o, p, j = tg.revisions(t, "PS-KIT-01")
		require.Equal(t, [][]string{{"A"}, {"A"}, {"A"}}, [][]string{o, p, j})
		calls := tg.oms.Calls()
		require.Equal(t, "product/PS-KIT-01@A/oms/retry-1", calls[len(calls)-1].IdempotencyKey)
	})
	t.Run("DownstreamFailuresAreRetriedAndMakeOneEffect", func(t *testing.T) {
		t.Parallel()
		// Long enough for a retry on a busy machine, shorter than the
		// Retry-After of 1 s below.
		tg := setupPushRetrying(t, 800*time.Millisecond)
		m := rev(t, "PS-GRIP-MRBL", "A", morning, "CPOD")
		tg.oms.FailNext(http.StatusInternalServerError, 1)
		tg.ps.FailNext(http.StatusBadGateway, 1)
		tg.jackyun.FailNext(http.StatusInternalServerError, 1)
		tg.deliverAll(t, m, m.Key, 1)                     // retried inside the invocation
		tg.oms.FailNext(http.StatusServiceUnavailable, 1) // with Retry-After: 1, longer than this test's retry budget
		n := rev(t, "PS-GRIP-MRBL", "B", morning.Add(time.Hour), "CPOD")
		require.Equal(t, http.StatusInternalServerError, tg.h.Deliver(t, FnToOMS, n, n.Key, 1), "OMS is down: the message waits")
		require.Equal(t, http.StatusOK, tg.h.Deliver(t, FnToOMS, n, n.Key, 2))
		o, p, j := tg.revisions(t, "PS-GRIP-MRBL")
		require.Equal(t, []string{"A", "B"}, o)
		require.Equal(t, []string{"A"}, p)
		require.Equal(t, []string{"A"}, j)
		require.Empty(t, parkedReasons(t, tg.h))
	})
	t.Run("BadMessagesAreParked", func(t *testing.T) {
		t.Parallel()
		tg := setupPush(t)
		m := rev(t, "PS-1", "A", morning, "STD")
		m.Envelope.RefeID = "PS-2"
		require.Equal(t, http.StatusOK, tg.h.Deliver(t, FnToOMS, m, "m1", 1))
		require.Equal(t, http.StatusOK, tg.h.DeliverRaw(t, FnToOMS, []byte(`{"trace_id":"x"}`), "m2", 1, nil))
		m = rev(t, "PS-1", "", morning, "STD")
		require.Equal(t, http.StatusOK, tg.h.Deliver(t, FnToOMS, m, "m3", 1))
		require.Equal(t, 3, count(t, tg.h.store, `SELECT count(*) FROM parked_messages`))
		require.Empty(t, tg.oms.Calls())
	})
}

// parkedReasons are the parked reasons by function.
func parkedReasons(t *testing.T, h *harness) map[string]string {
	t.Helper()
	rows, err := h.store.Pool.Query(context.Background(), `SELECT function, reason FROM parked_messages`)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var f, r string
		require.NoError(t, rows.Scan(&f, &r))
		out[f] = r
	}
	return out
}
