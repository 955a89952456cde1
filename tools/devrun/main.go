// Command devrun runs the product on one machine, against simulated
// partners: a throwaway PostgreSQL (unless DATABASE_URL is set), migrations,
// a filesystem blob store, the fakes of every partner, and the local
// Functions host (shared/devhost) running the production handler binary as
// its worker, exactly as Azure runs it. `make run` builds both binaries and
// starts this one. It is a development tool: nothing here ships.
//
//	devrun [-handler .run/handler] [-addr 127.0.0.1:7071] [-seed-orders 6] [-v]
//	devrun request [-order ID] [cirro|xb]   print a signed curl command for the running local run
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/popsockets/integration/handlers/fulfillment"
	"github.com/popsockets/integration/infra"
	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/devhost"
	"github.com/popsockets/integration/shared/devhost/localpartners"
	"github.com/popsockets/integration/shared/messaging"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/oms/omstest"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/pglocal"
	"github.com/popsockets/integration/shared/webhook"
)

// settingsFile is where the local run writes its settings, so that the
// handler's trace and replay commands find it from another terminal.
const settingsFile = ".run/settings.json"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	var code int
	if len(os.Args) > 1 && os.Args[1] == "request" {
		code = devRequest(os.Args[2:], os.Getenv, os.Stdout, os.Stderr)
	} else {
		code = dev(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	}
	stop()
	os.Exit(code)
}

// appRoot finds the directory holding host.json, starting at dir.
func appRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "host.json")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("no host.json here or above: run from the repository")
		}
	}
}

func writeSettings(dir string, values map[string]string) error {
	b, err := json.MarshalIndent(values, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, filepath.Base(settingsFile)), b, 0o600)
}

func readSettings() (map[string]string, error) {
	b, err := os.ReadFile(settingsFile)
	if err != nil {
		return nil, err
	}
	var values map[string]string
	return values, json.Unmarshal(b, &values)
}

// dev runs the product on one machine: a throwaway PostgreSQL (unless
// DATABASE_URL is set), migrations, a filesystem blob store, and the local
// Functions host running this same binary as its handler.
func dev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("devrun", flag.ContinueOnError)
	fl.SetOutput(stderr)
	root := fl.String("root", ".", "the app root (holds host.json and functions/)")
	handler := fl.String("handler", ".run/handler", "the handler binary the local host runs (make run builds it)")
	addr := fl.String("addr", "127.0.0.1:7071", "where the local host listens")
	verbose := fl.Bool("v", false, "also print the handler's JSON log lines")
	seed := fl.Int("seed-orders", 6, "how many sample orders the simulated OMS sends once the host is up (0: none)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	say := func(format string, a ...any) { fmt.Fprintf(stdout, format+"\n", a...) }
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "devrun: "+format+"\n", a...)
		return 1
	}

	appDir, err := appRoot(*root)
	if err != nil {
		return fail("%v", err)
	}
	values, from, err := devhost.LoadSettings(appDir)
	if err != nil {
		return fail("%v", err)
	}
	for k := range values {
		if v := getenv(k); v != "" {
			values[k] = v
		}
	}
	runDir := filepath.Join(appDir, ".run")
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return fail("creating %s: %v", runDir, err)
	}

	if values["DATABASE_URL"] == "" {
		say("starting a throwaway PostgreSQL ...")
		pg, err := pglocal.Start(ctx, pglocal.Config{})
		if err != nil {
			return fail("%v", err)
		}
		defer pg.Stop()
		values["DATABASE_URL"] = pg.URL
	}
	mctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	applied, err := store.Migrate(mctx, store.Config{URL: values["DATABASE_URL"]}, nil)
	cancel()
	if err != nil {
		return fail("%v", err)
	}

	if values["BLOB_LOCAL_DIR"] == "" {
		values["BLOB_LOCAL_DIR"] = filepath.Join(runDir, "blobs")
		// Blobs refer to rows of the throwaway database: start both empty.
		if err := os.RemoveAll(values["BLOB_LOCAL_DIR"]); err != nil {
			return fail("clearing %s: %v", values["BLOB_LOCAL_DIR"], err)
		}
	}
	blobs, err := blob.NewFS(blob.FSConfig{Root: values["BLOB_LOCAL_DIR"]})
	if err != nil {
		return fail("%v", err)
	}

	// Listen first: the simulated partners call the host back at this address.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail("listening on %s: %v", *addr, err)
	}
	hostURL := "http://" + ln.Addr().String()
	// The local host checks function keys as Azure does; the fakes send it.
	key := values["DEVHOST_FUNCTION_KEY"]
	if key == "" {
		key = strings.NewReplacer("+", "", "/", "", "=", "").Replace(localpartners.RandomSecret(30))
		values["DEVHOST_FUNCTION_KEY"] = key
	}
	partners, err := localpartners.Start(hostURL, localpartners.Options{AutoCallbacks: true, FunctionKey: key})
	if err != nil {
		return fail("%v", err)
	}
	defer partners.Close()
	for k, v := range partners.Settings {
		if values[k] == "" { // a developer may point a partner at a real sandbox in local.settings.json
			values[k] = v
		}
	}
	values["DEVHOST_URL"] = hostURL
	opsSchedules(values)
	dataSettings(values)
	if err := writeSettings(runDir, values); err != nil {
		return fail("writing %s: %v", settingsFile, err)
	}

	logPath := filepath.Join(runDir, "handler.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fail("%v", err)
	}
	defer logFile.Close()
	var handlerOut io.Writer = logFile
	if *verbose {
		handlerOut = io.MultiWriter(logFile, stdout)
	}
	exe, err := filepath.Abs(*handler)
	if err != nil {
		return fail("%v", err)
	}
	if _, err := os.Stat(exe); err != nil {
		return fail("no handler binary at %s (make run builds it): %v", *handler, err)
	}
	cat, err := messaging.Parse(infra.MessagingJSON)
	if err != nil {
		return fail("%v", err)
	}
	h, err := devhost.New(devhost.Config{
		AppRoot: appDir, Catalog: cat, Settings: values, Listener: ln, Blobs: blobs, Out: stdout,
		FunctionKeys: map[string]string{"default": key}, TelemetryDir: filepath.Join(runDir, "telemetry"),
		RedeliveryDelay: time.Second,
		Worker:          &devhost.ExecWorker{Path: exe, Dir: appDir, Stdout: handlerOut, Stderr: handlerOut},
	})
	if err != nil {
		return fail("%v", err)
	}
	say("simulated partners: OMS %s, Cirro %s, XB %s, Teams %s", partners.OMS.URL(), partners.Cirro.URL(), partners.XB.URL(), partners.Teams.URL())
	say("settings from %s; database migrated (applied %v, schema %d)", from, applied, store.LatestVersion())
	say("blob store: %s", values["BLOB_LOCAL_DIR"])
	say("handler logs (JSON): %s", logPath)
	say("telemetry as Application Insights would hold it: %s (requests.jsonl, traces.jsonl)", filepath.Join(runDir, "telemetry"))
	say("function key (x-functions-key): %s", key)
	go func() {
		select {
		case <-h.Ready():
			say("local Functions host on %s  (try: curl %s/api/health)", h.URL(), h.URL())
			for _, name := range h.Functions() {
				say("  function %s", name)
			}
			if *seed > 0 {
				seedOrders(ctx, h, partners, values, *seed, exe, stdout)
				seedPrint(ctx, h, partners, values, exe, stdout)
				seedChina(ctx, h, partners, values, exe, stdout)
				seedOps(ctx, h, partners, values, exe, stdout)
				seedData(ctx, h, values, stdout)
			}
			seedEDI(ctx, h, partners, values, stdout)
			say("post your own request:  .run/devrun request cirro   (prints a signed curl command)")
			say("follow an order:        .run/handler trace <order-id>")
			say("what is configured:     .run/handler config check")
			say("Ctrl-C stops everything.")
		case <-ctx.Done():
		}
	}()
	if err := h.Run(ctx); err != nil {
		return fail("%v", err)
	}
	return 0
}

// seedOrders plays NAV and OMS for n sample orders, so a person sees the
// whole loop: NAV releases each order, OMS asks Cirro or XB to fulfil it,
// Cirro accepts and ships by itself, and each order's journey is printed.
func seedOrders(ctx context.Context, h *devhost.Host, p *localpartners.Partners, values map[string]string, n int, handler string, out io.Writer) {
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	nav, err := bus.NewLocal(bus.LocalConfig{URL: h.URL(), Topics: map[string]string{
		fulfillment.TopicNAVOrderRelease: values["TOPIC_NAV_ORDER_RELEASE"]}})
	if err != nil {
		say("seeding: %v", err)
		return
	}
	samples := omstest.SampleOrders(n, time.Now().UnixNano())
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var ids []string
	for _, smp := range samples {
		id := smp.Request.OrderID
		ids = append(ids, id)
		p.OMS.AddOrder(id, oms.StatePendingNAVRelease)
		env, err := bus.Request("", fulfillment.EventNAVOrderReleased, bus.ObjectOrder, id, fulfillment.NAVReleased{OrderID: id}, time.Now())
		if err == nil {
			err = nav.Publish(ctx, bus.Message{Topic: fulfillment.TopicNAVOrderRelease, Key: id + "/nav-release", Envelope: env})
		}
		if err != nil {
			say("seeding %s: %v", id, err)
		}
	}
	waitQuiet(wctx, h, values["DATABASE_URL"]) // NAV releases first, as in production
	for i, smp := range samples {
		id := smp.Request.OrderID
		// OMS moves the order itself when it asks for fulfilment.
		p.OMS.AddOrder(id, oms.StateWaitingFulfillmentConfirmation)
		tpl := "cirro"
		if i%3 == 2 {
			tpl = "xb"
		}
		if status, body, err := p.Requester.Send(ctx, tpl, smp.Request, smp.Customer); err != nil || status != 202 {
			say("seeding %s: OMS request answered %d %s %v", id, status, body, err)
		}
	}
	waitQuiet(wctx, h, values["DATABASE_URL"])
	_ = p.Cirro.WaitCallbacks(wctx)
	waitQuiet(wctx, h, values["DATABASE_URL"])
	say("")
	say("journeys of the %d seeded orders (handler trace <order-id>):", len(ids))
	for _, id := range ids {
		cmd := exec.CommandContext(ctx, handler, "trace", id)
		cmd.Env = os.Environ()
		for k, v := range values {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			say("  %s: %v", id, err)
		}
	}
	say("")
}

// waitQuiet returns once the handler's outbox is empty (it publishes in
// the background after each commit) and the broker has delivered
// everything, twice in a row, or when ctx ends.
func waitQuiet(ctx context.Context, h *devhost.Host, databaseURL string) {
	s, err := store.Open(store.Config{URL: databaseURL, MaxConns: 2})
	if err != nil {
		return
	}
	defer s.Close()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for quiet := 0; quiet < 2; {
		if h.WaitIdle(ctx) != nil {
			return
		}
		if n, err := s.PendingOutbox(ctx); err == nil && n == 0 {
			quiet++
		} else {
			quiet = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// devRequest prints a curl command that posts a fresh, signed and sealed
// fulfilment request to the local run (signatures are valid for 5 minutes).
func devRequest(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("devrun request", flag.ContinueOnError)
	fl.SetOutput(stderr)
	orderID := fl.String("order", "", "order id (default: a new sample order)")
	if err := fl.Parse(args); err != nil || fl.NArg() > 1 {
		fmt.Fprintln(stderr, "usage: devrun request [-order ID] [cirro|xb]")
		return 2
	}
	tpl := "cirro"
	if fl.NArg() == 1 {
		tpl = fl.Arg(0)
	}
	values, err := readSettings()
	if err != nil {
		fmt.Fprintf(stderr, "devrun request: no local run found (start `make run` first): %v\n", err)
		return 2
	}
	env := func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return values[k]
	}
	if env("DEVHOST_URL") == "" {
		fmt.Fprintln(stderr, "devrun request: no local run found (start `make run` first)")
		return 2
	}
	keyring, err := oms.NewKeyring(env("OMS_AES_KEY_ID"), env("OMS_AES_KEY"), "", "")
	if err != nil {
		fmt.Fprintf(stderr, "devrun request: %v\n", err)
		return 2
	}
	secrets := webhook.ParseSecrets(env("OMS_WEBHOOK_SECRETS"))
	if len(secrets) == 0 {
		fmt.Fprintln(stderr, "devrun request: OMS_WEBHOOK_SECRETS is empty: the request cannot be signed (set it in local.settings.json, or let the local run generate it)")
		return 2
	}
	signer, err := webhook.NewSigner(secrets[0])
	if err != nil {
		fmt.Fprintf(stderr, "devrun request: %v\n", err)
		return 2
	}
	smp := omstest.SampleOrders(1, time.Now().UnixNano())[0]
	if *orderID != "" {
		smp.Request.OrderID = *orderID
	}
	smp.Request.Sealed, err = keyring.Seal(smp.Request.OrderID, smp.Customer)
	if err != nil {
		fmt.Fprintf(stderr, "devrun request: %v\n", err)
		return 1
	}
	body, _ := json.Marshal(smp.Request)
	path := filepath.Join(".run", "request-"+smp.Request.OrderID+".json")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		fmt.Fprintf(stderr, "devrun request: %v\n", err)
		return 1
	}
	h := http.Header{}
	if err := signer.Sign(h, omstest.WebhookID(smp.Request.OrderID, tpl), time.Now(), body); err != nil {
		fmt.Fprintf(stderr, "devrun request: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "curl -i -X POST %s/api/fulfillment/request/%s \\\n  -H 'content-type: application/json' -H 'x-functions-key: "+env("DEVHOST_FUNCTION_KEY")+"' \\\n"+
		"  -H 'webhook-id: %s' -H 'webhook-timestamp: %s' \\\n  -H 'webhook-signature: %s' \\\n  --data-binary @%s\n",
		strings.TrimRight(env("DEVHOST_URL"), "/"), tpl, h.Get(webhook.HeaderID), h.Get(webhook.HeaderTimestamp), h.Get(webhook.HeaderSignature), path)
	return 0
}
