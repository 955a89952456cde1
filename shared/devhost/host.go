package devhost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/messaging"
)

// BlobSource is the local blob store the host watches for blob triggers.
type BlobSource interface {
	List(ctx context.Context, container, prefix string) ([]blob.Info, error)
	Get(ctx context.Context, container, name string) ([]byte, blob.Info, error)
}

// Config configures a local host.
type Config struct {
	// AppRoot holds host.json and functions/.
	AppRoot string
	// Catalog is infra/messaging.json.
	Catalog *messaging.Catalog
	// Settings are the app settings (local settings plus overrides); the
	// handler gets them as its environment.
	Settings map[string]string
	// Worker runs the handler.
	Worker Worker
	// Addr is where partners and people call (default 127.0.0.1:7071).
	Addr string
	// Listener, when set, is used instead of listening on Addr.
	Listener net.Listener
	// Blobs is the local blob store for blob triggers (nil: no blob triggers).
	Blobs BlobSource
	// BlobPollInterval is how often the store is looked at for new blobs,
	// which become Event Grid BlobCreated events (default 1 s).
	BlobPollInterval time.Duration
	// RedeliveryDelay is the pause before an abandoned message is delivered
	// again (Service Bus: none; default 0).
	RedeliveryDelay time.Duration
	// FunctionKeys are the keys that open authLevel "function" endpoints:
	// the key named "default" opens every function (the host key), a key
	// named after a function opens that function only.
	FunctionKeys map[string]string
	// MasterKey opens every endpoint, the admin API included. Empty: the
	// host makes one up, as the real host does on first start (MasterKey()).
	MasterKey string
	// TelemetryDir, when set, receives requests.jsonl and traces.jsonl:
	// the rows Application Insights would hold (Telemetry()).
	TelemetryDir string
	// InitializationTimeout is how long each start of the handler may take
	// to answer GET / (default 30 s, as HttpWorkerOptions.InitializationTimeout).
	InitializationTimeout time.Duration
	// Out receives one human line per invocation (nil: discard).
	Out io.Writer
	// OnInvocation, when set, sees every finished invocation (tests).
	OnInvocation func(Invocation)
	// DisableTimers stops schedules from firing (tests trigger them by hand).
	DisableTimers bool
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Invocation is a finished invocation as the host saw it.
type Invocation struct {
	ID            string        `json:"id"`
	Function      string        `json:"function"`
	Trigger       string        `json:"trigger"`
	MessageID     string        `json:"message_id,omitempty"`
	CorrelationID string        `json:"correlation_id,omitempty"`
	DeliveryCount int           `json:"delivery_count,omitempty"`
	Status        int           `json:"status"`
	OK            bool          `json:"ok"`
	Error         string        `json:"error,omitempty"`
	Duration      time.Duration `json:"duration_ns"`
	Logs          []string      `json:"logs,omitempty"`
	At            time.Time     `json:"at"`
}

// Host is a running local Functions host.
type Host struct {
	cfg       Config
	host      *azfunc.HostJSON
	functions map[string]*Function
	namespace string
	telemetry *Telemetry
	systemKey string // the blobs_extension system key of the blob webhook

	mu        sync.Mutex
	workerURL string
	workerUp  chan struct{} // closed while the handler is answering
	ready     chan struct{}
	history   []Invocation
	client    *http.Client
	sup       *supervisor

	runCtx context.Context // lives while Run runs; manual triggers use it

	broker *broker
	timers *timers
	blobs  *blobWatcher
	url    string
	ln     net.Listener
}

const hostVersion = "4.1036.1.0-devhost"

// New loads and checks the app: host.json, every function.json with its
// settings resolved, and each function's topic and subscription.
func New(cfg Config) (*Host, error) {
	if cfg.Worker == nil {
		return nil, errors.New("devhost: Config.Worker is required")
	}
	if cfg.Catalog == nil {
		return nil, errors.New("devhost: Config.Catalog is required")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:7071"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.BlobPollInterval <= 0 {
		cfg.BlobPollInterval = time.Second
	}
	if cfg.InitializationTimeout <= 0 {
		cfg.InitializationTimeout = defaultInitializationTimeout
	}
	if cfg.MasterKey == "" {
		cfg.MasterKey = newKey()
	}
	hj, err := azfunc.LoadHostJSON(cfg.AppRoot)
	if err != nil {
		return nil, err
	}
	sampling, err := loadSampling(cfg.AppRoot)
	if err != nil {
		return nil, err
	}
	raw, err := LoadFunctions(cfg.AppRoot)
	if err != nil {
		return nil, err
	}
	if errs := Check(raw, cfg.Catalog, cfg.Settings); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	h := &Host{cfg: cfg, host: hj, functions: map[string]*Function{}, namespace: "devhost.servicebus.local",
		ready: make(chan struct{}), workerUp: make(chan struct{}), systemKey: newKey(),
		// The host's client to the handler: no cookies, no redirects when
		// forwarding, and functionTimeout plus a minute (DefaultHttpWorkerService.cs).
		client: &http.Client{
			Transport:     hostTransport(),
			Timeout:       hj.FunctionTimeout + time.Minute,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}}
	h.telemetry = &Telemetry{now: cfg.Now, sampling: sampling, report: h.printf, windows: map[string]*sampleWindow{}}
	var errs []error
	for _, f := range raw {
		r, err := f.Resolve(cfg.Settings)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if t := r.Trigger(); t.Type == "httpTrigger" && !(hj.Forwarding && r.IsForwardedHTTP()) {
			errs = append(errs, fmt.Errorf("function %s: the local host supports forwarded HTTP functions only (one httpTrigger, one http output, enableForwardingHttpRequest)", r.Name))
		}
		h.functions[r.Name] = r
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if h.broker, err = newBroker(h); err != nil {
		return nil, err
	}
	if h.timers, err = newTimers(h); err != nil {
		return nil, err
	}
	if h.blobs, err = newBlobWatcher(h); err != nil {
		return nil, err
	}
	return h, nil
}

// hostTransport adds nothing to what the host sends: no Accept-Encoding
// (.NET's HttpClientHandler does not decompress unless told to).
func hostTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableCompression = true
	return t
}

// URL is the host's base URL once Run has started listening.
func (h *Host) URL() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.url
}

// MasterKey is the admin key: Config.MasterKey, or the one the host made up.
func (h *Host) MasterKey() string { return h.cfg.MasterKey }

// Telemetry is what Application Insights would hold for this host.
func (h *Host) Telemetry() *Telemetry { return h.telemetry }

// Ready is closed once the handler answers and triggers are running.
func (h *Host) Ready() <-chan struct{} { return h.ready }

// Run listens, starts the handler, and runs triggers until ctx ends.
func (h *Host) Run(ctx context.Context) error {
	if err := h.telemetry.openFiles(h.cfg.TelemetryDir); err != nil {
		return err
	}
	defer h.telemetry.closeFiles()
	ln := h.cfg.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", h.cfg.Addr); err != nil {
			return fmt.Errorf("listening on %s: %w", h.cfg.Addr, err)
		}
	}
	h.mu.Lock()
	h.ln, h.url = ln, "http://"+ln.Addr().String()
	h.mu.Unlock()
	srv := &http.Server{Handler: h.frontDoor(), ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	env := map[string]string{}
	for k, v := range h.cfg.Settings {
		env[k] = v
	}
	env["FUNCTIONS_APP_ROOT_PATH"] = h.cfg.AppRoot
	env["FUNCTIONS_CUSTOMHANDLER_WORKER_ID"] = newGUID()
	env["DEVHOST_URL"] = h.URL()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	h.mu.Lock()
	h.runCtx = runCtx
	h.mu.Unlock()
	sup := newSupervisor(h, env)
	h.mu.Lock()
	h.sup = sup
	h.mu.Unlock()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Add(1)
	go func() { defer wg.Done(); sup.run(runCtx) }()

	select {
	case <-sup.started:
	case err := <-sup.failed:
		return fmt.Errorf("starting the handler: %w", err)
	case err := <-serveErr:
		return err
	case <-ctx.Done():
		return nil
	}
	h.printf("handler ready at %s; host listening on %s", h.worker(), h.URL())

	for _, fn := range []func(context.Context){h.broker.run, h.blobs.run} {
		wg.Add(1)
		go func() { defer wg.Done(); fn(runCtx) }()
	}
	if !h.cfg.DisableTimers {
		wg.Add(1)
		go func() { defer wg.Done(); h.timers.run(runCtx) }()
	}
	close(h.ready)

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	case err = <-sup.failed:
	}
	return err
}

func (h *Host) worker() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.workerURL
}

func (h *Host) setWorker(url string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.workerURL = url
	select {
	case <-h.workerUp:
	default:
		close(h.workerUp)
	}
}

// workerDown holds new invocations until the handler is back, as the real
// host does while it restarts the handler.
func (h *Host) workerDown() {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.workerUp:
		h.workerUp = make(chan struct{})
	default:
	}
}

func (h *Host) awaitWorker(ctx context.Context) (string, error) {
	h.mu.Lock()
	up := h.workerUp
	h.mu.Unlock()
	select {
	case <-up:
		return h.worker(), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// restartWorker kills the handler at base after a function timeout; the
// supervisor starts it again. A handler that is already gone is left
// alone: the real host only restarts the worker that ran the invocation
// (HttpFunctionInvocationDispatcher.RestartWorkerWithInvocationIdAsync).
func (h *Host) restartWorker(base, reason string) {
	h.mu.Lock()
	sup, current := h.sup, h.workerURL
	up := isClosed(h.workerUp)
	h.mu.Unlock()
	if sup != nil && up && current == base {
		sup.restart(reason)
	}
}

// console is where the handler's output goes: line by line into traces.
func (h *Host) console(stderr bool) io.Writer {
	return &lineWriter{emit: func(line string) { h.telemetry.consoleLine(line, stderr) }}
}

// Functions lists the loaded functions by name.
func (h *Host) Functions() []string {
	names := make([]string, 0, len(h.functions))
	for n := range h.functions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Invocations returns the finished invocations so far (the last 1,000).
func (h *Host) Invocations() []Invocation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Invocation(nil), h.history...)
}

func (h *Host) record(inv Invocation) {
	h.mu.Lock()
	h.history = append(h.history, inv)
	if len(h.history) > 1000 {
		h.history = h.history[len(h.history)-1000:]
	}
	h.mu.Unlock()
	h.report(inv)
	if h.cfg.OnInvocation != nil {
		h.cfg.OnInvocation(inv)
	}
}

// errFunctionTimeout means the handler ran past functionTimeout; the host restarts it.
var errFunctionTimeout = errors.New("function timeout: restarting the handler")

// triggerReason is the Reason of the host's Executing line.
func triggerReason(fn *Function) string {
	t := fn.Trigger()
	switch t.Type {
	case "serviceBusTrigger":
		return fmt.Sprintf("New ServiceBus message detected on '%s/Subscriptions/%s'.", t.TopicName, t.SubscriptionName)
	case "timerTrigger":
		return "Timer fired"
	case "blobTrigger":
		return "New blob detected: " + t.Path
	}
	return "This function was programmatically called via the host APIs."
}

// invoke posts one invocation and applies the host's rule: only a 2xx with
// application/json counts as success. It records the invocation as
// Application Insights would: the host's lines, the reply's Logs after a
// 2xx, and a requests row with resultCode "0".
func (h *Host) invoke(ctx context.Context, fn *Function, body invocation, inv *Invocation) {
	start := h.cfg.Now()
	inv.ID, inv.Function, inv.At = newGUID(), fn.Name, start
	inv.Trigger = fn.Trigger().Type
	scope := invocationScope{fn: fn.Name, id: inv.ID, operationID: newTraceID(), start: start}
	h.telemetry.executing(scope, triggerReason(fn))
	defer func() {
		end := h.cfg.Now()
		inv.Duration = end.Sub(start)
		h.telemetry.userLogs(scope, end, inv.Logs)
		h.telemetry.executed(scope, end, inv.OK, "0", "", "", "")
		h.record(*inv)
	}()
	payload, err := json.Marshal(body)
	if err != nil {
		inv.Error = err.Error()
		return
	}
	base, err := h.awaitWorker(ctx)
	if err != nil {
		inv.Error = "waiting for the handler: " + err.Error()
		return
	}
	ctx, cancel := context.WithTimeout(ctx, h.host.FunctionTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/"+fn.Name, bytes.NewReader(payload))
	if err != nil {
		inv.Error = err.Error()
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Azure-Functions-InvocationId", inv.ID)
	req.Header.Set("X-Azure-Functions-HostVersion", hostVersion)
	req.Header.Set("User-Agent", "Azure-Functions-Host/"+hostVersion)
	resp, err := h.client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			inv.Error = errFunctionTimeout.Error()
			h.restartWorker(base, "function timeout")
			return
		}
		inv.Error = "calling handler: " + err.Error()
		return
	}
	defer resp.Body.Close()
	inv.Status = resp.StatusCode
	respBody, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		inv.Error = fmt.Sprintf("handler answered %d", resp.StatusCode)
		return
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		inv.Error = "handler answered without Content-Type application/json"
		return
	}
	var reply struct {
		Logs []string `json:"Logs"`
	}
	if err := json.Unmarshal(respBody, &reply); err != nil {
		inv.Error = "handler answered invalid JSON: " + err.Error()
		return
	}
	inv.Logs, inv.OK = reply.Logs, true
}

func (h *Host) printf(format string, args ...any) {
	fmt.Fprintf(h.cfg.Out, "%s  %s\n", h.cfg.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

func (h *Host) report(inv Invocation) {
	outcome := "ok"
	if inv.Trigger == "httpTrigger" && inv.Status > 0 {
		outcome = fmt.Sprint(inv.Status)
	}
	if !inv.OK {
		outcome = "FAILED"
	}
	line := fmt.Sprintf("%-6s %-28s %6dms", outcome, inv.Function, inv.Duration.Milliseconds())
	if inv.DeliveryCount > 0 {
		line += fmt.Sprintf("  delivery %d", inv.DeliveryCount)
	}
	if inv.CorrelationID != "" {
		line += "  corr " + inv.CorrelationID
	}
	if inv.Error != "" {
		line += "  (" + inv.Error + ")"
	}
	h.printf("%s", line)
}
