package webhookbench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// pgbenchTable holds pgbench's rows: one INSERT per transaction, with a
// body the size of a fulfilment request's.
const pgbenchTable = `CREATE TABLE bench_insert (id bigserial PRIMARY KEY, body text NOT NULL)`

const pgbenchScript = "INSERT INTO bench_insert (body) VALUES (repeat('x', :size));\n"

// pgbenchRun is what pgbench reported.
type pgbenchRun struct {
	tps       float64 // without the initial connection time
	processed int
	stored    int // rows counted after the run
	failed    int
	latency   float64 // average, ms
	cpu       cpuTimes
	output    string
}

// runPgbench runs the one-row INSERT script against db for d, with clients
// connections on threads threads, in prepared-statement mode (as pgx runs
// its queries).
func runPgbench(ctx context.Context, binDir, dir, host, port, db string, clients, threads int, d time.Duration, bodySize int) (pgbenchRun, error) {
	script := filepath.Join(dir, "insert.sql")
	if err := os.WriteFile(script, []byte(pgbenchScript), 0o644); err != nil {
		return pgbenchRun{}, err
	}
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "pgbench"), "--no-vacuum",
		"-h", host, "-p", port, "-U", "postgres",
		"-c", strconv.Itoa(clients), "-j", strconv.Itoa(threads), "-T", strconv.Itoa(int(d.Round(time.Second).Seconds())),
		"-M", "prepared", "-D", "size="+strconv.Itoa(bodySize), "-f", script, db)
	before, err := readCPU(0)
	if err != nil {
		return pgbenchRun{}, err
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return pgbenchRun{}, fmt.Errorf("running pgbench: %w: %s", err, out)
	}
	after, err := readCPU(0)
	if err != nil {
		return pgbenchRun{}, err
	}
	r, err := parsePgbench(string(out))
	if err != nil {
		return r, err
	}
	r.cpu = after.sub(before)
	// pgbench plays both client and receiver here: its own process's CPU.
	r.cpu.receiver = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return r, nil
}

var (
	pgbenchTPS       = regexp.MustCompile(`(?m)^tps = ([0-9.]+) \(without initial connection time\)`)
	pgbenchProcessed = regexp.MustCompile(`(?m)^number of transactions actually processed: ([0-9]+)`)
	pgbenchFailed    = regexp.MustCompile(`(?m)^number of failed transactions: ([0-9]+)`)
	pgbenchLatency   = regexp.MustCompile(`(?m)^latency average = ([0-9.]+) ms`)
)

// parsePgbench reads the summary pgbench prints (PostgreSQL 15 and later).
func parsePgbench(out string) (pgbenchRun, error) {
	r := pgbenchRun{output: out}
	m := pgbenchTPS.FindStringSubmatch(out)
	p := pgbenchProcessed.FindStringSubmatch(out)
	if m == nil || p == nil {
		return r, fmt.Errorf("pgbench printed no tps or transaction count: %s", out)
	}
	r.tps, _ = strconv.ParseFloat(m[1], 64)
	r.processed, _ = strconv.Atoi(p[1])
	if f := pgbenchFailed.FindStringSubmatch(out); f != nil {
		r.failed, _ = strconv.Atoi(f[1])
	}
	if l := pgbenchLatency.FindStringSubmatch(out); l != nil {
		r.latency, _ = strconv.ParseFloat(l[1], 64)
	}
	return r, nil
}
