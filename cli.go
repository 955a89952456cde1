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
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/store"
)

// localSettingsFile is where `handler dev` writes the settings of the local
// run, so that trace and replay work against it from another terminal.
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

func writeLocalSettings(dir string, values map[string]string) error {
	b, err := json.MarshalIndent(values, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, filepath.Base(localSettingsFile)), b, 0o600)
}

// trace prints an order's journey: every state change, who caused it and
// when, then anything parked for the order.
func trace(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("trace", flag.ContinueOnError)
	fl.SetOutput(stderr)
	asJSON := fl.Bool("json", false, "print JSON instead of a timeline")
	if err := fl.Parse(args); err != nil || fl.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: handler trace [-json] <order-id>")
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
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(t)
	} else {
		printTrace(stdout, t)
	}
	if t.Order == nil && len(t.Journey) == 0 {
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
	if t.Order == nil && len(t.Journey) == 0 {
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

// replay re-drives a parked message through its function, in this process,
// with this build's code and the current settings (run it after fixing
// what made the message fail).
func replay(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("replay", flag.ContinueOnError)
	fl.SetOutput(stderr)
	force := fl.Bool("force", false, "replay even if the message was already replayed")
	if err := fl.Parse(args); err != nil || fl.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: handler replay [-force] <parked-id>")
		return 2
	}
	id, err := strconv.ParseInt(fl.Arg(0), 10, 64)
	if err != nil {
		fmt.Fprintf(stderr, "handler replay: %q is not a parked message id\n", fl.Arg(0))
		return 2
	}
	env := cliEnv(getenv, stderr)
	cfg, cfgErr := loadConfig(env, catalog())
	logging := azfunc.NewLogging(stderr, stderr, cfg.LogLevel, cfg.secrets)
	d := buildDeps(cfg, cfgErr, logging.Logger())
	if d.store == nil {
		fmt.Fprintf(stderr, "handler replay: %v\n", d.configErr)
		return 2
	}
	defer d.store.Close()
	srv, err := azfunc.NewServer(azfunc.Config{Logging: logging, Parker: d, Gate: d, Alerter: d.alerter()})
	if err != nil {
		fmt.Fprintf(stderr, "handler replay: %v\n", err)
		return 1
	}
	register(srv, d)
	res, err := replayParked(ctx, srv, d.store, id, *force)
	if err != nil {
		fmt.Fprintf(stderr, "handler replay: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, res)
	if strings.HasPrefix(res, "replayed") {
		return 0
	}
	return 1
}

// replayParked rebuilds the host's invocation from the parked row and runs
// it through the server's own handler.
func replayParked(ctx context.Context, srv *azfunc.Server, s *store.Store, id int64, force bool) (string, error) {
	p, err := s.GetParked(ctx, id)
	if err != nil {
		return "", err
	}
	if !p.Open() && !force {
		return fmt.Sprintf("parked message %d was already replayed at %s (use -force to replay it again)", id, p.ReplayedAt.UTC().Format(time.RFC3339)), nil
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
	body, err := json.Marshal(map[string]any{"Data": map[string]json.RawMessage{reg.Binding: data}, "Metadata": p.Metadata})
	if err != nil {
		return "", err
	}
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/"+p.Function, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Azure-Functions-InvocationId", fmt.Sprintf("replay-%d-%d", id, time.Now().Unix()))
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return fmt.Sprintf("replay of %d failed (transient, %d): it stays parked; see the log line above", id, rec.Code), nil
	}
	after, err := s.GetParked(ctx, id)
	if err != nil {
		return "", err
	}
	if after.TimesSeen > p.TimesSeen {
		return fmt.Sprintf("replay of %d failed again and is parked: %s", id, after.Reason), nil
	}
	if err := s.MarkReplayed(ctx, id); err != nil {
		return "", err
	}
	return fmt.Sprintf("replayed %d through %s: succeeded", id, p.Function), nil
}
