package main

import (
	"os"
	"strconv"
	"strings"
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
