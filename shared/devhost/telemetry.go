package devhost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/popsockets/integration/shared/kql"
)

// What Application Insights holds for a Functions app, as far as the
// operators' queries and the alert rules read it:
//
//   - requests: one row per invocation. operation_Name is the function;
//     success is the invocation's result, never the HTTP status: a
//     forwarded HTTP function that answers 503 is success == true with
//     resultCode "503" (DefaultHttpWorkerService.cs returns the response
//     as the function's result; WebJobsTelemetryInitializer.cs keeps the
//     function's Succeeded over the status code). Non-HTTP invocations
//     have resultCode "0" (ApplicationInsightsLogger.cs, LogFunctionResult).
//   - traces: each line the handler writes to stdout or stderr, under
//     Category Host.Function.Console, uncorrelated (no InvocationId, no
//     operation); stdout is Information (1), stderr Error (3), or Warning
//     (2) when the line contains "warn" in any case (WorkerProcess.cs,
//     ParseErrorMessageAndLog, with UseStdErrorStreamForErrorsOnly set for
//     custom handlers in HttpWorkerDescription.cs). The reply's Logs are
//     logged at Information under Function.<name>.User, in the invocation's
//     scope, after a 2xx only (DefaultHttpWorkerService.cs,
//     ProcessLogsFromHttpResponse). The host's own Executing/Executed lines
//     are under Function.<name>.
//
// Sampling follows host.json's logging.applicationInsights.samplingSettings:
// a type listed in excludedTypes is never sampled. For the others the local
// host applies a simple stand-in for adaptive sampling: past
// maxTelemetryItemsPerSecond (20 unless set, ApplicationInsightsLoggerOptionsSetup.cs)
// items of a type within one second, it keeps one item in five and gives it
// itemCount 5, so rows go missing locally as they do in Azure.

// Severity levels as Application Insights stores them.
const (
	severityInformation = 1
	severityWarning     = 2
	severityError       = 3
)

// CategoryConsole is the category of the handler's stdout and stderr lines
// (WorkerConstants.ConsoleLogCategoryName).
const CategoryConsole = "Host.Function.Console"

// maxRows bounds each table in memory; the oldest rows go first.
const maxRows = 100_000

// Request is one row of the requests table.
type Request struct {
	Timestamp        time.Time         `json:"timestamp"`
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	URL              string            `json:"url,omitempty"`
	Success          bool              `json:"success"`
	ResultCode       string            `json:"resultCode"`
	Duration         float64           `json:"duration"` // milliseconds
	OperationName    string            `json:"operation_Name"`
	OperationID      string            `json:"operation_Id"`
	ItemCount        int               `json:"itemCount"`
	CustomDimensions map[string]string `json:"customDimensions"`
}

// Trace is one row of the traces table.
type Trace struct {
	Timestamp        time.Time         `json:"timestamp"`
	Message          string            `json:"message"`
	SeverityLevel    int               `json:"severityLevel"`
	OperationName    string            `json:"operation_Name"`
	OperationID      string            `json:"operation_Id"`
	ItemCount        int               `json:"itemCount"`
	CustomDimensions map[string]string `json:"customDimensions"`
}

var (
	requestColumns = []string{"timestamp", "id", "name", "url", "success", "resultCode", "duration", "operation_Name", "operation_Id", "itemCount", "customDimensions"}
	traceColumns   = []string{"timestamp", "message", "severityLevel", "operation_Name", "operation_Id", "itemCount", "customDimensions"}
)

// Telemetry is what Application Insights would hold for this host.
type Telemetry struct {
	now      func() time.Time
	sampling samplingSettings
	report   func(format string, args ...any)

	mu       sync.Mutex
	requests []Request
	traces   []Trace
	windows  map[string]*sampleWindow
	files    map[string]*os.File
	failed   bool
}

// Requests returns the requests rows so far, oldest first.
func (t *Telemetry) Requests() []Request {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Request(nil), t.requests...)
}

// Traces returns the traces rows so far, oldest first.
func (t *Telemetry) Traces() []Trace {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Trace(nil), t.traces...)
}

// Tables returns the rows as KQL tables named requests and traces.
func (t *Telemetry) Tables() map[string]*kql.Table {
	req := &kql.Table{Columns: requestColumns}
	for _, r := range t.Requests() {
		req.Rows = append(req.Rows, kql.Row{
			"timestamp": r.Timestamp, "id": r.ID, "name": r.Name, "url": r.URL, "success": r.Success,
			"resultCode": r.ResultCode, "duration": r.Duration, "operation_Name": r.OperationName,
			"operation_Id": r.OperationID, "itemCount": r.ItemCount, "customDimensions": copyDims(r.CustomDimensions),
		})
	}
	tr := &kql.Table{Columns: traceColumns}
	for _, r := range t.Traces() {
		tr.Rows = append(tr.Rows, kql.Row{
			"timestamp": r.Timestamp, "message": r.Message, "severityLevel": r.SeverityLevel,
			"operation_Name": r.OperationName, "operation_Id": r.OperationID, "itemCount": r.ItemCount,
			"customDimensions": copyDims(r.CustomDimensions),
		})
	}
	return map[string]*kql.Table{"requests": req, "traces": tr}
}

func copyDims(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Query runs a KQL query over the rows, with ago() counting from the host's clock.
func (t *Telemetry) Query(q string) (*kql.Table, error) {
	return kql.Run(q, kql.Env{Tables: t.Tables(), Now: t.now()})
}

func (t *Telemetry) addRequest(r Request) {
	t.mu.Lock()
	defer t.mu.Unlock()
	keep, n := t.sample("Request", r.Timestamp)
	if !keep {
		return
	}
	r.ItemCount = n
	t.requests = append(t.requests, r)
	if len(t.requests) > maxRows {
		t.requests = t.requests[len(t.requests)-maxRows:]
	}
	t.write("requests", r)
}

func (t *Telemetry) addTrace(r Trace) {
	t.mu.Lock()
	defer t.mu.Unlock()
	keep, n := t.sample("Trace", r.Timestamp)
	if !keep {
		return
	}
	r.ItemCount = n
	t.traces = append(t.traces, r)
	if len(t.traces) > maxRows {
		t.traces = t.traces[len(t.traces)-maxRows:]
	}
	t.write("traces", r)
}

// write appends a row to <dir>/<table>.jsonl when a directory is set. A
// failure is reported once and then files are no longer written.
func (t *Telemetry) write(table string, row any) {
	f := t.files[table]
	if f == nil || t.failed {
		return
	}
	b, err := json.Marshal(row)
	if err == nil {
		_, err = f.Write(append(b, '\n'))
	}
	if err != nil {
		t.failed = true
		t.report("telemetry: writing %s: %v (no more telemetry files this run)", f.Name(), err)
	}
}

func (t *Telemetry) openFiles(dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the telemetry directory: %w", err)
	}
	t.files = map[string]*os.File{}
	for _, table := range []string{"requests", "traces"} {
		f, err := os.OpenFile(filepath.Join(dir, table+".jsonl"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.closeFiles()
			return fmt.Errorf("opening telemetry file: %w", err)
		}
		t.files[table] = f
	}
	return nil
}

func (t *Telemetry) closeFiles() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, f := range t.files {
		_ = f.Close()
	}
	t.files = nil
}

// samplingSettings is host.json's logging.applicationInsights.samplingSettings.
type samplingSettings struct {
	enabled   bool
	perSecond int
	excluded  map[string]bool
	included  map[string]bool
}

// defaultItemsPerSecond is the Functions host's own default
// (ApplicationInsightsLoggerOptionsSetup.cs), not the SDK's 5.
const defaultItemsPerSecond = 20

// sampleEvery is the stand-in sampling ratio past the per-second budget.
const sampleEvery = 5

func loadSampling(appRoot string) (samplingSettings, error) {
	s := samplingSettings{enabled: true, perSecond: defaultItemsPerSecond}
	b, err := os.ReadFile(filepath.Join(appRoot, "host.json"))
	if err != nil {
		return s, fmt.Errorf("reading host.json: %w", err)
	}
	var f struct {
		Logging struct {
			ApplicationInsights struct {
				SamplingSettings *struct {
					IsEnabled                  *bool    `json:"isEnabled"`
					MaxTelemetryItemsPerSecond *float64 `json:"maxTelemetryItemsPerSecond"`
					ExcludedTypes              string   `json:"excludedTypes"`
					IncludedTypes              string   `json:"includedTypes"`
				} `json:"samplingSettings"`
			} `json:"applicationInsights"`
		} `json:"logging"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return s, fmt.Errorf("parsing host.json: %w", err)
	}
	ss := f.Logging.ApplicationInsights.SamplingSettings
	if ss == nil {
		return s, nil
	}
	if ss.IsEnabled != nil {
		s.enabled = *ss.IsEnabled
	}
	if ss.MaxTelemetryItemsPerSecond != nil && *ss.MaxTelemetryItemsPerSecond > 0 {
		s.perSecond = int(*ss.MaxTelemetryItemsPerSecond)
	}
	s.excluded, s.included = typeSet(ss.ExcludedTypes), typeSet(ss.IncludedTypes)
	return s, nil
}

// typeSet reads a semicolon-separated list of telemetry types, case-insensitively.
func typeSet(list string) map[string]bool {
	out := map[string]bool{}
	for _, t := range strings.Split(list, ";") {
		if t = strings.TrimSpace(t); t != "" {
			out[strings.ToLower(t)] = true
		}
	}
	return out
}

// Sampled reports whether items of the telemetry type (Request, Trace,
// Exception, ...) can be sampled away under these settings.
func (s samplingSettings) sampled(kind string) bool {
	k := strings.ToLower(kind)
	if !s.enabled || s.excluded[k] {
		return false
	}
	return len(s.included) == 0 || s.included[k]
}

type sampleWindow struct {
	second time.Time
	n      int
}

// sample decides whether an item is kept and with which itemCount.
func (t *Telemetry) sample(kind string, at time.Time) (bool, int) {
	if !t.sampling.sampled(kind) {
		return true, 1
	}
	w := t.windows[kind]
	if w == nil {
		w = &sampleWindow{}
		t.windows[kind] = w
	}
	if sec := at.Truncate(time.Second); !sec.Equal(w.second) {
		w.second, w.n = sec, 0
	}
	w.n++
	over := w.n - t.sampling.perSecond
	switch {
	case over <= 0:
		return true, 1
	case over%sampleEvery == 0:
		return true, sampleEvery
	}
	return false, 0
}

// consoleLine records one line of the handler's output.
func (t *Telemetry) consoleLine(line string, stderr bool) {
	sev, level := severityInformation, "Information"
	if stderr {
		sev, level = severityError, "Error"
		if strings.Contains(strings.ToLower(line), "warn") {
			sev, level = severityWarning, "Warning"
		}
	}
	t.addTrace(Trace{Timestamp: t.now(), Message: line, SeverityLevel: sev,
		CustomDimensions: map[string]string{"Category": CategoryConsole, "LogLevel": level}})
}

// lineWriter splits what a process writes into lines, as the host's
// OutputDataReceived and ErrorDataReceived handlers see them.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	emit func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimSuffix(string(w.buf[:i]), "\r")
		w.buf = w.buf[i+1:]
		w.emit(line)
	}
	return len(p), nil
}

// invocationScope is what the host's log lines and request row for one
// invocation share.
type invocationScope struct {
	fn          string
	id          string
	operationID string
	start       time.Time
}

func (t *Telemetry) scoped(s invocationScope, at time.Time, category, level string, sev int, msg string) {
	t.addTrace(Trace{Timestamp: at, Message: msg, SeverityLevel: sev, OperationName: s.fn, OperationID: s.operationID,
		CustomDimensions: map[string]string{"Category": category, "LogLevel": level, "InvocationId": s.id}})
}

// executing is the host's line before an invocation.
func (t *Telemetry) executing(s invocationScope, reason string) {
	t.scoped(s, s.start, "Function."+s.fn, "Information", severityInformation,
		fmt.Sprintf("Executing 'Functions.%s' (Reason='%s', Id=%s)", s.fn, reason, s.id))
}

// userLogs are the reply's Logs, in the invocation's scope.
func (t *Telemetry) userLogs(s invocationScope, at time.Time, logs []string) {
	for _, l := range logs {
		t.scoped(s, at, "Function."+s.fn+".User", "Information", severityInformation, l)
	}
}

// executed is the host's line after an invocation, and its requests row.
func (t *Telemetry) executed(s invocationScope, end time.Time, ok bool, resultCode, url, method, path string) {
	d := end.Sub(s.start)
	outcome, level, sev := "Succeeded", "Information", severityInformation
	if !ok {
		outcome, level, sev = "Failed", "Error", severityError
	}
	t.scoped(s, end, "Function."+s.fn, level, sev,
		fmt.Sprintf("Executed 'Functions.%s' (%s, Id=%s, Duration=%dms)", s.fn, outcome, s.id, d.Milliseconds()))
	dims := map[string]string{"InvocationId": s.id, "Category": "Host.Results", "LogLevel": level, "FullName": "Functions." + s.fn}
	if method != "" {
		dims["HttpMethod"], dims["HttpPath"] = method, path
	}
	t.addRequest(Request{Timestamp: s.start, ID: newSpanID(), Name: s.fn, URL: url, Success: ok, ResultCode: resultCode,
		Duration: float64(d.Microseconds()) / 1000, OperationName: s.fn, OperationID: s.operationID, CustomDimensions: dims})
}
