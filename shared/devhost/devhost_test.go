package devhost_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/devhost"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/messaging"
)

const catalogJSON = `{
  "topicNamePattern": "int-{env}-{topic}",
  "defaults": {"maxDeliveryCount": 3, "lockDuration": "PT1M", "defaultMessageTimeToLive": "P14D", "duplicateDetectionHistoryTimeWindow": "PT10M"},
  "topics": [
    {"name": "work", "setting": "TOPIC_WORK", "subscriptions": [
      {"name": "flaky", "maxDeliveryCount": 5, "correlationFilter": {"properties": {"target": "flaky"}}},
      {"name": "broken", "correlationFilter": {"properties": {"target": "broken"}}},
      {"name": "audit"}
    ]},
    {"name": "done", "setting": "TOPIC_DONE", "subscriptions": [{"name": "sink"}]}
  ]
}`

var settings = map[string]string{
	"TOPIC_WORK": "int-test-work", "TOPIC_DONE": "int-test-done", "TICK_SCHEDULE": "0 0 0 1 1 *",
}

// hostKey is the host key ("default") the test hosts accept.
const hostKey = "test-host-key"

var functionFiles = map[string]string{
	"flaky":  `{"bindings":[{"type":"serviceBusTrigger","direction":"in","name":"msg","topicName":"%TOPIC_WORK%","subscriptionName":"flaky","connection":"ServiceBusConnection"}]}`,
	"broken": `{"bindings":[{"type":"serviceBusTrigger","direction":"in","name":"msg","topicName":"%TOPIC_WORK%","subscriptionName":"broken","connection":"ServiceBusConnection"}]}`,
	"sink":   `{"bindings":[{"type":"serviceBusTrigger","direction":"in","name":"msg","topicName":"%TOPIC_DONE%","subscriptionName":"sink","connection":"ServiceBusConnection"}]}`,
	"tick":   `{"bindings":[{"type":"timerTrigger","direction":"in","name":"myTimer","schedule":"%TICK_SCHEDULE%"}]}`,
	"intake": `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"function","methods":["post"],"route":"intake/{partner}"},{"type":"http","direction":"out","name":"res"}]}`,
}

const hostJSON = `{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"handler"},"enableForwardingHttpRequest":true},
 "functionTimeout":"00:00:02","extensions":{"http":{"routePrefix":"api"},"serviceBus":{"maxConcurrentCalls":2}}}`

func writeApp(t *testing.T, host string, fns map[string]string) string {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "host.json"), []byte(host), 0o644))
	for name, body := range fns {
		dir := filepath.Join(root, "functions", name)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "function.json"), []byte(body), 0o644))
	}
	return root
}

// app is the handler side: an azfunc server with behaviours the tests steer.
type app struct {
	mu          sync.Mutex
	deliveries  map[string][]int // function -> delivery counts seen
	inFlight    atomic.Int32
	maxInFlight atomic.Int32
	gate        chan struct{} // when set, "flaky" waits on it
	timers      []*azfunc.Timer
	blobs       []*azfunc.Blob
	failBlobs   bool
	publisher   bus.Publisher
	hang        atomic.Bool
}

func (a *app) seen(fn string, count int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.deliveries[fn] = append(a.deliveries[fn], count)
}

func (a *app) counts(fn string) []int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]int(nil), a.deliveries[fn]...)
}

type parker struct{}

func (parker) Park(context.Context, azfunc.Parked) (azfunc.ParkResult, error) {
	return azfunc.ParkResult{ID: 1, First: true}, nil
}

func (a *app) server(t *testing.T) *azfunc.Server {
	t.Helper()
	srv, err := azfunc.NewServer(azfunc.Config{Logging: azfunc.NewLogging(io.Discard, io.Discard, nil, nil), Parker: parker{},
		// The host's redelivery is under test: give up at once inside the invocation.
		RetryBudget: time.Nanosecond})
	require.NoError(t, err)
	// flaky fails its first two deliveries of each message, then publishes to "done".
	srv.ServiceBus("flaky", "msg", false, func(ctx context.Context, m *azfunc.Message) error {
		n := a.inFlight.Add(1)
		defer a.inFlight.Add(-1)
		for {
			old := a.maxInFlight.Load()
			if n <= old || a.maxInFlight.CompareAndSwap(old, n) {
				break
			}
		}
		a.seen("flaky", m.DeliveryCount)
		if a.gate != nil {
			<-a.gate
		}
		if a.hang.Load() {
			<-ctx.Done()
			return ctx.Err()
		}
		if m.DeliveryCount < 3 {
			return errors.New("cirro answered 503")
		}
		if a.publisher == nil {
			return nil
		}
		env, err := bus.Request("", "work.done", bus.ObjectOrder, m.CorrelationID, map[string]string{"from": m.MessageID}, time.Now())
		if err != nil {
			return err
		}
		return a.publisher.Publish(ctx, bus.Message{Topic: "done", Key: m.MessageID + "/done", Envelope: env})
	})
	srv.ServiceBus("broken", "msg", false, func(_ context.Context, m *azfunc.Message) error {
		a.seen("broken", m.DeliveryCount)
		return errors.New("always failing")
	})
	srv.ServiceBus("sink", "msg", false, func(_ context.Context, m *azfunc.Message) error {
		a.seen("sink", m.DeliveryCount)
		if _, err := bus.DecodeEnvelope(m.Body); err != nil {
			return fault.Malformed(err)
		}
		return nil
	})
	srv.Timer("tick", "myTimer", func(_ context.Context, tm *azfunc.Timer) error {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.timers = append(a.timers, tm)
		return nil
	})
	srv.Blob("landing", "file", true, func(_ context.Context, b *azfunc.Blob) error {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.blobs = append(a.blobs, b)
		if a.failBlobs {
			return errors.New("warehouse file unreadable right now")
		}
		return nil
	})
	srv.HTTP("intake", "POST", "intake/{partner}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Correlation-Id", "ORD-"+r.PathValue("partner"))
		azfunc.WriteJSON(w, http.StatusAccepted, map[string]string{"partner": r.PathValue("partner"), "query": r.URL.RawQuery})
	}))
	return srv
}

type fixture struct {
	host  *devhost.Host
	app   *app
	blobs *blob.FS
	out   *strings.Builder
}

func start(t *testing.T, mutate func(*devhost.Config, *app)) *fixture {
	t.Helper()
	cat, err := messaging.Parse([]byte(catalogJSON))
	require.NoError(t, err)
	fs, err := blob.NewFS(blob.FSConfig{Root: t.TempDir()})
	require.NoError(t, err)
	a := &app{deliveries: map[string][]int{}}
	out := &lockedBuilder{}
	cfg := devhost.Config{
		AppRoot: writeApp(t, hostJSON, functionFiles), Catalog: cat, Settings: settings,
		FunctionKeys: map[string]string{"default": hostKey},
		Worker:       &devhost.ServerWorker{Handler: a.server(t).Handler()}, Addr: "127.0.0.1:0",
		Blobs: fs, Out: out, DisableTimers: true, BlobPollInterval: time.Hour,
	}
	if mutate != nil {
		mutate(&cfg, a)
	}
	h, err := devhost.New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	select {
	case <-h.Ready():
	case err := <-done:
		t.Fatalf("host stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("host not ready")
	}
	if a.publisher == nil {
		p, err := bus.NewLocal(bus.LocalConfig{URL: h.URL(), Topics: map[string]string{"work": "int-test-work", "done": "int-test-done"}})
		require.NoError(t, err)
		a.publisher = p
	}
	return &fixture{host: h, app: a, blobs: fs, out: &out.Builder}
}

type lockedBuilder struct {
	mu sync.Mutex
	strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.Builder.Write(p)
}

func publish(t *testing.T, f *fixture, id, target string) {
	t.Helper()
	env, err := bus.Request("", "work.requested", bus.ObjectOrder, "ORD-"+id, map[string]string{"id": id}, time.Now())
	require.NoError(t, err)
	require.NoError(t, f.app.publisher.Publish(context.Background(), bus.Message{
		Topic: "work", Key: id, Envelope: env, Properties: map[string]string{"target": target},
	}))
}

func waitIdle(t *testing.T, f *fixture) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, f.host.WaitIdle(ctx))
}

func TestRedeliveryAndDeadLettering(t *testing.T) {
	t.Parallel()
	f := start(t, nil)

	t.Run("FailsTwiceThenSucceedsWithDeliveryCounts123", func(t *testing.T) {
		publish(t, f, "m-1", "flaky")
		waitIdle(t, f)
		require.Equal(t, []int{1, 2, 3}, f.app.counts("flaky"))
		require.Equal(t, []int{1}, f.app.counts("sink"), "the handler's own publish reached the next function once")
	})

	t.Run("AlwaysFailingLandsInTheDeadLetterListAfterMaxDeliveryCount", func(t *testing.T) {
		publish(t, f, "m-2", "broken")
		waitIdle(t, f)
		require.Equal(t, []int{1, 2, 3}, f.app.counts("broken"), "maxDeliveryCount is 3 by default here")
		dl := f.host.DeadLetters()
		require.Len(t, dl, 1)
		require.Equal(t, "m-2", dl[0].MessageID)
		require.Equal(t, "broken", dl[0].Subscription)
		require.Equal(t, "MaxDeliveryCountExceeded", dl[0].Reason)
		require.Equal(t, 3, dl[0].DeliveryCount)
		require.Contains(t, dl[0].Description, "handler answered 500")

		resp, err := http.Get(f.host.URL() + bus.LocalDeadLettersPath)
		require.NoError(t, err)
		defer resp.Body.Close()
		var counts []bus.DeadLetterCount
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&counts))
		require.Contains(t, counts, bus.DeadLetterCount{Topic: "int-test-work", Subscription: "broken", Count: 1})
		require.Contains(t, f.out.String(), "dead-lettered on work/broken after 3 deliveries")
	})

	t.Run("DuplicateMessageIDIsDroppedByDuplicateDetection", func(t *testing.T) {
		before := len(f.app.counts("flaky"))
		publish(t, f, "m-1", "flaky")
		waitIdle(t, f)
		require.Len(t, f.app.counts("flaky"), before)
		require.Contains(t, f.out.String(), "m-1 dropped by duplicate detection")
	})

	t.Run("FiltersRouteByProperties", func(t *testing.T) {
		before := len(f.app.counts("flaky")) + len(f.app.counts("broken"))
		publish(t, f, "m-3", "nobody")
		waitIdle(t, f)
		require.Equal(t, before, len(f.app.counts("flaky"))+len(f.app.counts("broken")))
		require.Contains(t, f.out.String(), "m-3 -> audit", "only the match-all subscription took it")
	})

	t.Run("UnknownTopicIsRefused", func(t *testing.T) {
		err := f.host.Publish(bus.Wire{Topic: "int-test-nope", MessageID: "x"})
		require.ErrorIs(t, err, devhost.ErrUnknownTopic)
	})
}

func TestConcurrencyFollowsHostJSON(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	f := start(t, func(_ *devhost.Config, a *app) { a.gate = gate })
	for i := range 6 {
		publish(t, f, fmt.Sprint("c-", i), "flaky")
	}
	// Hold the gate until two deliveries are inside (or give up after a
	// while), then let them through one at a time: at most two are ever in.
	go func() {
		deadline := time.Now().Add(10 * time.Second)
		for f.app.inFlight.Load() < 2 && time.Now().Before(deadline) {
			runtime.Gosched()
		}
		for range 6 * 3 {
			gate <- struct{}{}
		}
	}()
	waitIdle(t, f)
	require.EqualValues(t, 2, f.app.maxInFlight.Load(), "maxConcurrentCalls is 2")
}

func TestTimer(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	inv, err := f.host.RunTimer(context.Background(), "tick")
	require.NoError(t, err)
	require.True(t, inv.OK, inv.Error)
	require.Len(t, f.app.timers, 1)
	tm := f.app.timers[0]
	require.False(t, tm.IsPastDue)
	require.NotNil(t, tm.Status, "a yearly schedule uses the monitor")
	require.Equal(t, time.January, tm.Status.Next.Month())
	_, err = f.host.RunTimer(context.Background(), "flaky")
	require.Error(t, err)

	// The admin API needs the master key (the old local host let anyone in).
	for key, want := range map[string]int{"": http.StatusUnauthorized, "wrong": http.StatusUnauthorized, f.host.MasterKey(): http.StatusNotFound} {
		req, _ := http.NewRequest(http.MethodPost, f.host.URL()+"/admin/functions/nope", strings.NewReader(`{"input":""}`))
		req.Header.Set("x-functions-key", key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, want, resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, f.host.URL()+"/admin/functions/tick?code="+f.host.MasterKey(), strings.NewReader(`{}`))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
}

func TestTimerFiresOnItsSchedule(t *testing.T) {
	t.Parallel()
	fired := make(chan devhost.Invocation, 10)
	everySecond := map[string]string{}
	for k, v := range settings {
		everySecond[k] = v
	}
	everySecond["TICK_SCHEDULE"] = "* * * * * *"
	start(t, func(c *devhost.Config, _ *app) {
		c.DisableTimers = false
		c.Settings = everySecond
		c.OnInvocation = func(inv devhost.Invocation) {
			if inv.Function == "tick" {
				fired <- inv
			}
		}
	})
	select {
	case inv := <-fired:
		require.True(t, inv.OK, inv.Error)
	case <-time.After(10 * time.Second):
		t.Fatal("the every-second timer never fired")
	}
}

// blobApp is the test app root with blob-triggered functions.
func blobApp(c *devhost.Config, _ *app) {
	root, err := filepath.Abs(filepath.Join("testdata", "blobapp"))
	if err != nil {
		panic(err)
	}
	c.AppRoot = root
}

func TestBlobTrigger(t *testing.T) {
	t.Parallel()
	f := start(t, blobApp)
	ctx := context.Background()
	data := []byte("ISA*00*...\x00\xff")
	_, err := f.blobs.Put(ctx, "staging", "in/orders.edi", data, &blob.PutOptions{ContentType: "application/edi-x12", Metadata: map[string]string{"source": "sps"}})
	require.NoError(t, err)
	_, err = f.blobs.Put(ctx, "staging", "elsewhere/skip.edi", data, nil)
	require.NoError(t, err)

	f.host.ScanBlobs(ctx)
	require.Len(t, f.app.blobs, 1)
	b := f.app.blobs[0]
	require.Equal(t, data, b.Data)
	require.Equal(t, "staging", b.Container)
	require.Equal(t, "in/orders.edi", b.Name)
	require.Equal(t, "application/edi-x12", b.ContentType)
	require.Equal(t, map[string]string{"source": "sps"}, b.Metadata)

	f.host.ScanBlobs(ctx)
	require.Len(t, f.app.blobs, 1, "one BlobCreated event per version")
	_, err = f.blobs.Put(ctx, "staging", "in/orders.edi", data, nil)
	require.NoError(t, err)
	f.host.ScanBlobs(ctx)
	require.Len(t, f.app.blobs, 2, "an overwrite is a new event")

	f.app.mu.Lock()
	f.app.failBlobs = true
	f.app.mu.Unlock()
	_, err = f.blobs.Put(ctx, "staging", "in/bad.edi", data, nil)
	require.NoError(t, err)
	f.host.ScanBlobs(ctx)
	require.Len(t, f.app.blobs, 2+5, "five deliveries of the queue message")
	require.Equal(t, []string{"landing: staging/in/bad.edi"}, f.host.PoisonBlobs())
	require.Equal(t, "webjobs-blobtrigger-poison", f.host.PoisonMessages()[0].Queue)
}

func TestHTTPForwarding(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	resp, err := http.Post(f.host.URL()+"/api/intake/cirro?x=1&code="+hostKey, "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	var body map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	require.Equal(t, map[string]string{"partner": "cirro", "query": "x=1&code=" + hostKey}, body, "the key passes through to the handler")

	// No route matches: the host's own 404, with an empty body.
	for _, tc := range []struct{ method, path string }{{"GET", "/api/intake/cirro"}, {"POST", "/api/intake"}, {"POST", "/api/other"}} {
		req, _ := http.NewRequest(tc.method, f.host.URL()+tc.path, nil)
		req.Header.Set("x-functions-key", hostKey)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusNotFound, resp.StatusCode, tc)
		require.Empty(t, b, tc)
	}
	invs := f.host.Invocations()
	require.NotEmpty(t, invs)
	last := invs[len(invs)-1]
	require.Equal(t, "intake", last.Function)
	require.Equal(t, "ORD-cirro", last.CorrelationID)
	require.Contains(t, f.out.String(), "202    intake")
}

func TestFunctionTimeoutRestartsTheHandler(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	f.app.hang.Store(true)
	publish(t, f, "slow", "flaky")
	// Wait for the timed-out delivery (functionTimeout is 2 s in host.json).
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		invs := f.host.Invocations()
		if len(invs) > 0 && strings.Contains(invs[0].Error, "function timeout") {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no timeout seen: %+v", f.host.Invocations())
		case <-time.After(20 * time.Millisecond):
		}
	}
	f.app.hang.Store(false)
	waitIdle(t, f)
	require.Contains(t, f.out.String(), "handler killed (function timeout); restarting it")
	counts := f.app.counts("flaky")
	require.Equal(t, 3, counts[len(counts)-1], "the message was redelivered to the restarted handler")
}

func TestNewRefusesABrokenApp(t *testing.T) {
	t.Parallel()
	cat, err := messaging.Parse([]byte(catalogJSON))
	require.NoError(t, err)
	cases := map[string]struct {
		fns  map[string]string
		want string
	}{
		"UndeclaredSubscription": {map[string]string{"x": `{"bindings":[{"type":"serviceBusTrigger","direction":"in","name":"msg","topicName":"%TOPIC_WORK%","subscriptionName":"ghost","connection":"c"}]}`},
			`subscription "ghost" of topic work is not declared`},
		"UndeclaredTopic": {map[string]string{"x": `{"bindings":[{"type":"serviceBusTrigger","direction":"in","name":"msg","topicName":"%TOPIC_GHOST%","subscriptionName":"s","connection":"c"}]}`},
			"topic setting TOPIC_GHOST is not declared in infra/messaging.json"},
		"LiteralTopic": {map[string]string{"x": `{"bindings":[{"type":"serviceBusTrigger","direction":"in","name":"msg","topicName":"int-test-work","subscriptionName":"flaky","connection":"c"}]}`},
			"must be the topic's app setting"},
		"MissingSetting": {map[string]string{"x": `{"bindings":[{"type":"timerTrigger","direction":"in","name":"t","schedule":"%NOPE_SCHEDULE%"}]}`},
			"%NOPE_SCHEDULE% is not declared"},
		"TimeSpanSchedule": {map[string]string{"x": `{"bindings":[{"type":"timerTrigger","direction":"in","name":"t","schedule":"00:05:00"}]}`},
			"is a TimeSpan"},
		"NoTrigger":    {map[string]string{"x": `{"bindings":[{"type":"http","direction":"out","name":"res"}]}`}, "has no trigger binding"},
		"UnknownField": {map[string]string{"x": `{"bindings":[{"type":"timerTrigger","direction":"in","name":"t","schedule":"* * * * * *","scheduel":"x"}]}`}, "unknown field"},
		"EnvelopeHTTP": {map[string]string{"x": `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req"},{"type":"http","direction":"out","name":"res"},{"type":"blob","direction":"in","name":"b","path":"a/b"}]}`}, "forwarded HTTP functions only"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := devhost.New(devhost.Config{AppRoot: writeApp(t, hostJSON, tc.fns), Catalog: cat, Settings: settings,
				Worker: &devhost.ServerWorker{Handler: http.NotFoundHandler()}})
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestParseTimeSpan(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"00:10:00": 10 * time.Minute, "01:00:05": time.Hour + 5*time.Second, "1.02:00:00": 26 * time.Hour} {
		got, err := azfunc.ParseTimeSpan(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err := azfunc.ParseTimeSpan("ten minutes")
	require.Error(t, err)
}
