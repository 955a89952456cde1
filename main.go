// Command handler is the integration layer's Azure Functions custom handler.
//
// With no arguments it serves the Functions host (this is what Azure runs).
// Subcommands are tools for people and the pipeline:
//
//	handler                 serve the Functions host on FUNCTIONS_CUSTOMHANDLER_PORT
//	handler migrate         apply database migrations (DATABASE_URL)
//	handler dev             run everything locally: PostgreSQL, the local host, the functions
//	handler trace ORDER     print an order's journey
//	handler replay ID       re-drive a parked message through its function
//	handler edi ...         validate, acknowledge and show X12 files
//	handler version         print the build's revision
//
// main.go and its siblings are the only code that reads the environment and
// knows every package: config -> clients -> handlers -> server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/popsockets/integration/infra"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/messaging"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/x12/x12cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: handler [command]

  (none)     serve the Azure Functions host (FUNCTIONS_CUSTOMHANDLER_PORT)
  migrate    apply database migrations to DATABASE_URL
  dev        run the product locally with simulated partners (make run)
  trace      print an order's journey:           handler trace <order-id>
  replay     re-drive a parked message:          handler replay <parked-id>
  edi        validate, acknowledge, show X12:    handler edi help
  dev-request  print a signed fulfilment request for the local run (curl)
  version    print the build's revision
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return serve(ctx, getenv, stdout, stderr)
	}
	switch args[0] {
	case "migrate":
		return migrate(ctx, getenv, stdout, stderr)
	case "dev":
		return dev(ctx, args[1:], getenv, stdout, stderr)
	case "trace":
		return trace(ctx, args[1:], getenv, stdout, stderr)
	case "replay":
		return replay(ctx, args[1:], getenv, stdout, stderr)
	case "edi":
		return x12cli.Run(ctx, args[1:], os.Stdin, stdout, stderr)
	case "dev-request":
		return devRequest(ctx, args[1:], getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "handler: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

// catalog is the embedded infra/messaging.json, parsed once.
var catalog = sync.OnceValue(func() *messaging.Catalog {
	c, err := messaging.Parse(infra.MessagingJSON)
	if err != nil {
		// The embedded file is checked by tests; a broken one never ships.
		panic(err)
	}
	return c
})

// serve listens first, then builds everything else without network I/O, so
// the host's GET / probe is answered within milliseconds of exec.
func serve(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) int {
	ln, err := azfunc.Listen(getenv("FUNCTIONS_CUSTOMHANDLER_PORT"))
	if err != nil {
		fmt.Fprintf(stderr, `{"level":"ERROR","msg":"cannot listen","error":%q}`+"\n", err.Error())
		return 1
	}
	defer startCPUProfile(getenv)()
	cfg, cfgErr := loadConfig(getenv, catalog())
	logging := azfunc.NewLogging(stdout, stderr, cfg.LogLevel, cfg.secrets)
	log := logging.Logger()

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

	d := buildDeps(cfg, cfgErr, log)
	srv, err := azfunc.NewServer(azfunc.Config{
		Logging: logging, FunctionTimeout: timeout, RoutePrefix: prefix, Parker: d, Gate: d, Alerter: d.alerter(),
	})
	if err != nil {
		log.Error("building the server", "error", err)
		return 1
	}
	register(srv, d)
	log.Info("handler listening", "addr", ln.Addr().String(), "version", version(), "environment", cfg.Environment,
		"functions", len(srv.Registrations()))
	err = srv.Serve(ctx, ln, 30*time.Second)
	if d.store != nil {
		d.store.Close()
	}
	if err != nil {
		log.Error("server stopped", "error", err)
		return 1
	}
	return 0
}

func migrate(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) int {
	url := getenv("DATABASE_URL")
	logging := azfunc.NewLogging(stdout, stderr, slog.LevelInfo, secretParts(url))
	log := logging.Logger()
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
