package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/handlers/fulfillment"
	"github.com/popsockets/integration/shared/devhost"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/store/storetest"
)

// dbSwitch is a TCP proxy in front of PostgreSQL that a test can cut: the
// database goes away for the handler (open connections drop, new ones are
// refused) and comes back.
type dbSwitch struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newDBSwitch(t testing.TB, target string) *dbSwitch {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &dbSwitch{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go s.serve()
	t.Cleanup(func() { ln.Close(); s.cut() })
	return s
}

func (s *dbSwitch) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.down {
			s.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", s.target)
		if err != nil {
			s.mu.Unlock()
			c.Close()
			continue
		}
		s.conns[c], s.conns[up] = true, true
		s.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); up.Close() }()
		go func() { _, _ = io.Copy(c, up); c.Close() }()
	}
}

func (s *dbSwitch) cut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = true
	for c := range s.conns {
		c.Close()
	}
	s.conns = map[net.Conn]bool{}
}

func (s *dbSwitch) restore() {
	s.mu.Lock()
	s.down = false
	s.mu.Unlock()
}

// viaSwitch points a database URL at the switch.
func viaSwitch(t testing.TB, sw **dbSwitch) func(string) string {
	return func(raw string) string {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		*sw = newDBSwitch(t, u.Host)
		u.Host = (*sw).ln.Addr().String()
		return u.String()
	}
}

func TestDatabaseDownMidFlow(t *testing.T) {
	t.Parallel()

	t.Run("RequestWhileDownIs503AndStoresNothing", func(t *testing.T) {
		t.Parallel()
		var sw *dbSwitch
		f := startFlow(t, flowOptions{databaseURL: viaSwitch(t, &sw)})
		smp := b2c(1, 29)[0]
		sw.cut()
		require.Equal(t, http.StatusServiceUnavailable, f.request(t, "cirro", smp))
		sw.restore()
		require.Zero(t, f.stored(t), "nothing half-written")
		require.Equal(t, http.StatusAccepted, f.request(t, "cirro", smp), "OMS retries and succeeds")
		f.idle(t)
		require.Len(t, f.partners.Cirro.Orders(), 1)
	})

	t.Run("RecordLostAfterCirroCallIsRetriedWithoutASecondOrder", func(t *testing.T) {
		t.Parallel()
		var sw *dbSwitch
		var creating <-chan struct{}
		f := startFlow(t, flowOptions{databaseURL: viaSwitch(t, &sw), redelivery: 300 * time.Millisecond,
			settings: func(v map[string]string) {
				var watched *httptest.Server
				watched, creating = watchCirro(t, v["CIRRO_BASE_URL"])
				v["CIRRO_BASE_URL"] = watched.URL
			}})
		smp := b2c(1, 31)[0]
		id := smp.Request.OrderID
		// Cirro answers slowly; the database goes away while it thinks (the
		// claim is committed, no transaction is open), so the record fails.
		f.partners.Cirro.Delay(500 * time.Millisecond)
		require.Equal(t, http.StatusAccepted, f.request(t, "cirro", smp))
		select {
		case <-creating:
		case <-time.After(10 * time.Second):
			t.Fatal("cirro was never called")
		}
		sw.cut()
		f.logs.waitFor(t, "trying again within the invocation")
		f.partners.Cirro.Delay(0)
		sw.restore()
		f.idle(t)

		require.Len(t, f.partners.Cirro.Orders(), 1, "the retry looked the order up: no second order")
		require.GreaterOrEqual(t, f.partners.Cirro.LookupCalls(), 1, "a retaken claim asks Cirro before creating again")
		invs := f.invocations("cirro-fulfill")
		require.True(t, invs[len(invs)-1].OK)
		require.Equal(t, 1, storetest.Count(t, f.store, `SELECT * FROM order_journey WHERE order_id = $1 AND state = $2 AND detail LIKE '%CR%'`,
			id, fulfillment.StateTPLOrderCreated), "recorded once, with Cirro's order number")
		require.Equal(t, 1, storetest.Count(t, f.store, `SELECT * FROM processed_messages WHERE consumer = 'cirro-fulfill' AND status = 'done'`))
		require.Empty(t, f.host.DeadLetters())
	})
}

// watchCirro sits in front of the Cirro fake and says when the first order
// create arrives (while Cirro is still answering it).
func watchCirro(t *testing.T, target string) (*httptest.Server, <-chan struct{}) {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(u)
	arrived := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/order/") {
			once.Do(func() { close(arrived) })
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, arrived
}

// chaosCirro sits in front of the Cirro fake and fails a share of order
// creates with 500, at random, before they reach Cirro.
func chaosCirro(t *testing.T, target string, share float64, seed uint64) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(u)
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, 1))
	failed := &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/order/") {
			mu.Lock()
			fail := rng.Float64() < share
			mu.Unlock()
			if fail {
				failed.Add(1)
				http.Error(w, `{"code":10000,"message":"injected"}`, http.StatusInternalServerError)
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, failed
}

// TestThousandOrdersWithFailuresAndDuplicates sends 1,000 orders through
// the whole flow with 10% of Cirro calls failing and a fifth of every
// partner call repeated: nothing is lost and nothing happens twice.
func TestThousandOrdersWithFailuresAndDuplicates(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("the 1,000-order run is skipped with -short")
	}
	const n = 1000
	var injected *atomic.Int64
	f := startFlow(t, flowOptions{settings: func(v map[string]string) {
		var chaos *httptest.Server
		chaos, injected = chaosCirro(t, v["CIRRO_BASE_URL"], 0.10, 42)
		v["CIRRO_BASE_URL"] = chaos.URL
		v["CIRRO_RATE_PER_MINUTE"] = "600000" // the fake has no limit; the real 600/min would make this a 2-minute test
	}})
	ctx := context.Background()
	samples := b2c(n, 99)
	require.Len(t, samples, n)
	rng := rand.New(rand.NewPCG(7, 7))
	dup := make([]bool, n)
	for i := range dup {
		dup[i] = rng.IntN(5) == 0
	}

	parallel := func(fn func(i int)) {
		var wg sync.WaitGroup
		work := make(chan int)
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					fn(i)
				}
			}()
		}
		for i := range n {
			work <- i
		}
		close(work)
		wg.Wait()
	}
	parallel(func(i int) {
		smp := samples[i]
		f.partners.OMS.AddOrder(smp.Request.OrderID, oms.StateWaitingFulfillmentConfirmation)
		for range 1 + btoi(dup[i]) {
			status, body, err := f.partners.Requester.Send(ctx, "cirro", smp.Request, smp.Customer)
			if err != nil || status != http.StatusAccepted {
				t.Errorf("request %s: %d %s %v", smp.Request.OrderID, status, body, err)
			}
		}
	})
	f.idle(t)
	parallel(func(i int) {
		for range 1 + btoi(dup[i]) {
			if err := f.partners.Cirro.SendAcceptance(ctx, samples[i].Request.OrderID); err != nil {
				t.Errorf("acceptance: %v", err)
			}
		}
	})
	f.idle(t)
	parallel(func(i int) {
		for range 1 + btoi(dup[(i+1)%n]) {
			if err := f.partners.Cirro.SendShipment(ctx, samples[i].Request.OrderID); err != nil {
				t.Errorf("shipment: %v", err)
			}
		}
	})
	f.idle(t)

	require.Greater(t, injected.Load(), int64(50), "failures were injected")
	orders := f.partners.Cirro.Orders()
	refs := map[string]int{}
	for _, o := range orders {
		refs[o.Create.ReferenceNo]++
	}
	require.Len(t, refs, n, "zero lost at Cirro")
	require.Len(t, orders, n, "zero duplicated at Cirro")
	var wrong []string
	for _, smp := range samples {
		id := smp.Request.OrderID
		if got := omsTransitions(f, id); len(got) != 2 || got[0] != oms.StateExportedToTPL || got[1] != oms.StateShipped {
			wrong = append(wrong, fmt.Sprintf("%s: %v", id, got))
		}
	}
	require.Empty(t, wrong, "every order confirmed and shipped in OMS exactly once")
	require.Empty(t, f.host.DeadLetters())
	require.Zero(t, storetest.Count(t, f.store, `SELECT * FROM parked_messages`))
	require.Zero(t, storetest.Count(t, f.store, `SELECT * FROM outbox`), "everything was published")
	t.Logf("1,000 orders: %d Cirro failures injected, %d cirro-fulfill invocations", injected.Load(), len(f.invocations("cirro-fulfill")))
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Invocation is what the local host reports about one invocation.
type Invocation = devhost.Invocation
