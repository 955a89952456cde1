// Command handler is the integration layer's Azure Functions custom handler.
//
// With no arguments it serves the Functions host (this is what Azure runs).
// Subcommands are tools for people and the pipeline:
//
//	handler                 serve the Functions host on FUNCTIONS_CUSTOMHANDLER_PORT
//	handler migrate         apply database migrations (DATABASE_URL)
//	handler config check    per flow and function: ready, or the settings that are missing
//	handler config list     every app setting the app reads, and who reads it
//	handler trace ORDER     print an order's journey
//	handler audit ORDER     print an order's audit trail (partner calls, messages)
//	handler replay ID       re-drive a parked (or, with -dead-letter, a dead-lettered) message through its function
//	handler edi ...         validate, acknowledge and show X12 files
//	handler jackyun repush  re-send a Jackyun order after a fix
//	handler version         print the build's revision
//
// The local run (simulated partners, the local Functions host) is a
// separate development binary, tools/devrun, so that no fake ships in the
// deployed package.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/popsockets/integration/handlers/china"
	"github.com/popsockets/integration/handlers/data"
	"github.com/popsockets/integration/handlers/edi"
	"github.com/popsockets/integration/handlers/fulfillment"
	"github.com/popsockets/integration/handlers/gladly"
	"github.com/popsockets/integration/handlers/platform"
	"github.com/popsockets/integration/handlers/print"
	"github.com/popsockets/integration/handlers/product"
	"github.com/popsockets/integration/infra"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/messaging"
	"github.com/popsockets/integration/shared/x12/x12cli"
)

// flows is the one list of the app's flows. Adding a flow is its package
// under handlers/, its functions/ folders, its infra/messaging.json entries
// and one line here.
var flows = []kit.Flow{
	platform.Flow,
	fulfillment.Flow,
	edi.Flow,
	print.Flow,
	china.Flow,
	product.Flow,
	gladly.Flow,
	data.Flow,
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: handler [command]

  (none)        serve the Azure Functions host (FUNCTIONS_CUSTOMHANDLER_PORT)
  migrate       apply database migrations to DATABASE_URL
  config check  per flow and function: ready, or the settings that are missing (exit 1 if any)
  config list   every app setting: flow, functions that read it, secret or not, default
  trace         print an order's journey:           handler trace <order-id>
  audit         print an order's audit trail:       handler audit <order-id>  (local: audit_events; Azure: ADX)
  replay        re-drive a parked message:          handler replay <parked-id>  (dead letters, filters, -dry-run: handler replay -h)
  edi           validate, acknowledge, show X12 and RSX:  handler edi help
  edi status    outbound EDI documents by state (due, late, awaiting a 997, accepted, rejected)
  jackyun       re-send a Jackyun order after a fix:  handler jackyun repush <tradeNo>
  version       print the build's revision
`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return serve(ctx, getenv, stdout, stderr)
	}
	switch args[0] {
	case "migrate":
		return migrate(ctx, getenv, stdout, stderr)
	case "config":
		return configCommand(args[1:], getenv, stdout, stderr)
	case "trace":
		return trace(ctx, args[1:], getenv, stdout, stderr)
	case "audit":
		return auditCommand(ctx, args[1:], getenv, stdout, stderr)
	case "replay":
		return replay(ctx, args[1:], getenv, stdout, stderr)
	case "edi":
		if len(args) > 1 && args[1] == "status" {
			return ediStatus(ctx, getenv, stdout, stderr)
		}
		return x12cli.Run(ctx, args[1:], stdin, stdout, stderr)
	case "jackyun":
		env := cliEnv(getenv, stderr)
		return china.RepushCommand(ctx, args[1:], env, stdout, stderr, func() (*kit.App, error) {
			app, _, err := build(env, stderr, stderr, options{retryBudget: 10 * time.Second})
			return app, err
		})
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

// version is the VCS revision the binary was built from.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}
