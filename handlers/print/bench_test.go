package print

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/store/storetest"
)

// BenchmarkBuildTwoBuilders5000PerSite: 5,000 queued lines at each of two
// print sites (KH and CROF, two categories each), batched by two builders
// running at once against the image validator and PrintStation fakes on
// real sockets: every line checked, batched and sent. It reports lines
// per second and fails if any line is in two batches or left behind.
func BenchmarkBuildTwoBuilders5000PerSite(b *testing.B) {
	const perSite = 5000
	e := newEnv(b, `{"printableImageTypes":["CPOD","STD"],
		"warehouses":{"CROF":{"printStationBatching":true,"printSite":"CROF"},"KH":{"printStationBatching":true,"printSite":"KH"}},
		"sites":{"CROF":{"maxItemsPerBatch":48,"timezone":"America/Denver","cutoff":"00:00"},
		         "KH":{"maxItemsPerBatch":48,"timezone":"Asia/Shanghai","cutoff":"00:00"}},
		"categories":[{"category":"custom-photo","imageTypes":["CPOD"]},{"category":"standard","imageTypes":["STD"]}]}`)
	ctx := context.Background()
	b.ResetTimer()
	b.StopTimer()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		storetest.Exec(b, e.s, `TRUNCATE print_items, print_batches, print_orders, order_journey, processed_messages, parked_messages`)
		seedQueue(b, e, fmt.Sprintf("B%d-", i), perSite)
		before := len(e.ps.Batches())
		start := time.Now()
		b.StartTimer()
		b2 := *e.b
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for _, bl := range []*Builder{e.b, &b2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					st, err := bl.Build(ctx)
					if err != nil {
						errs <- err
						return
					}
					if st == (RunStats{}) {
						return
					}
				}
			}()
		}
		wg.Wait()
		b.StopTimer()
		elapsed += time.Since(start)
		close(errs)
		for err := range errs {
			require.NoError(b, err)
		}
		seen := map[string]bool{}
		n := 0
		for _, pb := range e.ps.Batches()[before:] {
			for _, it := range pb.Batch.Items {
				k := it.OrderID + "/" + it.LineNumber
				require.False(b, seen[k], "%s is in two batches", k)
				seen[k] = true
				n++
			}
		}
		require.Equal(b, 2*perSite, n, "every line sent once")
		require.Zero(b, storetest.Count(b, e.s, `SELECT * FROM print_items WHERE status <> 'sent'`))
	}
	b.ReportMetric(float64(2*perSite*b.N)/elapsed.Seconds(), "items/s")
	b.ReportMetric(0, "ns/op")
}

// seedQueue queues perSite lines at each site directly (the intake is not
// what is measured): orders of 5 lines, alternating categories.
func seedQueue(b *testing.B, e *env, prefix string, perSite int) {
	b.Helper()
	for _, site := range []string{"CROF", "KH"} {
		storetest.Exec(b, e.s, `
			INSERT INTO print_orders (order_id, warehouse, site, message_id, payload)
			SELECT $1 || $2 || '-' || o, $2, $2, 'seed', '\x7b7d' FROM generate_series(1, $3::int / 5) o`, prefix, site, perSite)
		storetest.Exec(b, e.s, `
			INSERT INTO print_items (order_id, line_number, warehouse, site, category, product_sku, recipe_id, image_type, image_url,
			                         quantity, due_date, wait_reason)
			SELECT $1 || $2 || '-' || o, (l * 10000)::text, $2, $2,
			       CASE WHEN l % 2 = 0 THEN 'custom-photo' ELSE 'standard' END, '801330', 'R1',
			       CASE WHEN l % 2 = 0 THEN 'CPOD' ELSE 'STD' END,
			       'https://images.example/' || $2 || '/' || o || '/' || l || '.png', 1,
			       DATE '2026-12-01' + (o % 7), ''
			  FROM generate_series(1, $3::int / 5) o, generate_series(1, 5) l`, prefix, site, perSite)
	}
	require.Equal(b, 2*perSite, storetest.Count(b, e.s, `SELECT * FROM print_items WHERE status = 'queued'`))
}
