package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/popsockets/integration/shared/audit"
	"github.com/popsockets/integration/shared/store"
)

// auditCommand prints the audit trail of an order or document from
// PostgreSQL (the local run's trail; in Azure the trail is in ADX, and the
// README's KQL reads it).
func auditCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("audit", flag.ContinueOnError)
	fl.SetOutput(stderr)
	asJSON := fl.Bool("json", false, "print JSON lines instead of a table")
	if err := fl.Parse(args); err != nil || fl.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: handler audit [-json] <order-id | document id | export request id>")
		return 2
	}
	env := cliEnv(getenv, stderr)
	s, err := store.Open(store.Config{URL: env("DATABASE_URL")})
	if err != nil {
		fmt.Fprintf(stderr, "handler audit: %v\n", err)
		return 2
	}
	defer s.Close()
	events, err := (&audit.Postgres{Store: s}).Trail(ctx, fl.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "handler audit: %v\n", err)
		return 1
	}
	if len(events) == 0 {
		fmt.Fprintf(stderr, "handler audit: no audit events for %s (in Azure the trail is in ADX: see the README)\n", fl.Arg(0))
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, e := range events {
			_ = enc.Encode(e)
		}
		return 0
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "TIME\tKIND\tSYSTEM\tOPERATION\tFUNCTION\tOUTCOME\tSTATUS\tBYTES\tMS\tARCHIVE")
	for _, e := range events {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", e.Time.UTC().Format(time.RFC3339Nano), e.Kind, e.System, e.Operation,
			e.Function, e.Outcome, e.Status, e.Bytes, e.DurationMS, e.Archive)
	}
	_ = w.Flush()
	return 0
}
