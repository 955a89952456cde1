package kit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/store"
)

// Flow is one business flow: its settings and the functions it registers.
type Flow struct {
	// Name is the flow's name in `handler config check` and /api/health.
	Name string
	// Settings are every app setting the flow's functions read, and the
	// host settings (schedules) its function.json files refer to.
	Settings []Setting
	// Register registers the flow's functions.
	Register func(r *Registry)
}

// MessageFunc handles one Service Bus message.
type MessageFunc = func(ctx context.Context, m *azfunc.Message) error

// TimerFunc handles one timer run.
type TimerFunc = func(ctx context.Context, t *azfunc.Timer) error

// BlobFunc handles one blob.
type BlobFunc = func(ctx context.Context, b *azfunc.Blob) error

// Registry registers one flow's functions on the server.
type Registry struct {
	app  *App
	flow *Flow
	srv  *azfunc.Server
}

// HTTP registers a forwarded HTTP function built by build.
func (r *Registry) HTTP(name, method, route string, build func(p *Parts) (http.Handler, error), opts ...azfunc.HTTPOption) {
	p := r.parts(name)
	h, err := build(p)
	if err = p.done(err); err != nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { azfunc.Fail(w, req, err) })
	}
	r.srv.HTTP(name, method, route, r.app.auditHTTP(h), opts...)
}

// ServiceBus registers a serviceBusTrigger function; binary must match the
// binding's dataType.
func (r *Registry) ServiceBus(name, binding string, binary bool, build func(p *Parts) (MessageFunc, error)) {
	p := r.parts(name)
	h, err := build(p)
	if err = p.done(err); err != nil {
		h = func(context.Context, *azfunc.Message) error { return err }
	}
	r.srv.ServiceBus(name, binding, binary, r.app.auditMessage(h))
}

// Timer registers a timerTrigger function. Every run is recorded in
// timer_runs (its start when it succeeded, its error when it failed, and
// the schedule it runs on), for the poller watchdog; a run whose record
// cannot be written is not failed for it.
func (r *Registry) Timer(name, binding string, build func(p *Parts) (TimerFunc, error)) {
	p := r.parts(name)
	h, err := build(p)
	if err = p.done(err); err != nil {
		h = func(context.Context, *azfunc.Timer) error { return err }
	}
	r.srv.Timer(name, binding, r.app.recordingRuns(name, binding, r.app.auditTimer(h)))
	r.app.mu.Lock()
	r.app.timers = append(r.app.timers, [2]string{name, binding})
	r.app.mu.Unlock()
}

// Timers returns a function giving every timer function the app
// registered with its NCRONTAB schedule (for the poller watchdog); it is
// called when needed, since flows register after the one asking.
func (p *Parts) Timers() func() map[string]string {
	a := p.app
	return func() map[string]string {
		a.mu.Lock()
		timers := append([][2]string(nil), a.timers...)
		a.mu.Unlock()
		out := make(map[string]string, len(timers))
		for _, t := range timers {
			out[t[0]] = a.timerSchedule(t[0], t[1])
		}
		return out
	}
}

// Blob registers a blobTrigger function; binary must match the binding's dataType.
func (r *Registry) Blob(name, binding string, binary bool, build func(p *Parts) (BlobFunc, error)) {
	p := r.parts(name)
	h, err := build(p)
	if err = p.done(err); err != nil {
		h = func(context.Context, *azfunc.Blob) error { return err }
	}
	r.srv.Blob(name, binding, binary, r.app.auditBlob(h))
}

func (r *Registry) parts(function string) *Parts {
	return &Parts{app: r.app, flow: r.flow, function: function}
}

// Parts are what one function is built from. Each accessor records what
// the function needs; a missing or malformed setting behind it makes the
// function a stub that names the setting.
type Parts struct {
	app      *App
	flow     *Flow
	function string
	problems []error // missing or malformed settings
	failures []error // what a constructor refused, reported when no setting is at fault
	reads    []string
}

// Function is the name of the function being built.
func (p *Parts) Function() string { return p.function }

// Setting returns the value (or default) of one of the flow's settings.
func (p *Parts) Setting(name string) string {
	s, ok := p.app.setting(p.flow, name)
	if !ok {
		panic(fmt.Sprintf("kit: flow %s reads setting %s, which neither it nor the platform declares", p.flow.Name, name))
	}
	return p.read(s)
}

func (p *Parts) read(s Setting) string {
	if !slices.Contains(p.reads, s.Name) {
		p.reads = append(p.reads, s.Name)
	}
	v := p.app.value(s)
	if err := s.problem(v); err != nil {
		p.problems = append(p.problems, err)
	}
	return v
}

// Int returns a setting as a whole number (0 when it is empty or malformed,
// which is then recorded).
func (p *Parts) Int(name string) int {
	v := p.Setting(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.problems = append(p.problems, fmt.Errorf("%s is not a whole number", name))
	}
	return n
}

// Fail records a problem found while building (a key that does not
// decode, a client that refuses its configuration).
func (p *Parts) Fail(err error) {
	if err != nil {
		p.failures = append(p.failures, err)
	}
}

// Store is the database.
func (p *Parts) Store() *store.Store {
	s, err := p.app.openStore(p)
	if err != nil {
		p.problems = append(p.problems, err)
	}
	return s
}

// Outbox is where the function's messages leave from, for the given
// topics (logical names from infra/messaging.json), whose entity-name
// settings it needs.
func (p *Parts) Outbox(topics ...string) *Outbox {
	for _, t := range topics {
		s, ok := p.app.topicSetting(t)
		if !ok {
			panic(fmt.Sprintf("kit: function %s publishes to topic %q, which infra/messaging.json does not declare", p.function, t))
		}
		p.read(s)
	}
	p.Store()
	if err := p.app.openPublisher(p); err != nil {
		p.problems = append(p.problems, err)
	}
	return p.app.outbox
}

// Blobs is archive and staging storage.
func (p *Parts) Blobs() blob.Store {
	b, err := p.app.openBlobs(p)
	if err != nil {
		p.problems = append(p.problems, err)
	}
	return b
}

// Alerts sends alerts to people (Teams; the logs when Teams is not set up).
func (p *Parts) Alerts() *Alerts {
	p.Store()
	p.read(p.app.platform("ENVIRONMENT"))
	p.read(p.app.platform("TEAMS_WORKFLOW_URL"))
	return p.app.alerts
}

// DeadLetters counts the dead-letter queues (nil without Service Bus).
func (p *Parts) DeadLetters() DeadLetterCounter {
	if err := p.app.openPublisher(p); err != nil {
		p.problems = append(p.problems, err)
	}
	return p.app.deadLetters
}

// Environment is dev, test or prod.
func (p *Parts) Environment() string { return p.read(p.app.platform("ENVIRONMENT")) }

// Version is the build's revision.
func (p *Parts) Version() string { return p.app.cfg.Version }

// Logger is the process logger (for work outside an invocation; handlers
// use azfunc.Logger(ctx)).
func (p *Parts) Logger() *slog.Logger { return p.app.log }

// Now is the clock.
func (p *Parts) Now() func() time.Time { return p.app.cfg.Now }

// HTTPClient is the shared client for partners without a client package's
// own transport.
func (p *Parts) HTTPClient() *http.Client { return p.app.cfg.HTTPClient }

// Parker keeps an input the function will not act on (parked_messages)
// and wakes the alert sender.
func (p *Parts) Parker() *Parking {
	p.Store()
	p.Alerts()
	return &Parking{app: p.app}
}

// Parking parks inputs outside the host's own parking of failed messages
// (an HTTP event the layer refuses to act on, but keeps).
type Parking struct{ app *App }

// Park stores the input and, when it is new, has people told.
func (k *Parking) Park(ctx context.Context, in azfunc.Parked) (azfunc.ParkResult, error) {
	res, err := k.app.Park(ctx, in)
	if err != nil {
		return res, err
	}
	azfunc.Logger(ctx).Warn("input parked", "parked_id", res.ID, "first_time", res.First, "reason", in.Reason)
	if res.First {
		k.app.alerts.Kick()
	}
	return res, nil
}

// Readiness reports, when asked, whether each flow's functions are all
// configured, and the database answers at the binary's schema.
func (p *Parts) Readiness() *App { return p.app }

// done joins what went wrong while building, naming the function.
func (p *Parts) done(buildErr error) error {
	p.app.recordReads(p.flow, p.function, p.reads)
	errs := p.problems
	if len(errs) == 0 {
		// A client refusing its configuration is most often the setting
		// already named; say it only when no setting is.
		errs = p.failures
	}
	if buildErr != nil {
		errs = append(errs, buildErr)
	}
	var err error
	if len(errs) > 0 {
		seen := map[string]bool{}
		var uniq []error
		for _, e := range errs {
			if !seen[e.Error()] {
				seen[e.Error()] = true
				uniq = append(uniq, e)
			}
		}
		err = fmt.Errorf("%s is not configured: %w", p.function, errors.Join(uniq...))
	}
	p.app.recordStatus(FunctionStatus{Flow: p.flow.Name, Function: p.function, Err: err})
	return err
}

// FunctionStatus says whether one function is configured.
type FunctionStatus struct {
	Flow     string
	Function string
	// Err names every missing or malformed setting; nil when ready.
	Err error
}

// Status lists every registered function, by flow then name.
func (a *App) Status() []FunctionStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := append([]FunctionStatus(nil), a.status...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Flow != out[j].Flow {
			return out[i].Flow < out[j].Flow
		}
		return out[i].Function < out[j].Function
	})
	return out
}

// FlowsReady says, per flow, whether every one of its functions is configured.
func (a *App) FlowsReady() map[string]bool {
	out := map[string]bool{}
	for _, s := range a.Status() {
		if _, ok := out[s.Flow]; !ok {
			out[s.Flow] = true
		}
		out[s.Flow] = out[s.Flow] && s.Err == nil
	}
	return out
}

// Reads lists, per function, the settings its build read (for the test
// that holds them to the declarations).
func (a *App) Reads() map[string][]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string][]string{}
	for k, v := range a.reads {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func (a *App) recordReads(f *Flow, function string, reads []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reads[function] = reads
}

func (a *App) recordStatus(s FunctionStatus) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.status = append(a.status, s)
}

// recordTimeout bounds writing a timer's run, after the run.
const recordTimeout = 5 * time.Second

// recordingRuns wraps a timer so that each run is recorded in timer_runs.
func (a *App) recordingRuns(name, binding string, h TimerFunc) TimerFunc {
	var once sync.Once
	var schedule string
	return func(ctx context.Context, t *azfunc.Timer) error {
		started := a.cfg.Now()
		err := h(ctx, t)
		if a.store == nil {
			return err
		}
		once.Do(func() { schedule = a.timerSchedule(name, binding) })
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
		defer cancel()
		rec := store.TimerOutcome{Function: name, Schedule: schedule, StartedAt: started, InvocationID: azfunc.Info(ctx).ID, Err: err}
		if rerr := a.store.RecordTimerRun(rctx, rec); rerr != nil {
			azfunc.Logger(ctx).Warn("timer run not recorded; the poller watchdog may think it stopped", "error", rerr)
		}
		return err
	}
}

// timerSchedule is the NCRONTAB schedule of a timer function, from its
// functions/<name>/function.json under the app root (FUNCTIONS_APP_ROOT_PATH,
// or the working directory, as the host starts the handler in it), with a
// %SETTING% resolved as the host resolves it: the app setting, or the
// declared default. "" when it cannot be read (a test without the files).
func (a *App) timerSchedule(name, binding string) string {
	root := a.cfg.Getenv("FUNCTIONS_APP_ROOT_PATH")
	if root == "" {
		root = "."
	}
	b, err := os.ReadFile(filepath.Join(root, "functions", name, "function.json"))
	if err != nil {
		return ""
	}
	var fj struct {
		Bindings []struct {
			Type     string `json:"type"`
			Name     string `json:"name"`
			Schedule string `json:"schedule"`
		} `json:"bindings"`
	}
	if json.Unmarshal(b, &fj) != nil {
		return ""
	}
	for _, bd := range fj.Bindings {
		if !strings.EqualFold(bd.Type, "timerTrigger") || (bd.Name != binding && binding != "") {
			continue
		}
		sched := strings.TrimSpace(bd.Schedule)
		if len(sched) > 2 && strings.HasPrefix(sched, "%") && strings.HasSuffix(sched, "%") {
			setting := sched[1 : len(sched)-1]
			sched = strings.TrimSpace(a.cfg.Getenv(setting))
			if sched == "" {
				sched = a.declaredDefault(setting)
			}
		}
		return sched
	}
	return ""
}

// declaredDefault is the default of a setting any flow or the platform declares.
func (a *App) declaredDefault(name string) string {
	if s, ok := a.settings[name]; ok {
		return s.Default
	}
	for _, set := range a.flowSet {
		if s, ok := set[name]; ok {
			return s.Default
		}
	}
	return ""
}
