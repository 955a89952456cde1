package main

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkInventoryExport1MRows asks, as Snowflake's external function
// does, for 250 days of two warehouses of 2,000 SKUs (1,000,000 rows) from
// the Cirro fake, through the real handler process exec'd by the local
// host, with the staged parts loaded into the local warehouse by
// snowflake-load as they land. Reports the export's rows/s and seconds,
// the seconds until every part is loaded, the parts written, the
// handler's peak resident memory (VmHWM; the goal is under 64 MB) and its
// anonymous resident memory (RssAnon, sampled every 50 ms: what the
// process allocated, without the pages of its 60 MB binary). Cirro's
// documented limit (600 requests a minute) would make 1,000 pages of 1,000
// rows take 100 s on its own; the benchmark lifts it to measure the
// export.
func BenchmarkInventoryExport1MRows(b *testing.B) {
	const (
		skus = 2000
		days = 250
		rows = 2 * skus * days
	)
	var exportTime, loadTime time.Duration
	var peakKB, anonKB int64
	var parts int
	for range b.N {
		b.StopTimer()
		f := startFlow(b, flowOptions{exec: true, settings: func(v map[string]string) {
			v["CIRRO_RATE_PER_MINUTE"] = "100000"
			if mb := os.Getenv("BENCH_PART_MB"); mb != "" {
				v["EXPORT_PART_MB"] = mb
			}
		}})
		f.partners.Cirro.SetInventory([]string{"CIRRO-LA", "CIRRO-NJ"}, skus)
		to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days-1).Format(time.DateOnly)
		body := `{"data": [[0, "2026-01-01", "` + to + `", null]]}`
		req, err := http.NewRequest(http.MethodPost, f.host.URL()+"/api/snowflake/inventory-history", strings.NewReader(body))
		require.NoError(b, err)
		req.Header.Set("x-functions-key", f.settings["DEVHOST_FUNCTION_KEY"])
		b.StartTimer()
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		require.NoError(b, err)
		resp.Body.Close()
		require.Equal(b, http.StatusOK, resp.StatusCode)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		var state string
		var got int64
		pid := handlerProcess(b, f)
		for state != "done" && state != "failed" {
			require.NoError(b, f.store.Pool.QueryRow(ctx, `SELECT state, rows, parts FROM export_requests`).Scan(&state, &got, &parts))
			anonKB = max(anonKB, statusKB(b, pid, "RssAnon:"))
			if state != "done" {
				select {
				case <-ctx.Done():
					b.Fatalf("the export did not finish: %s", state)
				case <-time.After(50 * time.Millisecond):
				}
			}
		}
		exportTime += time.Since(start)
		f.host.ScanBlobs(ctx)
		f.idle(b)
		loadTime += time.Since(start)
		anonKB = max(anonKB, statusKB(b, pid, "RssAnon:"))
		cancel()
		b.StopTimer()
		require.Equal(b, "done", state)
		require.EqualValues(b, rows, got)
		var loaded, files int
		require.NoError(b, f.store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM warehouse_inventory`).Scan(&loaded))
		require.NoError(b, f.store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM warehouse_load_log`).Scan(&files))
		require.Equal(b, rows, loaded, "every row loaded once")
		require.Equal(b, parts, files)
		peakKB = max(peakKB, peakRSSKB(b, handlerProcess(b, f)))
	}
	n := float64(b.N)
	b.ReportMetric(rows*n/exportTime.Seconds(), "rows/s")
	b.ReportMetric(exportTime.Seconds()/n, "s-export")
	b.ReportMetric(loadTime.Seconds()/n, "s-to-loaded")
	b.ReportMetric(float64(parts), "parts")
	b.ReportMetric(float64(peakKB)/1024, "MiB-peak-rss")
	b.ReportMetric(float64(peakKB)/1024/64, "rss-vs-64MB-goal")
	b.ReportMetric(float64(anonKB)/1024, "MiB-anon-rss-sampled")
}

// statusKB reads one kB field of a process's /proc status (RssAnon: the
// memory the process allocated, without the pages of its binary).
func statusKB(t testing.TB, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field) {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb
		}
	}
	t.Fatalf("no %s in /proc status", field)
	return 0
}
