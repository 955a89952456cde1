package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/devhost"
	"github.com/popsockets/integration/shared/oms/omstest"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

// BenchmarkStartup measures what the Functions host waits for: the time from
// exec to the first answer to GET / (with the database unreachable, as on a
// cold start whose database is slow), and the handler's resident memory once
// it idles.
func BenchmarkStartup(b *testing.B) {
	env := map[string]string{
		"ENVIRONMENT":  "bench",
		"DATABASE_URL": "postgres://app:pw@10.255.255.1:5432/integration?sslmode=disable",
	}
	var ready time.Duration
	var rssKB int64
	for i := 0; i < b.N; i++ {
		p := startHandler(b, env)
		ready += p.readyAfter
		rssKB += residentKB(b, p.cmd.Process.Pid)
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		_ = p.cmd.Wait()
	}
	b.ReportMetric(float64(ready.Microseconds())/1000/float64(b.N), "ms-to-ready")
	b.ReportMetric(float64(rssKB)/1024/float64(b.N), "MiB-idle-rss")
}

// residentKB reads VmRSS from /proc (Linux).
func residentKB(tb testing.TB, pid int) int64 {
	tb.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		tb.Fatalf("reading process status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb
		}
	}
	tb.Fatal("no VmRSS in /proc status")
	return 0
}

// BenchmarkFulfillmentRequest measures the webhook path as OMS meets it:
// signed requests from 50 concurrent clients through the handler (verify,
// open the sealed data, store, outbox, publish) against a real PostgreSQL,
// next to the raw single-row insert rate of the same database at the same
// concurrency, measured in the same run.
func BenchmarkFulfillmentRequest(b *testing.B) {
	const clients = 50
	ctx := context.Background()
	cfg := storetest.Schema(b)
	if _, err := store.Migrate(ctx, cfg, nil); err != nil {
		b.Fatal(err)
	}
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated) // the local broker: accepts every message
	}))
	defer sink.Close()
	partners, err := startLocalPartners("http://127.0.0.1:1", false)
	if err != nil {
		b.Fatal(err)
	}
	defer partners.Close()
	values, _, err := devhost.LoadSettings(".")
	if err != nil {
		b.Fatal(err)
	}
	for k, v := range partners.Settings {
		values[k] = v
	}
	values["DATABASE_URL"] = cfg.URL + map[bool]string{true: "&", false: "?"}[strings.Contains(cfg.URL, "?")] + "search_path=" + cfg.Schema
	values["DEVHOST_URL"] = sink.URL
	conf, confErr := loadConfig(func(k string) string { return values[k] }, catalog())
	logging := azfunc.NewLogging(io.Discard, io.Discard, slog.LevelWarn, conf.secrets)
	d := buildDeps(conf, confErr, logging.Logger())
	defer d.store.Close()
	srv, err := azfunc.NewServer(azfunc.Config{Logging: logging, Parker: d, Gate: d})
	if err != nil {
		b.Fatal(err)
	}
	register(srv, d)
	front := httptest.NewServer(srv.Handler())
	defer front.Close()
	partners.Requester.URL = front.URL + "/api/fulfillment/request"
	partners.Requester.Client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}

	samples := omstest.SampleOrders(b.N, 1)
	b.ResetTimer()
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t0 := time.Now()
				status, body, err := partners.Requester.Send(ctx, "cirro", samples[i].Request, samples[i].Customer)
				lat[i] = time.Since(t0)
				if err != nil || status != http.StatusAccepted {
					b.Errorf("request %d: %d %s %v", i, status, body, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()

	// The same database, the same concurrency: one-row inserts, nothing else.
	if _, err := d.store.Pool.Exec(ctx, `CREATE TABLE bench_rows (id bigint PRIMARY KEY, body bytea NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, 1024)
	next.Store(0)
	istart := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if _, err := d.store.Pool.Exec(ctx, `INSERT INTO bench_rows (id, body) VALUES ($1, $2)`, i, payload); err != nil {
					b.Errorf("insert: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	ielapsed := time.Since(istart)

	slices.Sort(lat)
	reqs := float64(b.N) / elapsed.Seconds()
	inserts := float64(b.N) / ielapsed.Seconds()
	b.ReportMetric(reqs, "requests/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(inserts, "raw-inserts/s")
	b.ReportMetric(reqs/inserts, "requests-per-insert")
}
