package main

import (
	"context"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	gladlyflow "github.com/popsockets/integration/handlers/gladly"
	"github.com/popsockets/integration/shared/gladly"
	"github.com/popsockets/integration/shared/gladly/gladlytest"
	"github.com/popsockets/integration/shared/oms/omstest"
)

// TestGladlyLookupsThroughTheLocalHost: Gladly's signed lookups, BASIC and
// DETAILED, answered from OMS through the local Functions host; tampered,
// stale and unsigned ones refused with 401 by the handler.
func TestGladlyLookupsThroughTheLocalHost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := startFlow(t, flowOptions{})
	g := f.partners.Gladly
	cust := f.partners.Customers[3]

	status, resp, err := g.Lookup(ctx, gladlytest.Basic([]string{cust.Email}, nil, ""))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status, lastError(f.logs.String()))
	require.Len(t, resp.Results, 1)
	require.Equal(t, cust.ID, resp.Results[0].ExternalCustomerID)

	status, resp, err = g.Lookup(ctx, gladlytest.Detailed(cust.ID))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, resp.Results, 1)
	r := resp.Results[0]
	require.NotEmpty(t, r.Transactions)
	require.Equal(t, "complete", r.CustomAttributes["lookupStatus"])

	body := []byte(`{"lookupLevel":"DETAILED","query":{"externalCustomerId":"` + cust.ID + `"},"uniqueMatchRequired":true}`)
	for name, tamper := range map[string]func(*http.Request){
		"Tampered": func(r *http.Request) { r.Header.Set("Content-Type", "application/json; charset=latin1") },
		"Unsigned": func(r *http.Request) { r.Header.Del(gladly.HeaderAuthorization) },
	} {
		req, err := g.NewRawRequest(ctx, body)
		require.NoError(t, err)
		tamper(req)
		status, answer, err := g.Do(req)
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, status, name)
		require.Contains(t, string(answer), "Gladly signature", "%s: the handler refused it, not the host", name)
	}
	stale := &gladlytest.Gladly{URL: g.URL, Key: g.Key, Now: func() time.Time { return time.Now().Add(-10 * time.Minute) }}
	status, _, err = stale.Lookup(ctx, gladlytest.Detailed(cust.ID))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, status)
	require.NotContains(t, f.logs.String(), cust.Email)
}

// TestGladlyLookupWhenOMSIsDownOrSlow: the answer comes within the budget
// with what OMS answered in time, never a timeout.
func TestGladlyLookupWhenOMSIsDownOrSlow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := startFlow(t, flowOptions{settings: func(v map[string]string) { v["GLADLY_OMS_BUDGET_MS"] = "500" }})
	g := f.partners.Gladly
	f.partners.OMS.Delay(10 * time.Second)
	start := time.Now()
	status, resp, err := g.Lookup(ctx, gladlytest.Detailed(f.partners.Customers[0].ID))
	took := time.Since(start)
	f.partners.OMS.Delay(0)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	require.Less(t, took, 2*time.Second, "within the budget and Gladly's 5 s")
	require.Contains(t, resp.Results[0].CustomAttributes["lookupStatus"], "partial")

	f.partners.OMS.FailNext(http.StatusServiceUnavailable, 50)
	status, resp, err = g.Lookup(ctx, gladlytest.Basic([]string{f.partners.Customers[1].Email}, nil, ""))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status, "OMS down: an answer with nothing found, not an error")
	require.Empty(t, resp.Results)
	require.Contains(t, f.logs.String(), `"partial":true`)
}

// BenchmarkGladlyLookup posts signed DETAILED lookups at 50 concurrent
// through the local host while the OMS fake takes 50 ms per call: each
// lookup is one search and one read per order, in parallel, so about two
// OMS round trips. "cold" looks up a different customer each time (every
// read goes to OMS); "warm" cycles through 20 customers (the cache
// answers). It reports p50 and p99 in ms.
func BenchmarkGladlyLookup(b *testing.B) {
	for _, mode := range []string{"cold", "warm"} {
		b.Run(mode, func(b *testing.B) {
			f := startFlow(b, flowOptions{settings: func(v map[string]string) { v["GLADLY_CACHE_SECONDS"] = "60" }})
			customers := f.partners.Customers
			if mode == "cold" {
				customers = nil
				for _, orders := range omstest.SampleCustomers(3000, 77) {
					for _, o := range orders {
						f.partners.OMS.AddCustomerOrder(o)
					}
					customers = append(customers, orders[0].Customer)
				}
			}
			f.partners.OMS.Delay(50 * time.Millisecond)
			g := f.partners.Gladly
			var next atomic.Int64
			var mu sync.Mutex
			var lat []time.Duration
			var failed, partial atomic.Int64
			procs := runtime.GOMAXPROCS(0)
			b.SetParallelism((50 + procs - 1) / procs) // 50 concurrent, whatever the cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c := customers[int(next.Add(1))%len(customers)]
					start := time.Now()
					status, resp, err := g.Lookup(context.Background(), gladlytest.Detailed(c.ID))
					d := time.Since(start)
					if err != nil || status != http.StatusOK {
						failed.Add(1)
					} else if len(resp.Results) != 1 || resp.Results[0].CustomAttributes["lookupStatus"] != gladlyflow.StatusComplete {
						partial.Add(1) // answered in time, but without all of OMS's data
					}
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
				}
			})
			b.StopTimer()
			slices.Sort(lat)
			pct := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(failed.Load()), "failed")
			b.ReportMetric(float64(partial.Load()), "partial")
			if failed.Load() > 0 {
				b.Errorf("%d lookups failed: %s", failed.Load(), lastError(f.logs.String()))
			}
		})
	}
}
