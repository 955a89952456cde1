package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/popsockets/integration/handlers/edi"
	"github.com/popsockets/integration/handlers/platform"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/store"
)

// localSettingsFile is where the local run (tools/devrun) writes its
// settings, so that trace and replay work against it from another terminal.
const localSettingsFile = ".run/settings.json"

// cliEnv is the environment of the operator commands: the process
// environment, falling back to the local run's settings when the process
// has no database configured.
func cliEnv(getenv func(string) string, stderr io.Writer) func(string) string {
	if getenv("DATABASE_URL") != "" {
		return getenv
	}
	b, err := os.ReadFile(localSettingsFile)
	if err != nil {
		return getenv
	}
	var values map[string]string
	if json.Unmarshal(b, &values) != nil {
		return getenv
	}
	fmt.Fprintf(stderr, "using the local run's settings from %s\n", localSettingsFile)
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return values[k]
	}
}

// trace prints an order's journey: every state change, who caused it and
// when, then anything parked for the order.
func trace(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("trace", flag.ContinueOnError)
	fl.SetOutput(stderr)
	asJSON := fl.Bool("json", false, "print JSON instead of a timeline")
	if err := fl.Parse(args); err != nil || fl.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: handler trace [-json] <order-id | PO number | [SENDER:]ISA13 | SSCC>")
		return 2
	}
	orderID := fl.Arg(0)
	env := cliEnv(getenv, stderr)
	s, err := store.Open(store.Config{URL: env("DATABASE_URL")})
	if err != nil {
		fmt.Fprintf(stderr, "handler trace: %v\n", err)
		return 2
	}
	defer s.Close()
	t, err := readTrace(ctx, s, orderID)
	if err != nil {
		fmt.Fprintf(stderr, "handler trace: %v\n", err)
		return 1
	}
	if t.Order == nil && len(t.Journey) == 0 && len(t.Parked) == 0 && !*asJSON {
		// Not an order id: a PO number, an ISA13 or an SSCC finds the EDI
		// documents and the order's journey across channels. (An order
		// known only by what was parked for it, a malformed message, is
		// printed as an order.)
		return edi.Trace(ctx, s, stdout, orderID)
	}
	if t.Order == nil && len(t.Journey) == 0 && len(t.Parked) == 0 {
		return edi.TraceJSON(ctx, s, stdout, orderID)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(t)
	} else {
		printTrace(stdout, t)
	}
	if t.Order == nil && len(t.Journey) == 0 && len(t.Parked) == 0 {
		return 1
	}
	return 0
}

// orderTrace is everything known about one order.
type orderTrace struct {
	OrderID string                 `json:"order_id"`
	Order   *store.Order           `json:"order,omitempty"`
	Journey []store.JourneyStep    `json:"journey"`
	Parked  []*store.ParkedMessage `json:"parked"`
}

func readTrace(ctx context.Context, s *store.Store, orderID string) (*orderTrace, error) {
	t := &orderTrace{OrderID: orderID}
	o, err := store.GetOrder(ctx, s.Pool, orderID)
	switch {
	case err == nil:
		t.Order = o
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	if t.Journey, err = store.Journey(ctx, s.Pool, orderID); err != nil {
		return nil, err
	}
	parked, err := s.ListParked(ctx, store.ParkedFilter{Correlation: orderID})
	if err != nil {
		return nil, err
	}
	for _, p := range parked {
		p.Payload = nil // payloads may carry sealed customer data; trace never prints them
	}
	t.Parked = parked
	return t, nil
}

func printTrace(w io.Writer, t *orderTrace) {
	if t.Order == nil && len(t.Journey) == 0 && len(t.Parked) == 0 {
		fmt.Fprintf(w, "order %s: not seen by this layer\n", t.OrderID)
		return
	}
	if o := t.Order; o != nil {
		fmt.Fprintf(w, "order %s  (%s, %s, %s%s)  now %s", o.OrderID, o.Source, o.Channel, o.TPL, map[bool]string{true: ", pre-pack"}[o.PrePack], o.State)
		if o.TPLOrderNo != "" {
			fmt.Fprintf(w, "  %s order %s", o.TPL, o.TPLOrderNo)
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "order %s\n", t.OrderID)
	}
	var prev time.Time
	for _, s := range t.Journey {
		gap := ""
		if !prev.IsZero() {
			gap = "+" + s.At.Sub(prev).Round(time.Millisecond).String()
		}
		prev = s.At
		fmt.Fprintf(w, "  %s  %-9s  %-34s %-6s %-24s %s\n", s.At.UTC().Format("2006-01-02 15:04:05.000"), gap, s.State, s.System, s.Function, s.Detail)
	}
	if len(t.Parked) == 0 {
		return
	}
	fmt.Fprintln(w, "  parked:")
	for _, p := range t.Parked {
		state := "open"
		if !p.Open() {
			state = "replayed " + p.ReplayedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "    #%d %s (%s, seen %d×): %s  -> handler replay %d\n", p.ID, p.Function, state, p.TimesSeen, p.Reason, p.ID)
	}
}

// replayUsage is replay's usage text.
const replayUsage = `usage:
  handler replay [-dry-run] [-force] <parked-id>...                       parked messages, by id
  handler replay [-dry-run] [-force] -parked [-function F] [-correlation C] [-reason TEXT] [-limit N]
  handler replay [-dry-run] [-force] -dead-letter <dead-letter-id>...     dead letters dead-letter-watch recorded, by id
  handler replay [-dry-run] [-force] -dead-letter [-topic T] [-subscription S] [-correlation C] [-reason R] [-message-id M] [-limit N]
`

// replay re-drives parked messages (from PostgreSQL) or dead-lettered ones
// (from Service Bus) through their functions, in this process, with this
// build's code and the current settings (run it after fixing what made the
// messages fail), by id or by filter; -dry-run lists what it would replay.
// A message already replayed is not replayed again without -force, and a
// replay of what did happen has no second effect (the consumer's claim on
// the message id).
func replay(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("replay", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, replayUsage) }
	force := fl.Bool("force", false, "replay even what was already replayed")
	dryRun := fl.Bool("dry-run", false, "list what would be replayed; change nothing")
	deadLetter := fl.Bool("dead-letter", false, "replay Service Bus dead letters (by dead-letter id, or by filter)")
	parkedFilter := fl.Bool("parked", false, "replay parked messages by filter")
	function := fl.String("function", "", "parked: the function")
	topic := fl.String("topic", "", "dead letters: the topic (its name in infra/messaging.json, or its entity name)")
	subscription := fl.String("subscription", "", "dead letters: the subscription")
	correlation := fl.String("correlation", "", "the order or document (correlation id)")
	reason := fl.String("reason", "", "dead letters: the dead-letter reason; parked: text the reason contains")
	messageID := fl.String("message-id", "", "dead letters: the message id")
	limit := fl.Int("limit", 20, "replay at most this many (filters)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	byFilter := *parkedFilter || (*deadLetter && fl.NArg() == 0)
	if (byFilter && fl.NArg() > 0) || (!byFilter && fl.NArg() == 0) || (*parkedFilter && *deadLetter) {
		fmt.Fprint(stderr, replayUsage)
		return 2
	}
	var ids []int64
	for _, a := range fl.Args() {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			fmt.Fprintf(stderr, "handler replay: %q is not an id\n", azfunc.Clip(a, 40))
			return 2
		}
		ids = append(ids, id)
	}
	// An operator waits at the terminal: a transient failure is tried for a
	// few seconds, not for the two minutes a delivery gets.
	env := cliEnv(getenv, stderr)
	app, srv, err := build(env, stderr, stderr, options{retryBudget: 10 * time.Second})
	if err != nil {
		fmt.Fprintf(stderr, "handler replay: %v\n", err)
		return 1
	}
	defer app.Close()
	if app.Store() == nil {
		fmt.Fprintln(stderr, "handler replay: DATABASE_URL is not set")
		return 2
	}
	failed := false
	switch {
	case *deadLetter:
		failed, err = replayDeadLetters(ctx, app, srv, env, ids, deadLetterFilter{topic: *topic, subscription: *subscription,
			reason: *reason, correlation: *correlation, messageID: *messageID}, *force, *dryRun, *limit, stdout)
	case *parkedFilter:
		var ps []*store.ParkedMessage
		ps, err = app.Store().ListParked(ctx, store.ParkedFilter{OpenOnly: !*force, Function: *function, Correlation: *correlation, Limit: 1000})
		for _, p := range ps {
			if len(ids) < *limit && strings.Contains(p.Reason, *reason) {
				ids = append(ids, p.ID)
			}
		}
		if err == nil && len(ids) == 0 {
			// Nothing selected, nothing failed: exit 0, as for dead letters.
			fmt.Fprintln(stdout, "no parked message matches")
		}
		fallthrough
	default:
		for _, id := range ids {
			if err != nil {
				break
			}
			var res string
			if *dryRun {
				res, err = describeParked(ctx, app.Store(), id, *force)
			} else {
				res, err = replayParked(ctx, srv, app, id, *force)
			}
			if err != nil {
				break
			}
			fmt.Fprintln(stdout, res)
			ok := strings.HasPrefix(res, "replayed") || strings.HasPrefix(res, "requeued") || strings.HasPrefix(res, "would")
			failed = failed || !ok
		}
	}
	if !*dryRun {
		// What the replay published or parked leaves now, not at the next timer.
		if ferr := app.Outbox().Flush(ctx); ferr != nil {
			fmt.Fprintf(stderr, "handler replay: publishing: %v (the outbox relay retries)\n", ferr)
		}
		if _, aerr := app.Alerts().SendPending(ctx); aerr != nil {
			fmt.Fprintf(stderr, "handler replay: alerting: %v (dead-letter-watch retries)\n", aerr)
		}
		if aerr := app.FlushAudit(ctx); aerr != nil {
			fmt.Fprintf(stderr, "handler replay: audit trail: %v\n", aerr)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "handler replay: %v\n", err)
		return 1
	}
	if failed {
		return 1
	}
	return 0
}

// describeParked says what replaying a parked message would do.
func describeParked(ctx context.Context, s *store.Store, id int64, force bool) (string, error) {
	p, err := s.GetParked(ctx, id)
	if err != nil {
		return "", err
	}
	if !p.Open() && !force {
		return fmt.Sprintf("parked message %d was already replayed at %s (use -force to replay it again)", id, p.ReplayedAt.UTC().Format(time.RFC3339)), nil
	}
	if p.Trigger == azfunc.KindHTTP {
		return fmt.Sprintf("parked message %d is a webhook (%s) this layer refused to act on; it is not replayable", id, p.Function), nil
	}
	return fmt.Sprintf("would replay %d through %s: message %s, correlation %s, parked for: %s", id, p.Function, p.MessageID, p.CorrelationID, p.Reason), nil
}

// replayDeadLetters replays dead letters by record id or by filter.
func replayDeadLetters(ctx context.Context, app *kit.App, srv *azfunc.Server, env func(string) string, ids []int64, f deadLetterFilter,
	force, dryRun bool, limit int, out io.Writer) (bool, error) {
	broker, err := brokerFor(env)
	if err != nil {
		return true, err
	}
	blobs, err := blobsFor(env)
	if err != nil {
		return true, err
	}
	root := env("FUNCTIONS_APP_ROOT_PATH")
	if root == "" {
		root = "."
	}
	queues, err := appQueues(catalog(), env, root)
	if err != nil {
		return true, err
	}
	r := &deadLetterReplay{app: app, srv: srv, broker: broker, queues: queues, force: force, dryRun: dryRun, limit: max(limit, 1), out: out,
		recorder: &platform.DeadLetterRecorder{Records: app.Store(), Archive: blobs}}
	if len(ids) > 0 {
		return r.byIDs(ctx, ids)
	}
	return r.byFilter(ctx, f)
}

// replayParked rebuilds the host's invocation from the parked row and runs
// it through the server's own handler. The row is marked replayed first, so
// that a replay which fails the same way reopens it as a new failure (and
// it is alerted again); a replay that fails transiently puts it back open.
func replayParked(ctx context.Context, srv *azfunc.Server, app *kit.App, id int64, force bool) (string, error) {
	s := app.Store()
	p, err := s.GetParked(ctx, id)
	if err != nil {
		return "", err
	}
	if !p.Open() && !force {
		return fmt.Sprintf("parked message %d was already replayed at %s (use -force to replay it again)", id, p.ReplayedAt.UTC().Format(time.RFC3339)), nil
	}
	switch p.Trigger {
	case store.TriggerOutbox:
		var meta struct {
			OutboxID int64 `json:"outbox_id"`
		}
		if err := json.Unmarshal(p.MetadataJSON(), &meta); err != nil || meta.OutboxID == 0 {
			return "", fmt.Errorf("parked message %d names no outbox row", id)
		}
		if err := s.BeginReplay(ctx, id); err != nil {
			return "", err
		}
		if err := s.RequeueOutbox(ctx, meta.OutboxID); err != nil {
			return "", err
		}
		return fmt.Sprintf("requeued %d: outbox message %d is due again and is being published", id, meta.OutboxID), nil
	case azfunc.KindHTTP:
		return fmt.Sprintf("parked message %d is a webhook (%s) this layer refused to act on; it is kept for inspection, "+
			"and is not replayable: ask the partner to send it again once the cause is fixed", id, p.Function), nil
	}
	var reg *azfunc.Registration
	for _, r := range srv.Registrations() {
		if r.Name == p.Function {
			reg = &r
		}
	}
	if reg == nil {
		return "", fmt.Errorf("parked message %d belongs to %s, which this build does not have", id, p.Function)
	}
	var data json.RawMessage
	if reg.Binary {
		data, _ = json.Marshal(base64.StdEncoding.EncodeToString(p.Payload))
	} else {
		data, _ = json.Marshal(string(p.Payload))
	}
	body, err := json.Marshal(map[string]any{"Data": map[string]json.RawMessage{reg.Binding: data}, "Metadata": p.MetadataJSON()})
	if err != nil {
		return "", err
	}
	if err := s.BeginReplay(ctx, id); err != nil {
		return "", err
	}
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/"+p.Function, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Azure-Functions-InvocationId", fmt.Sprintf("replay-%d-%d", id, time.Now().Unix()))
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		if err := s.ReopenAfterFailedReplay(ctx, id); err != nil {
			return "", err
		}
		return fmt.Sprintf("replay of %d failed (transient, %d): it stays parked; see the log line above", id, rec.Code), nil
	}
	after, err := s.GetParked(ctx, id)
	if err != nil {
		return "", err
	}
	if after.TimesSeen > p.TimesSeen {
		return fmt.Sprintf("replay of %d failed again and is parked: %s (people are alerted again)", id, after.Reason), nil
	}
	return fmt.Sprintf("replayed %d through %s: succeeded", id, p.Function), nil
}

// configCommand is `handler config check|list`.
func configCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "check" && args[0] != "list") {
		fmt.Fprintln(stderr, "usage: handler config check [-json] | handler config list")
		return 2
	}
	fl := flag.NewFlagSet("config "+args[0], flag.ContinueOnError)
	fl.SetOutput(stderr)
	asJSON := fl.Bool("json", false, "print JSON")
	if err := fl.Parse(args[1:]); err != nil || fl.NArg() > 0 {
		return 2
	}
	app, _, err := build(cliEnv(getenv, stderr), io.Discard, io.Discard, options{})
	if err != nil {
		fmt.Fprintf(stderr, "handler config: %v\n", err)
		return 1
	}
	defer app.Close()
	if args[0] == "list" {
		return listSettings(app, stdout, *asJSON)
	}
	return checkConfig(app, stdout, *asJSON)
}

// checkConfig prints, per flow and function, ready or what is missing.
func checkConfig(app *kit.App, w io.Writer, asJSON bool) int {
	type row struct {
		Flow     string `json:"flow"`
		Function string `json:"function"`
		Ready    bool   `json:"ready"`
		Problem  string `json:"problem,omitempty"`
	}
	var rows []row
	failed := false
	for _, s := range app.Status() {
		r := row{Flow: s.Flow, Function: s.Function, Ready: s.Err == nil}
		if s.Err != nil {
			failed = true
			r.Problem = strings.ReplaceAll(strings.TrimPrefix(s.Err.Error(), s.Function+" is not configured: "), "\n", "; ")
		}
		rows = append(rows, r)
	}
	var problems []string
	for _, p := range app.Problems() {
		failed = true
		problems = append(problems, p.Error())
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]any{"functions": rows, "problems": problems, "ready": !failed})
	} else {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FLOW\tFUNCTION\tSTATUS")
		for _, r := range rows {
			status := "ready"
			if !r.Ready {
				status = "missing: " + r.Problem
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Flow, r.Function, status)
		}
		_ = tw.Flush()
		for _, p := range problems {
			fmt.Fprintf(w, "problem: %s\n", p)
		}
	}
	if failed {
		return 1
	}
	return 0
}

// listSettings prints every setting the app reads.
func listSettings(app *kit.App, w io.Writer, asJSON bool) int {
	owner := map[string]string{}
	for _, f := range app.Flows() {
		for _, s := range f.Settings {
			owner[s.Name] = f.Name
		}
	}
	type row struct {
		Name        string   `json:"name"`
		Flow        string   `json:"flow"`
		Functions   []string `json:"functions,omitempty"`
		Secret      bool     `json:"secret"`
		Required    bool     `json:"required"`
		Default     string   `json:"default,omitempty"`
		Description string   `json:"description"`
	}
	var rows []row
	for _, s := range app.Settings() {
		r := row{Name: s.Name, Flow: owner[s.Name], Functions: s.Functions, Secret: s.Secret, Required: !s.Optional && s.Default == "",
			Default: s.Default, Description: s.Description}
		if r.Flow == "" {
			r.Flow = "platform parts"
		}
		rows = append(rows, r)
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rows)
		return 0
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tFLOW\tSECRET\tDEFAULT\tDESCRIPTION")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\n", r.Name, r.Flow, r.Secret, r.Default, r.Description)
	}
	_ = tw.Flush()
	return 0
}

// ediStatus is `handler edi status`: the outbound EDI documents by state.
func ediStatus(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) int {
	env := cliEnv(getenv, stderr)
	s, err := store.Open(store.Config{URL: env("DATABASE_URL")})
	if err != nil {
		fmt.Fprintf(stderr, "handler edi status: %v\n", err)
		return 2
	}
	defer s.Close()
	return edi.Status(ctx, s, stdout, time.Now())
}
