package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/handlers/edi"
)

// BenchmarkShipmentToASN measures, through the local host, the time from
// Cirro's shipment callback to the 856 arriving under its final name in
// SPS's in folder, over 500 B2B shipments (8 callbacks in flight): the
// webhook, the outbox, the broker, edi-shipment-docs (pre-flight, control
// numbers, the RSX document, the 945) and the SFTP upload and rename.
// Retailers fine ASNs that arrive after the truck; p99 is the figure.
func BenchmarkShipmentToASN(b *testing.B) {
	const shipments, inFlight = 500, 8
	f := startFlow(b, flowOptions{settings: func(v map[string]string) { v["LOG_LEVEL"] = "warn" }})
	e := f.partners.EDI
	ctx := context.Background()
	sample, err := os.ReadFile(filepath.Join("handlers", "edi", "testdata", "po-7x-walmart.xml"))
	require.NoError(b, err)
	// One SPS file holding every purchase order, through the whole loop.
	s := string(sample)
	start, end := strings.Index(s, "<Order>"), strings.Index(s, "</Order>")+len("</Order>")
	var orders strings.Builder
	for i := 0; i < shipments; i++ {
		orders.WriteString(strings.ReplaceAll(s[start:end], "6736452611", fmt.Sprintf("PO%08d", i)))
	}
	require.NoError(b, e.SPS.WriteFile("out/PObench.xml", []byte(s[:start]+orders.String()+s[end:])))
	f.timer(b, edi.FnSPSInboundPoll)
	f.timer(b, edi.FnNAVOutboundPoll)
	cirroOrders := f.partners.Cirro.Orders()
	require.Len(b, cirroOrders, shipments)
	var refs []string
	for _, o := range cirroOrders {
		require.NoError(b, f.partners.Cirro.SendAcceptance(ctx, o.Create.ReferenceNo))
		refs = append(refs, o.Create.ReferenceNo)
	}
	f.idle(b)

	var mu sync.Mutex
	arrived := map[string]chan time.Time{}
	for _, r := range refs {
		arrived[r] = make(chan time.Time, 1)
	}
	e.SPS.OnRename(func(_, to string) {
		name := filepath.Base(to)
		if !strings.HasPrefix(name, "SH") {
			return
		}
		order, _, _ := strings.Cut(strings.TrimPrefix(name, "SH"), "-")
		mu.Lock()
		ch := arrived[order]
		mu.Unlock()
		if ch != nil {
			select {
			case ch <- time.Now():
			default:
				b.Errorf("the 856 of %s arrived twice", order)
			}
		}
	})
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		if n > 0 {
			b.Skip("one run of 500 shipments")
		}
		lat := make([]time.Duration, len(refs))
		work := make(chan int)
		var wg sync.WaitGroup
		for w := 0; w < inFlight; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					t0 := time.Now()
					if err := f.partners.Cirro.SendShipment(ctx, refs[i]); err != nil {
						b.Error(err)
						return
					}
					select {
					case at := <-arrived[refs[i]]:
						lat[i] = at.Sub(t0)
					case <-time.After(2 * time.Minute):
						b.Errorf("no 856 for %s", refs[i])
						return
					}
				}
			}()
		}
		t0 := time.Now()
		for i := range refs {
			work <- i
		}
		close(work)
		wg.Wait()
		elapsed := time.Since(t0)
		b.StopTimer()
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
		b.ReportMetric(pct(0.50), "p50-ms")
		b.ReportMetric(pct(0.99), "p99-ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
		b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "asn/s")
		require.Len(b, e.SPS.Files("in"), shipments)
	}
}
