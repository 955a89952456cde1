package main

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
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

// BenchmarkWebhookWhileCirroIsSlow: Cirro takes 2 s to answer every order
// create while OMS posts fulfilment requests, through the local host, with
// cirro-fulfill consuming them (8 at a time, each waiting 2 s for Cirro).
// Partner calls hold no pool connection, so the webhook's latency does not
// follow Cirro's. Reports the webhook's req/s and p50/p99 from 50 clients,
// p50/p99 at an offered 200 req/s, and the pool's most-acquired connections
// during the run. (fsync-off PostgreSQL: this is about contention, the
// durable figures are bench/webhook's.)
func BenchmarkWebhookWhileCirroIsSlow(b *testing.B) {
	const clients, requests, warm = 50, 4000, 100
	f := startFlow(b, flowOptions{})
	samples := b2c(requests+warm, 79)
	for _, s := range samples {
		f.partners.OMS.AddOrder(s.Request.OrderID, "WAITING_FULFILLMENT_CONFIRMATION")
	}
	f.partners.Requester.Client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	// Warm up (connections, prepared statements), untimed, then slow Cirro down.
	for _, s := range samples[requests:] {
		if status, body, err := f.partners.Requester.Send(context.Background(), "xb", s.Request, s.Customer); err != nil || status != http.StatusAccepted {
			b.Fatalf("warm-up: %d %s %v", status, body, err)
		}
	}
	f.partners.Cirro.Delay(2 * time.Second)
	var maxAcquired atomic.Int32
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if n := f.parts.Store().Pool.Stat().AcquiredConns(); n > maxAcquired.Load() {
					maxAcquired.Store(n)
				}
			}
		}
	}()
	send := func(i int) time.Duration {
		t0 := time.Now()
		status, body, err := f.partners.Requester.Send(context.Background(), "cirro", samples[i].Request, samples[i].Customer)
		if err != nil || status != http.StatusAccepted {
			b.Errorf("request %d: %d %s %v", i, status, body, err)
		}
		return time.Since(t0)
	}
	b.ResetTimer()
	// Saturation: 50 clients as fast as they go.
	sat := requests / 2
	lat := make([]time.Duration, sat)
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < sat; i = int(next.Add(1)) - 1 {
				lat[i] = send(i)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	// Open loop: 200 requests a second offered, latency from the scheduled time.
	const rate = 200
	open := requests - sat
	olat := make([]time.Duration, open)
	t0 := time.Now()
	for k := range open {
		at := t0.Add(time.Duration(k) * time.Second / rate)
		time.Sleep(time.Until(at)) // pacing the offered load, not waiting for a result
		wg.Add(1)
		go func() {
			defer wg.Done()
			send(sat + k)
			olat[k] = time.Since(at)
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(stop)
	<-sampled
	slices.Sort(lat)
	slices.Sort(olat)
	b.ReportMetric(float64(sat)/elapsed.Seconds(), "sat-req/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "sat-p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "sat-p99-ms")
	b.ReportMetric(float64(olat[len(olat)/2].Microseconds())/1000, "200rps-p50-ms")
	b.ReportMetric(float64(olat[len(olat)*99/100].Microseconds())/1000, "200rps-p99-ms")
	b.ReportMetric(float64(maxAcquired.Load()), "max-acquired-conns")
	b.ReportMetric(float64(len(f.invocations("cirro-fulfill"))), "cirro-fulfill-finished")
	f.partners.Cirro.Delay(0)
}
