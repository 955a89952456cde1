package webhookbench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/oms/omstest"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/pglocal"
	"github.com/popsockets/integration/shared/webhook"
)

// The shapes of the load. The defaults are the platform goal's; smaller
// values make a quick development run (go test ... -args -webhook.requests=500).
var (
	flagRequests = flag.Int("webhook.requests", 5000, "requests of each saturation run")
	flagClients  = flag.Int("webhook.clients", 50, "concurrent clients of the saturation runs and of pgbench")
	flagRate     = flag.Float64("webhook.rate", 200, "offered requests per second of the open-loop runs")
	flagOpenFor  = flag.Duration("webhook.open", 10*time.Second, "length of each open-loop run")
	flagPgbench  = flag.Duration("webhook.pgbench", 10*time.Second, "length of the pgbench run")
	flagThreads  = flag.Int("webhook.pgbench-threads", 2, "pgbench's threads (-j)")
	flagWait     = flag.Duration("webhook.publish-wait", 2*time.Minute, "how long the product may take to publish what it accepted")
	flagProfile  = flag.String("webhook.cpuprofile", "", "also keep the handler's CPU profile of its saturation run here")
)

// tpl is the warehouse the requests ask for.
const tpl = "xb"

func TestMain(m *testing.M) {
	if os.Getenv(minimalEnv) != "" {
		os.Exit(serveMinimal())
	}
	os.Exit(m.Run())
}

// receiverRow is one receiver's figures.
type receiverRow struct {
	name      string
	sat, open outcome
	satCPU    cpuTimes
	accepted  int // of both runs and the start-up checks
	stored    int
	// The product only: what the broker sink saw of the accepted requests.
	published, once, duplicates int
	publishLag                  time.Duration // last 202 to last publication, worst run
}

// BenchmarkWebhookDurable measures, in one run on one durable PostgreSQL,
// pgbench's one-row INSERT rate, the minimal receiver and the product's
// handler binary, at saturation and at an offered rate, and checks that
// every 202 was stored and, for the product, published exactly once. The
// benchmark sets its own counts: run it once (-benchtime=1x; make
// bench-webhook).
func BenchmarkWebhookDurable(b *testing.B) {
	h := newHarness(b)
	b.ResetTimer()

	pg := h.pgbench()
	minimal := h.minimal()
	product, top := h.product()
	b.StopTimer()

	h.report(pg, minimal, product, top)
	if len(h.problems) > 0 {
		b.Fatalf("the run is not valid:\n  %s", strings.Join(h.problems, "\n  "))
	}
}

// harness is one run's shared state.
type harness struct {
	b        *testing.B
	ctx      context.Context
	root     string // the repository: host.json, go.mod
	tmp      string
	binDir   string
	srv      *pglocal.Server
	admin    *pgx.Conn
	settings map[string]string // durability settings as the server reports them
	pgVer    string
	loadAvg  [2]string // before and after

	secret, keyID, key string
	client             *client
	maxConns           int32
	bodySize           int
	samples            []omstest.Sample
	used               int
	revision           string // of the product
	problems           []string
}

func newHarness(b *testing.B) *harness {
	h := &harness{b: b, ctx: context.Background(), tmp: b.TempDir(), loadAvg: [2]string{loadAvg(), ""}}
	var err error
	if h.root, err = repoRoot(); err != nil {
		b.Fatal(err)
	}
	if h.binDir, err = pglocal.FindBinDir(); err != nil {
		b.Fatal(err)
	}
	h.srv, err = pglocal.Start(h.ctx, pglocal.Config{BinDir: h.binDir, Durable: true})
	if err != nil {
		b.Fatalf("starting a durable PostgreSQL: %v", err)
	}
	b.Cleanup(h.srv.Stop)
	if h.admin, err = pgx.Connect(h.ctx, h.srv.URL); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = h.admin.Close(context.Background()) })
	h.settings = map[string]string{}
	for _, name := range []string{"fsync", "synchronous_commit", "full_page_writes"} {
		var v string
		if err := h.admin.QueryRow(h.ctx, "SHOW "+name).Scan(&v); err != nil {
			b.Fatal(err)
		}
		if v != "on" {
			b.Fatalf("the server is not durable: %s = %s", name, v)
		}
		h.settings[name] = v
	}
	if err := h.admin.QueryRow(h.ctx, "SHOW server_version").Scan(&h.pgVer); err != nil {
		b.Fatal(err)
	}
	for _, db := range []string{"pgbench", "minimal", "product"} {
		if _, err := h.admin.Exec(h.ctx, "CREATE DATABASE "+db); err != nil {
			b.Fatal(err)
		}
	}

	// OMS's credentials, new for the run.
	h.secret = "whsec_" + base64.StdEncoding.EncodeToString(randomBytes(b, 32))
	h.keyID, h.key = "bench-"+fmt.Sprint(time.Now().Unix()), base64.StdEncoding.EncodeToString(randomBytes(b, 32))
	keyring, err := oms.NewKeyring(h.keyID, h.key, "", "")
	if err != nil {
		b.Fatal(err)
	}
	signer, err := webhook.NewSigner(h.secret)
	if err != nil {
		b.Fatal(err)
	}
	h.client = &client{signer: signer, keyring: keyring, tpl: tpl}

	// The product's pool size, read from the product's own default, for the minimal receiver.
	s, err := store.Open(store.Config{URL: h.dbURL("product")})
	if err != nil {
		b.Fatal(err)
	}
	h.maxConns = s.Pool.Config().MaxConns
	s.Close()

	// Orders for every run: two saturation and two open-loop runs, each
	// after a start-up check and a warm-up.
	h.samples = omstest.SampleOrders(2*(*flagRequests+h.openCount())+4*(1+*flagClients), 1)
	probe, err := h.client.prepare(h.samples[:min(len(h.samples), 1000)], time.Now())
	if err != nil {
		b.Fatal(err)
	}
	total := 0
	for _, p := range probe {
		total += len(p.body)
	}
	h.bodySize = total / len(probe)
	return h
}

func (h *harness) openCount() int { return int(*flagRate * flagOpenFor.Seconds()) }

// take hands out the next n orders; no order is sent twice in a run.
func (h *harness) take(n int) []omstest.Sample {
	s := h.samples[h.used : h.used+n]
	h.used += n
	return s
}

func (h *harness) problem(format string, args ...any) {
	h.problems = append(h.problems, fmt.Sprintf(format, args...))
}

func (h *harness) dbURL(db string) string {
	u, err := url.Parse(h.srv.URL)
	if err != nil {
		h.b.Fatal(err)
	}
	u.Path = "/" + db
	return u.String()
}

// checkpoint flushes the previous phase's dirty pages, so its checkpoint
// does not land in the next phase.
func (h *harness) checkpoint() {
	if _, err := h.admin.Exec(h.ctx, "CHECKPOINT"); err != nil {
		h.b.Fatal(err)
	}
}

func (h *harness) count(db, query string, args ...any) int {
	conn, err := pgx.Connect(h.ctx, h.dbURL(db))
	if err != nil {
		h.b.Fatal(err)
	}
	defer conn.Close(h.ctx)
	var n int
	if err := conn.QueryRow(h.ctx, query, args...).Scan(&n); err != nil {
		h.b.Fatalf("counting in %s: %v", db, err)
	}
	return n
}

func (h *harness) exec(db, sql string) {
	conn, err := pgx.Connect(h.ctx, h.dbURL(db))
	if err != nil {
		h.b.Fatal(err)
	}
	defer conn.Close(h.ctx)
	if _, err := conn.Exec(h.ctx, sql); err != nil {
		h.b.Fatalf("in %s: %v", db, err)
	}
}

func (h *harness) pgbench() pgbenchRun {
	h.exec("pgbench", pgbenchTable)
	h.checkpoint()
	u, _ := url.Parse(h.srv.URL)
	r, err := runPgbench(h.ctx, h.binDir, h.tmp, u.Hostname(), u.Port(), "pgbench", *flagClients, *flagThreads, *flagPgbench, h.bodySize)
	if err != nil {
		h.b.Fatal(err)
	}
	if r.failed > 0 {
		h.problem("pgbench: %d failed transactions", r.failed)
	}
	r.stored = h.count("pgbench", "SELECT count(*) FROM bench_insert")
	if r.stored != r.processed {
		h.problem("pgbench: %d transactions processed but %d rows stored", r.processed, r.stored)
	}
	return r
}

// smoke sends one request and fails the run at once unless it is
// accepted: a receiver that refuses everything is misconfigured, not slow.
func (h *harness) smoke(name, url string) string {
	reqs, err := h.client.prepare(h.take(1), time.Now())
	if err != nil {
		h.b.Fatal(err)
	}
	status, answer, err := post(h.ctx, http.DefaultClient, url, reqs[0])
	if err != nil || status != http.StatusAccepted {
		h.b.Fatalf("%s refused the first request: %d %s %v", name, status, answer, err)
	}
	return reqs[0].orderID
}

func (h *harness) checkFailures(name, shape string, o outcome) {
	if o.failures > 0 {
		h.problem("%s, %s: %d of %d requests not answered 202; first: %s", name, shape, o.failures, o.sent, o.firstFail)
	}
}

// receiver is how a receiver is started and stopped for one shape of load.
type receiver struct {
	name string
	// start runs a fresh process; profile asks for a CPU profile of its life.
	start func(shape string, profile bool) *receiverProc
	// finish stops it once it has done what it must with orders (accepted).
	finish func(p *receiverProc, orders []string)
}

// measure runs both shapes against r, each on a fresh process that first
// answers one request (the smoke check) and a warm-up of one request per
// client (untimed, so pools and connections are open as in a long-running
// instance). Every request's sealed and signed body is built just before
// its phase. It returns every order answered 202.
func (h *harness) measure(r receiver, row *receiverRow) []string {
	var all []string
	for _, shape := range []string{"saturation", "open loop"} {
		p := r.start(shape, shape == "saturation")
		target := p.url + "/api/fulfillment/request/" + tpl
		orders := []string{h.smoke(r.name, target)}
		warm, err := h.client.prepare(h.take(*flagClients), time.Now())
		if err != nil {
			h.b.Fatal(err)
		}
		w := saturate(h.ctx, target, warm, *flagClients)
		h.checkFailures(r.name, shape+" warm-up", w)
		orders = append(orders, w.accepted...)
		h.checkpoint()
		if shape == "saturation" {
			reqs, err := h.client.prepare(h.take(*flagRequests), time.Now())
			if err != nil {
				h.b.Fatal(err)
			}
			before, err := readCPU(p.pid())
			if err != nil {
				h.b.Fatal(err)
			}
			row.sat = saturate(h.ctx, target, reqs, *flagClients)
			after, err := readCPU(p.pid())
			if err != nil {
				h.b.Fatal(err)
			}
			row.satCPU = after.sub(before)
			h.checkFailures(r.name, shape, row.sat)
			orders = append(orders, row.sat.accepted...)
		} else {
			reqs, err := h.client.prepare(h.take(h.openCount()), time.Now())
			if err != nil {
				h.b.Fatal(err)
			}
			row.open = offer(h.ctx, target, reqs, *flagRate)
			h.checkFailures(r.name, shape, row.open)
			orders = append(orders, row.open.accepted...)
		}
		r.finish(p, orders)
		all = append(all, orders...)
	}
	row.accepted = len(all)
	return all
}

func (h *harness) minimal() receiverRow {
	row := receiverRow{name: "minimal receiver"}
	h.exec("minimal", minimalTable)
	self, err := os.Executable()
	if err != nil {
		h.b.Fatal(err)
	}
	env := []string{
		minimalEnv + "=1",
		"DATABASE_URL=" + h.dbURL("minimal"),
		"OMS_WEBHOOK_SECRETS=" + h.secret,
		"OMS_AES_KEY_ID=" + h.keyID,
		"OMS_AES_KEY=" + h.key,
		fmt.Sprintf("MAX_CONNS=%d", h.maxConns),
	}
	accepted := h.measure(receiver{
		name: row.name,
		start: func(shape string, _ bool) *receiverProc {
			p, err := startReceiver(h.ctx, "minimal-"+strings.ReplaceAll(shape, " ", "-"), h.tmp, self, h.tmp, env, "PORT")
			if err != nil {
				h.b.Fatal(err)
			}
			return p
		},
		finish: func(p *receiverProc, _ []string) {
			if err := p.stop(); err != nil {
				h.problem("%v", err)
			}
		},
	}, &row)
	row.stored = h.count("minimal", "SELECT count(*) FROM received WHERE order_id = ANY($1)", accepted)
	if row.stored != row.accepted {
		h.problem("%s: %d requests answered 202 but %d stored", row.name, row.accepted, row.stored)
	}
	return row
}

// product builds the handler, migrates a fresh database with it, and runs
// it as the Functions host does: its own process, in the app root, with
// FUNCTIONS_CUSTOMHANDLER_PORT and the app settings in its environment. The
// saturation run's process is CPU-profiled. It returns the row and the
// profile's top 10.
func (h *harness) product() (receiverRow, string) {
	row := receiverRow{name: "product (handler)"}
	binary := filepath.Join(h.tmp, "handler")
	build := exec.CommandContext(h.ctx, goTool(h.b), "build", "-buildvcs=auto", "-trimpath", "-o", binary, ".")
	build.Dir = h.root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		h.b.Fatalf("building the handler: %v: %s", err, out)
	}
	h.revision = revision(binary, h.root)
	dbURL := h.dbURL("product")
	migrate := exec.CommandContext(h.ctx, binary, "migrate")
	migrate.Dir = h.root
	migrate.Env = []string{"PATH=" + os.Getenv("PATH"), "DATABASE_URL=" + dbURL}
	if out, err := migrate.CombinedOutput(); err != nil {
		h.b.Fatalf("migrating the product's database: %v: %s", err, out)
	}

	sample, err := sampleSettings(h.root)
	if err != nil {
		h.b.Fatal(err)
	}
	var topics []string
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"ENVIRONMENT=" + sample["ENVIRONMENT"],
		"DATABASE_URL=" + dbURL,
		"OMS_WEBHOOK_SECRETS=" + h.secret,
		"OMS_AES_KEY_ID=" + h.keyID,
		"OMS_AES_KEY=" + h.key,
	}
	for k, v := range sample {
		if strings.HasPrefix(k, "TOPIC_") {
			env = append(env, k+"="+v)
			topics = append(topics, v)
		}
	}
	sort.Strings(env)
	broker := newSink(topics)
	brokerSrv := httptest.NewServer(broker)
	defer brokerSrv.Close()
	env = append(env, "DEVHOST_URL="+brokerSrv.URL)

	profile := filepath.Join(h.tmp, "handler-cpu.pprof")
	accepted := h.measure(receiver{
		name: row.name,
		start: func(shape string, profiled bool) *receiverProc {
			penv := env
			if profiled {
				penv = append(slices.Clone(env), "HANDLER_CPU_PROFILE="+profile)
			}
			p, err := startReceiver(h.ctx, "handler-"+strings.ReplaceAll(shape, " ", "-"), h.tmp, binary, h.root, penv, "FUNCTIONS_CUSTOMHANDLER_PORT")
			if err != nil {
				h.b.Fatal(err)
			}
			if status, body := get(p.url + "/api/health"); status != http.StatusOK {
				p.kill()
				h.b.Fatalf("the handler is not healthy: %d %s", status, body)
			}
			return p
		},
		finish: func(p *receiverProc, orders []string) {
			h.awaitPublished(p, broker, orders, &row.publishLag)
		},
	}, &row)

	row.stored = h.count("product", "SELECT count(*) FROM fulfillment_requests WHERE tpl = $1 AND order_id = ANY($2)", tpl, accepted)
	if row.stored != row.accepted {
		h.problem("%s: %d requests answered 202 but %d stored in fulfillment_requests", row.name, row.accepted, row.stored)
	}
	row.published, row.once, row.duplicates, _ = broker.published(accepted)
	if row.published != row.accepted {
		h.problem("%s: %d requests answered 202 but %d published within %s", row.name, row.accepted, row.published, *flagWait)
	}

	if *flagProfile != "" {
		if b, err := os.ReadFile(profile); err == nil {
			_ = os.WriteFile(*flagProfile, b, 0o644)
		}
	}
	top, err := exec.CommandContext(h.ctx, goTool(h.b), "tool", "pprof", "-top", "-nodecount=10", binary, profile).CombinedOutput()
	if err != nil {
		h.problem("reading the handler's CPU profile: %v: %s", err, top)
	}
	return row, string(top)
}

// awaitPublished waits (up to -webhook.publish-wait) until the sink has a
// message for every order the handler accepted, then stops the handler
// with SIGTERM, so what it publishes while stopping is counted too. lag
// keeps the longest time from the end of a run's load to its last
// publication.
func (h *harness) awaitPublished(p *receiverProc, broker *sink, orders []string, lag *time.Duration) {
	loadEnd := time.Now()
	ctx, cancel := context.WithTimeout(h.ctx, *flagWait)
	broker.waitPublished(ctx, orders)
	cancel()
	if _, _, _, last := broker.published(orders); last.Sub(loadEnd) > *lag {
		*lag = last.Sub(loadEnd)
	}
	if err := p.stop(); err != nil {
		h.problem("%v", err)
	}
}

// revision names the product build: the handler's own version, or the
// checkout's commit when the build carries none (VCS stamping off).
func revision(binary, root string) string {
	out, err := exec.Command(binary, "version").Output()
	v := strings.TrimSpace(string(out))
	if err == nil && v != "" && v != "devel" && v != "unknown" {
		return v
	}
	head, err := exec.Command("git", "-C", root, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown revision"
	}
	v = strings.TrimSpace(string(head))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		v += "-dirty"
	}
	return v
}

func (h *harness) report(pg pgbenchRun, minimal, product receiverRow, top string) {
	b := h.b
	h.loadAvg[1] = loadAvg()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	rate := fmt.Sprintf("%g/s", *flagRate)
	var out bytes.Buffer
	fmt.Fprintf(&out, "\nWebhook benchmark of product revision %s: POST /api/fulfillment/request/%s, sealed and signed,\n", h.revision, tpl)
	fmt.Fprintf(&out, "on one durable PostgreSQL %s ", h.pgVer)
	fmt.Fprintf(&out, "(fsync=%s synchronous_commit=%s full_page_writes=%s), %d CPUs, load average %s before, %s after.\n",
		h.settings["fsync"], h.settings["synchronous_commit"], h.settings["full_page_writes"], runtime.NumCPU(), h.loadAvg[0], h.loadAvg[1])
	fmt.Fprintf(&out, "Saturation: %d requests from %d concurrent clients. Open loop: %g req/s offered for %s (latency from the scheduled send).\n",
		*flagRequests, *flagClients, *flagRate, *flagOpenFor)
	fmt.Fprintf(&out, "Each shape runs on a fresh receiver process, after one check request and an untimed warm-up of %d (all verified).\n", *flagClients)
	fmt.Fprintf(&out, "pgbench: one-row INSERT of %d bytes per transaction, %d clients, %d threads, %s. Minimal receiver pool: %d connections (the product's default).\n\n",
		h.bodySize, *flagClients, *flagThreads, *flagPgbench, h.maxConns)

	fmt.Fprintf(&out, "cpu ms/req is CPU time per accepted request during the saturation run: the receiver's process (pgbench's for its row),\n")
	fmt.Fprintf(&out, "the PostgreSQL server, and the benchmark process (the load generator, and for the product the broker sink).\n\n")
	tw := tabwriter.NewWriter(&out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\treq/s\tx minimal\tx pgbench\tsat p50 ms\tsat p99 ms\t%s p50 ms\t%s p99 ms\t%s achieved\t202s stored\tpublished once\tduplicates\tcpu ms/req: receiver / postgres / bench\t\n", rate, rate, rate)
	fmt.Fprintf(tw, "pgbench one-row INSERT\t%.0f\t%.2f\t1.00\t\t\t\t\t\t%d of %d\t\t\t%s\t\n",
		pg.tps, pg.tps/minimal.sat.rate(), pg.stored, pg.processed, pg.cpu.perOp(pg.processed))
	for _, r := range []receiverRow{minimal, product} {
		pub, dup := "", ""
		if r.name != minimal.name {
			pub, dup = fmt.Sprintf("%d of %d", r.once, r.accepted), fmt.Sprint(r.duplicates)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%.2f\t%.1f\t%.1f\t%.1f\t%.1f\t%.0f/s\t%d of %d\t%s\t%s\t%s\t\n",
			r.name, r.sat.rate(), r.sat.rate()/minimal.sat.rate(), r.sat.rate()/pg.tps,
			ms(r.sat.percentile(0.5)), ms(r.sat.percentile(0.99)), ms(r.open.percentile(0.5)), ms(r.open.percentile(0.99)),
			r.open.rate(), r.stored, r.accepted, pub, dup, r.satCPU.perOp(len(r.sat.accepted)))
	}
	tw.Flush()
	ratio := product.sat.rate() / minimal.sat.rate()
	p99 := ms(product.open.percentile(0.99))
	fmt.Fprintf(&out, "\nGoal: product >= 0.80 of the minimal receiver at %d concurrent: %.2f (%s); p99 < 25 ms at %s offered: %.1f ms (%s).\n",
		*flagClients, ratio, met(ratio >= 0.8), rate, p99, met(p99 < 25))
	fmt.Fprintf(&out, "The product published its last message %s after its last answer (worst run).\n", product.publishLag.Round(time.Millisecond))
	fmt.Fprintf(&out, "\nHandler CPU profile of the saturation run (go tool pprof -top -nodecount=10):\n%s\n", top)
	fmt.Print(out.String())

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(pg.tps, "pgbench-commits/s")
	b.ReportMetric(minimal.sat.rate(), "minimal-req/s")
	b.ReportMetric(product.sat.rate(), "product-req/s")
	b.ReportMetric(ratio, "product/minimal")
	b.ReportMetric(minimal.sat.rate()/pg.tps, "minimal/pgbench")
	b.ReportMetric(product.sat.rate()/pg.tps, "product/pgbench")
	for _, r := range []struct {
		who string
		row receiverRow
	}{{"minimal", minimal}, {"product", product}} {
		b.ReportMetric(ms(r.row.sat.percentile(0.5)), r.who+"-sat-p50-ms")
		b.ReportMetric(ms(r.row.sat.percentile(0.99)), r.who+"-sat-p99-ms")
		b.ReportMetric(ms(r.row.open.percentile(0.5)), fmt.Sprintf("%s-%grps-p50-ms", r.who, *flagRate))
		b.ReportMetric(ms(r.row.open.percentile(0.99)), fmt.Sprintf("%s-%grps-p99-ms", r.who, *flagRate))
	}
	b.ReportMetric(float64(product.once), "published-once")
	b.ReportMetric(float64(product.duplicates), "duplicates")
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}

// sampleSettings reads the Values of local.settings.sample.json.
func sampleSettings(root string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(root, "local.settings.sample.json"))
	if err != nil {
		return nil, err
	}
	var f struct {
		Values map[string]string `json:"Values"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("parsing local.settings.sample.json: %w", err)
	}
	return f.Values, nil
}

func get(u string) (int, string) {
	resp, err := http.Get(u)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(bytes.TrimSpace(body))
}

func goTool(tb testing.TB) string {
	p, err := exec.LookPath("go")
	if err != nil {
		p = "/usr/local/go/bin/go" // where this project's machines have it
		if _, err := os.Stat(p); err != nil {
			tb.Fatal("the go command is not on PATH")
		}
	}
	return p
}

func randomBytes(tb testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return b
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "unknown"
	}
	return f[0]
}
