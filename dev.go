package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/popsockets/integration/handlers/fulfillment"
	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/devhost"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/oms/omstest"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/pglocal"
	"github.com/popsockets/integration/shared/webhook"
)

// dev runs the product on one machine: a throwaway PostgreSQL (unless
// DATABASE_URL is set), migrations, a filesystem blob store, and the local
// Functions host running this same binary as its handler.
func dev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("dev", flag.ContinueOnError)
	fl.SetOutput(stderr)
	root := fl.String("root", ".", "the app root (holds host.json and functions/)")
	addr := fl.String("addr", "127.0.0.1:7071", "where the local host listens")
	verbose := fl.Bool("v", false, "also print the handler's JSON log lines")
	seed := fl.Int("seed-orders", 6, "how many sample orders the simulated OMS sends once the host is up (0: none)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	say := func(format string, a ...any) { fmt.Fprintf(stdout, format+"\n", a...) }
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "handler dev: "+format+"\n", a...)
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
	partners, err := startLocalPartners(hostURL, true)
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
	if err := writeLocalSettings(runDir, values); err != nil {
		return fail("writing %s: %v", localSettingsFile, err)
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
	exe, err := os.Executable()
	if err != nil {
		return fail("finding this binary: %v", err)
	}
	h, err := devhost.New(devhost.Config{
		AppRoot: appDir, Catalog: catalog(), Settings: values, Listener: ln, Blobs: blobs, Out: stdout,
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
	go func() {
		select {
		case <-h.Ready():
			say("local Functions host on %s  (try: curl %s/api/health)", h.URL(), h.URL())
			for _, name := range h.Functions() {
				say("  function %s", name)
			}
			if *seed > 0 {
				seedOrders(ctx, h, partners, values, *seed, stdout)
			}
			say("post your own request:  .run/handler dev-request cirro   (prints a signed curl command)")
			say("follow an order:        .run/handler trace <order-id>")
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
func seedOrders(ctx context.Context, h *devhost.Host, p *localPartners, values map[string]string, n int, out io.Writer) {
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
	_ = h.WaitIdle(wctx) // NAV releases first, as in production
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
	_ = h.WaitIdle(wctx)
	_ = p.Cirro.WaitCallbacks(wctx)
	_ = h.WaitIdle(wctx)
	s, err := store.Open(store.Config{URL: values["DATABASE_URL"]})
	if err != nil {
		say("seeding: %v", err)
		return
	}
	defer s.Close()
	say("")
	say("journeys of the %d seeded orders:", len(ids))
	for _, id := range ids {
		t, err := readTrace(ctx, s, id)
		if err != nil {
			say("  %s: %v", id, err)
			continue
		}
		printTrace(out, t)
	}
	say("")
}

// devRequest prints a curl command that posts a fresh, signed and sealed
// fulfilment request to the local run (signatures are valid for 5 minutes).
func devRequest(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("dev-request", flag.ContinueOnError)
	fl.SetOutput(stderr)
	orderID := fl.String("order", "", "order id (default: a new sample order)")
	if err := fl.Parse(args); err != nil || fl.NArg() > 1 {
		fmt.Fprintln(stderr, "usage: handler dev-request [-order ID] [cirro|xb]")
		return 2
	}
	tpl := "cirro"
	if fl.NArg() == 1 {
		tpl = fl.Arg(0)
	}
	env := cliEnv(getenv, stderr)
	if env("DEVHOST_URL") == "" {
		fmt.Fprintln(stderr, "handler dev-request: no local run found (start `make run` first)")
		return 2
	}
	keyring, err := oms.NewKeyring(env("OMS_AES_KEY_ID"), env("OMS_AES_KEY"), "", "")
	if err != nil {
		fmt.Fprintf(stderr, "handler dev-request: %v\n", err)
		return 2
	}
	signer, err := webhook.NewSigner(webhook.ParseSecrets(env("OMS_WEBHOOK_SECRETS"))[0])
	if err != nil {
		fmt.Fprintf(stderr, "handler dev-request: %v\n", err)
		return 2
	}
	smp := omstest.SampleOrders(1, time.Now().UnixNano())[0]
	if *orderID != "" {
		smp.Request.OrderID = *orderID
	}
	smp.Request.Sealed, err = keyring.Seal(smp.Request.OrderID, smp.Customer)
	if err != nil {
		fmt.Fprintf(stderr, "handler dev-request: %v\n", err)
		return 1
	}
	body, _ := json.Marshal(smp.Request)
	path := filepath.Join(".run", "request-"+smp.Request.OrderID+".json")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		fmt.Fprintf(stderr, "handler dev-request: %v\n", err)
		return 1
	}
	h := http.Header{}
	if err := signer.Sign(h, omstest.WebhookID(smp.Request.OrderID, tpl), time.Now(), body); err != nil {
		fmt.Fprintf(stderr, "handler dev-request: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "curl -i -X POST %s/api/fulfillment/request/%s \\\n  -H 'content-type: application/json' \\\n"+
		"  -H 'webhook-id: %s' -H 'webhook-timestamp: %s' \\\n  -H 'webhook-signature: %s' \\\n  --data-binary @%s\n",
		strings.TrimRight(env("DEVHOST_URL"), "/"), tpl, h.Get(webhook.HeaderID), h.Get(webhook.HeaderTimestamp), h.Get(webhook.HeaderSignature), path)
	return 0
}
