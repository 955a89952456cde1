package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/store"
)

// options adjust how the app is built; tests shorten the waits.
type options struct {
	retryBudget, retryInitial time.Duration
	outbox                    store.OutboxPolicy
	// auditCredential and auditHTTPClient reach a fake ADX in tests.
	auditCredential azcore.TokenCredential
	auditHTTPClient *http.Client
}

// build reads the settings and builds the app and its server, registering
// every flow's functions. It does no network I/O.
func build(getenv func(string) string, stdout, stderr io.Writer, o options) (*kit.App, *azfunc.Server, error) {
	app, err := kit.New(kit.Config{Getenv: getenv, Flows: flows, Catalog: catalog(), Stdout: stdout, Stderr: stderr,
		Version: version(), OutboxPolicy: o.outbox, AuditCredential: o.auditCredential, AuditHTTPClient: o.auditHTTPClient})
	if err != nil {
		return nil, nil, err
	}
	log := app.Logger()
	root := getenv("FUNCTIONS_APP_ROOT_PATH")
	if root == "" {
		root, _ = os.Getwd()
	}
	timeout := 10 * time.Minute
	var prefix *string
	if hj, err := azfunc.LoadHostJSON(root); err != nil {
		log.Warn("host.json unreadable; using a 10-minute function timeout", "error", err)
	} else {
		timeout, prefix = hj.FunctionTimeout, &hj.RoutePrefix
	}
	srv, err := azfunc.NewServer(azfunc.Config{
		Logging: app.Logging(), FunctionTimeout: timeout, RoutePrefix: prefix,
		Parker: app, Gate: app, Alerter: app,
		RetryBudget: o.retryBudget, RetryInitial: o.retryInitial,
	})
	if err != nil {
		app.Close()
		return nil, nil, err
	}
	app.Register(srv)
	return app, srv, nil
}

// serve listens first, then builds everything else without network I/O, so
// the host's GET / probe is answered within milliseconds of exec.
func serve(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) int {
	ln, err := azfunc.Listen(getenv("FUNCTIONS_CUSTOMHANDLER_PORT"))
	if err != nil {
		fmt.Fprintf(stderr, `{"level":"ERROR","msg":"cannot listen","error":%q}`+"\n", err.Error())
		return 1
	}
	defer startCPUProfile(getenv)()
	app, srv, err := build(getenv, stdout, stderr, options{})
	if err != nil {
		fmt.Fprintf(stderr, `{"level":"ERROR","msg":"building the app","error":%q}`+"\n", err.Error())
		return 1
	}
	defer app.Close()
	log := app.Logger()
	log.Info("handler listening", "addr", ln.Addr().String(), "version", version(), "environment", app.EnvironmentName(),
		"functions", len(srv.Registrations()))
	// The background publisher and alert sender outlive the server by a
	// few seconds, to send what the last invocations committed.
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); app.Run(bg) }()
	err = srv.Serve(ctx, ln, 30*time.Second)
	stopBG()
	<-done
	if err != nil {
		log.Error("server stopped", "error", err)
		return 1
	}
	return 0
}

func migrate(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) int {
	app, err := kit.New(kit.Config{Getenv: getenv, Flows: flows, Catalog: catalog(), Stdout: stdout, Stderr: stderr, Version: version()})
	if err != nil {
		fmt.Fprintf(stderr, "handler migrate: %v\n", err)
		return 1
	}
	log := app.Logger()
	url := getenv("DATABASE_URL")
	if url == "" {
		log.Error("DATABASE_URL is not set")
		return 2
	}
	applied, err := store.Migrate(ctx, store.Config{URL: url}, log)
	if err != nil {
		log.Error("migration failed", "error", err)
		return 1
	}
	log.Info("database migrated", "applied", applied, "schema_version", store.LatestVersion())
	return 0
}
