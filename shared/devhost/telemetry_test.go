package devhost_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/devhost"
	"github.com/popsockets/integration/shared/kql"
)

const intakeFunction = `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"function","methods":["post"],"route":"intake/{partner}"},{"type":"http","direction":"out","name":"res"}]}`

// failureAlert is the alert rule's query with the thresholds main.bicep
// passes for prod (at least 5 invocations, more than 10% failed).
func failureAlert(t *testing.T) string {
	return shippedQuery(t, "function-failure-rate", map[string]string{"__MIN_INVOCATIONS__": "5", "__THRESHOLD_PERCENT__": "10"})
}

func post(t *testing.T, h *devhost.Host, path, body string) (*http.Response, []byte) {
	t.Helper()
	req := newRequest(t, http.MethodPost, h.URL()+path, body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-functions-key", hostKey)
	return do(t, req)
}

// TestHTTPFailuresAreVisibleToTheFailureRateAlert: a forwarded HTTP
// function that answers 503 is, for the host, a successful invocation with
// resultCode 503; the shipped alert query fires on it, and not on 200s.
func TestHTTPFailuresAreVisibleToTheFailureRateAlert(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		fires  bool
	}{{http.StatusServiceUnavailable, true}, {http.StatusOK, false}} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			t.Parallel()
			a := &rawApp{answer: func(w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(tc.status) }}
			h := runHost(t, devhost.Config{AppRoot: appRoot(t, hostJSON, map[string]string{"intake": intakeFunction}),
				Worker: &devhost.ServerWorker{Handler: a}})
			for range 6 {
				resp, _ := post(t, h, "/api/intake/cirro", `{}`)
				require.Equal(t, tc.status, resp.StatusCode)
			}
			reqs := h.Telemetry().Requests()
			require.Len(t, reqs, 6)
			for _, r := range reqs {
				require.True(t, r.Success, "the host records the invocation's result, not the status")
				require.Equal(t, fmt.Sprint(tc.status), r.ResultCode)
				require.Equal(t, "intake", r.OperationName)
				require.NotEmpty(t, r.CustomDimensions["InvocationId"])
			}
			out, err := h.Telemetry().Query(failureAlert(t))
			require.NoError(t, err)
			if !tc.fires {
				require.Empty(t, out.Rows)
				return
			}
			require.Len(t, out.Rows, 1)
			require.Equal(t, "intake", out.Rows[0]["operation_Name"])
			require.Equal(t, 100.0, out.Rows[0]["failure_percent"])
		})
	}
	t.Run("NonHTTPInvocationsHaveResultCodeZeroAndTheirOwnSuccess", func(t *testing.T) {
		t.Parallel()
		a := &rawApp{answer: func(w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(http.StatusInternalServerError) }}
		h := runHost(t, devhost.Config{AppRoot: appRoot(t, hostJSON, map[string]string{"tick": functionFiles["tick"]}),
			Worker: &devhost.ServerWorker{Handler: a}})
		for range 5 {
			inv, err := h.RunTimer(context.Background(), "tick")
			require.NoError(t, err)
			require.False(t, inv.OK)
		}
		r := h.Telemetry().Requests()[0]
		require.False(t, r.Success)
		require.Equal(t, "0", r.ResultCode)
		out, err := h.Telemetry().Query(failureAlert(t))
		require.NoError(t, err)
		require.Len(t, out.Rows, 1)
		require.Equal(t, "tick", out.Rows[0]["operation_Name"])
	})
	t.Run("AQueryThatComparesResultCodeAsANumberIsRefused", func(t *testing.T) {
		t.Parallel()
		h := runHost(t, devhost.Config{AppRoot: appRoot(t, hostJSON, map[string]string{"intake": intakeFunction}),
			Worker: &devhost.ServerWorker{Handler: &rawApp{}}})
		post(t, h, "/api/intake/cirro", `{}`)
		_, err := h.Telemetry().Query(`requests | where resultCode >= 500`)
		require.ErrorContains(t, err, "cannot compare a string with a long", "resultCode is a string column, in Azure too")
	})
}

// chatty writes n JSON lines to stdout per invocation, all for one order.
func chatty(w *devhost.ServerWorker, n int) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			return
		}
		id := r.Header.Get("X-Azure-Functions-InvocationId")
		for i := range n {
			fmt.Fprintf(w.Stdout(), `{"level":"INFO","msg":"step %d","function":"intake","invocation_id":%q,"correlation_id":"ORD-1001"}`+"\n", i, id)
		}
		rw.WriteHeader(http.StatusAccepted)
	})
}

// TestTracesAreNotSampled: the journey query reads traces, so host.json
// must keep traces out of sampling; with the old excludedTypes
// (Request;Exception) a burst of lines loses rows, as Azure would.
func TestTracesAreNotSampled(t *testing.T) {
	t.Parallel()
	fixed := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	journey := func(t *testing.T, hostJSON string) (rows int, items int64, traces []devhost.Trace) {
		w := &devhost.ServerWorker{}
		w.Handler = chatty(w, 100)
		h := runHost(t, devhost.Config{AppRoot: appRoot(t, hostJSON, map[string]string{"intake": intakeFunction}),
			Worker: w, Now: func() time.Time { return fixed }})
		resp, _ := post(t, h, "/api/intake/cirro", `{}`)
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		out, err := h.Telemetry().Query(shippedQuery(t, "order-journey", nil))
		require.NoError(t, err)
		sum, err := h.Telemetry().Query(`traces | where customDimensions.Category == "Host.Function.Console" | summarize n = sum(itemCount)`)
		require.NoError(t, err)
		return len(out.Rows), sum.Rows[0]["n"].(int64), h.Telemetry().Traces()
	}
	t.Run("WithTheRepositorysHostJSON", func(t *testing.T) {
		t.Parallel()
		rows, items, traces := journey(t, repoHostJSON(t))
		require.Equal(t, 100, rows, "every line of the order is in the journey")
		require.EqualValues(t, 100, items)
		for _, tr := range traces {
			require.Equal(t, 1, tr.ItemCount)
		}
	})
	t.Run("WithTracesSampledRowsGoMissing", func(t *testing.T) {
		t.Parallel()
		old := strings.Replace(repoHostJSON(t), `"excludedTypes": "Request;Exception;Trace"`, `"excludedTypes": "Request;Exception"`, 1)
		require.NotEqual(t, repoHostJSON(t), old, "host.json excludes Trace from sampling")
		rows, items, _ := journey(t, old)
		require.Less(t, rows, 100)
		require.InDelta(t, 100, items, 5, "sum(itemCount) still estimates what was sampled away")
	})
}

// TestEachLogLineIsOneTraceRow: a console line is one Host.Function.Console
// row, uncorrelated, with the host's severity rule; a reply Logs entry is
// one Function.<name>.User row, Information, in the invocation's scope,
// and only after a 2xx.
func TestEachLogLineIsOneTraceRow(t *testing.T) {
	t.Parallel()
	w := &devhost.ServerWorker{}
	var fail atomic.Bool
	w.Handler = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			return
		}
		id := r.Header.Get("X-Azure-Functions-InvocationId")
		fmt.Fprintf(w.Stdout(), `{"level":"INFO","msg":"started","invocation_id":%q,"correlation_id":"ORD-1001"}`+"\n", id)
		// A stdout write split across calls is still one line.
		io.WriteString(w.Stdout(), `{"level":"DEBUG","msg":"half`)
		io.WriteString(w.Stdout(), ` and half","correlation_id":"ORD-1001"}`+"\n")
		fmt.Fprintf(w.Stderr(), `{"level":"WARN","msg":"slow partner","correlation_id":"ORD-1001"}`+"\n")
		fmt.Fprintf(w.Stderr(), `{"level":"ERROR","msg":"failed","outcome":"failed","error":"cirro said \u0077arn","correlation_id":"ORD-1001"}`+"\n")
		if fail.Load() {
			rw.WriteHeader(http.StatusInternalServerError)
			return
		}
		rw.Header().Set("Content-Type", "application/json")
		io.WriteString(rw, `{"Outputs":{},"Logs":["reply line"],"ReturnValue":null}`)
	})
	h := runHost(t, devhost.Config{AppRoot: appRoot(t, hostJSON, map[string]string{"tick": functionFiles["tick"]}), Worker: w})
	inv, err := h.RunTimer(context.Background(), "tick")
	require.NoError(t, err)
	require.True(t, inv.OK, inv.Error)

	var console, user, own []devhost.Trace
	for _, tr := range h.Telemetry().Traces() {
		switch tr.CustomDimensions["Category"] {
		case devhost.CategoryConsole:
			console = append(console, tr)
		case "Function.tick.User":
			user = append(user, tr)
		case "Function.tick":
			own = append(own, tr)
		}
	}
	require.Len(t, console, 4)
	require.Equal(t, []int{1, 1, 2, 3}, []int{console[0].SeverityLevel, console[1].SeverityLevel, console[2].SeverityLevel, console[3].SeverityLevel},
		"stdout is Information; stderr is Warning when it says warn, else Error")
	require.Contains(t, console[1].Message, "half and half")
	for _, c := range console {
		require.Empty(t, c.CustomDimensions["InvocationId"], "console lines are not correlated")
		require.Empty(t, c.OperationName)
	}
	require.Len(t, user, 1)
	require.Equal(t, "reply line", user[0].Message)
	require.Equal(t, 1, user[0].SeverityLevel)
	require.Equal(t, inv.ID, user[0].CustomDimensions["InvocationId"])
	require.Equal(t, "tick", user[0].OperationName)
	require.Len(t, own, 2, "the host's Executing and Executed lines")
	require.Contains(t, own[0].Message, "Executing 'Functions.tick'")
	require.Contains(t, own[1].Message, "Executed 'Functions.tick' (Succeeded, Id="+inv.ID)

	out, err := h.Telemetry().Query(shippedQuery(t, "order-journey", nil))
	require.NoError(t, err)
	require.Len(t, out.Rows, 4, "the journey shows each line once")

	fail.Store(true)
	inv, err = h.RunTimer(context.Background(), "tick")
	require.NoError(t, err)
	require.False(t, inv.OK)
	users := 0
	for _, tr := range h.Telemetry().Traces() {
		if tr.CustomDimensions["Category"] == "Function.tick.User" {
			users++
		}
	}
	require.Equal(t, 1, users, "a non-2xx reply's Logs are dropped")
}

// TestTelemetryFiles: with TelemetryDir the rows are also JSON lines on disk.
func TestTelemetryFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h := runHost(t, devhost.Config{AppRoot: appRoot(t, hostJSON, map[string]string{"tick": functionFiles["tick"]}),
		Worker: &devhost.ServerWorker{Handler: &rawApp{}}, TelemetryDir: dir})
	_, err := h.RunTimer(context.Background(), "tick")
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, "requests.jsonl"))
	require.NoError(t, err)
	require.Contains(t, string(b), `"operation_Name":"tick"`)
	b, err = os.ReadFile(filepath.Join(dir, "traces.jsonl"))
	require.NoError(t, err)
	require.Contains(t, string(b), `Executing 'Functions.tick'`)
}

// TestShippedQueriesRunOverTheLocalTelemetry runs every query file over
// telemetry with a failing Service Bus delivery in it.
func TestShippedQueriesRunOverTheLocalTelemetry(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	publish(t, f, "q-1", "broken")
	waitIdle(t, f)
	files, err := filepath.Glob(filepath.Join("..", "..", "infra", "queries", "*.kql"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	subs := map[string]string{"__MIN_INVOCATIONS__": "1", "__THRESHOLD_PERCENT__": "10", "__FUNCTION__": "tick"}
	for _, p := range files {
		name := strings.TrimSuffix(filepath.Base(p), ".kql")
		_, err := f.host.Telemetry().Query(shippedQuery(t, name, subs))
		require.NoError(t, err, name)
	}
	out, err := f.host.Telemetry().Query(shippedQuery(t, "failed-invocations-by-function", nil))
	require.NoError(t, err)
	require.Equal(t, []kql.Row{{"operation_Name": "broken", "resultCode": "0", "class": nil, "failures": int64(3), "logged": int64(0)}}, out.Rows)
}
