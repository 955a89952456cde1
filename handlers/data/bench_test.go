package data

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/popsockets/integration/shared/cirro"
)

// BenchmarkExportMemoryIsFlat exports 100,000 and 1,000,000 rows of Cirro
// inventory history (2 warehouses x 2,000 SKUs x 25 or 250 days, pages of
// 1,000) to a local blob store in parts of the default bound, in process,
// and reports rows/s and the peak of the heap in use (sampled every 10 ms;
// the Cirro fake runs in the same process and is counted too). The peak
// does not grow with the rows: one page and one compressed part are held
// at a time. The whole-process figure, with the parts loaded as they land,
// is BenchmarkInventoryExport1MRows in the root package.
func BenchmarkExportMemoryIsFlat(b *testing.B) {
	for _, c := range []struct {
		name string
		days int
	}{{"100k", 25}, {"1M", 250}} {
		b.Run(c.name, func(b *testing.B) {
			e := newEnvB(b)
			e.cirro.SetInventory([]string{"CIRRO-LA", "CIRRO-NJ"}, 2000)
			e.export.PageSize = cirro.MaxInventoryPageSize
			to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, c.days-1).Format(time.DateOnly)
			runtime.GC()
			var peak atomic.Uint64
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				var m runtime.MemStats
				for {
					runtime.ReadMemStats(&m)
					if m.HeapInuse > peak.Load() {
						peak.Store(m.HeapInuse)
					}
					select {
					case <-stop:
						return
					case <-time.After(10 * time.Millisecond):
					}
				}
			}()
			var rows int64
			start := time.Now()
			for i := range b.N {
				_, n, err := e.export.export(context.Background(), cirro.InventoryQuery{StartDate: "2026-01-01", EndDate: to},
					time.Now(), "bench-"+c.name+"-"+string(rune('a'+i%26)))
				if err != nil {
					b.Fatal(err)
				}
				rows += n
			}
			took := time.Since(start)
			close(stop)
			<-done
			b.ReportMetric(float64(rows)/took.Seconds(), "rows/s")
			b.ReportMetric(float64(peak.Load())/(1<<20), "MiB-heap-inuse-peak")
		})
	}
}
