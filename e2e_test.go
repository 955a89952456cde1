package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/blob/blobtest"
	"github.com/popsockets/integration/shared/devhost"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

// binary is the handler built once for the tests of this package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "handler-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "handler")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building handler: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	storetest.Stop()
	blobtest.Stop() // the audit test's Azurite
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// lockedBuffer collects a child's output, which arrives through a pipe some
// time after the child wrote it; waitFor blocks until a text shows up.
type lockedBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{}
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.written != nil {
		close(b.written)
		b.written = nil
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) waitFor(t testing.TB, text string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		b.mu.Lock()
		if strings.Contains(b.buf.String(), text) {
			b.mu.Unlock()
			return
		}
		if b.written == nil {
			b.written = make(chan struct{})
		}
		ch := b.written
		b.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("output never contained %q; got:\n%s", text, b.String())
		}
	}
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type process struct {
	cmd            *exec.Cmd
	url            string
	stdout, stderr *lockedBuffer
	readyAfter     time.Duration
}

// startHandler execs the binary as the Functions host does and polls GET /
// every millisecond until it answers.
func startHandler(t testing.TB, env map[string]string) *process {
	t.Helper()
	port := freePort(t)
	p := &process{url: "http://127.0.0.1:" + strconv.Itoa(port), stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	p.cmd = exec.Command(binary)
	p.cmd.Dir = "."
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "FUNCTIONS_CUSTOMHANDLER_PORT=" + strconv.Itoa(port)}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	client := &http.Client{Timeout: 100 * time.Millisecond}
	start := time.Now()
	require.NoError(t, p.cmd.Start())
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		_ = p.cmd.Wait()
	})
	deadline := start.Add(10 * time.Second)
	for {
		resp, err := client.Get(p.url + "/")
		if err == nil {
			resp.Body.Close()
			p.readyAfter = time.Since(start)
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("handler never answered GET /; stderr: %s", p.stderr.String())
		}
		time.Sleep(time.Millisecond) // the host itself polls every 25 ms
	}
}

// timerInvocation is a timer invocation shaped like the host's.
func timerInvocation(t testing.TB, p *process, function string) (int, map[string]any) {
	t.Helper()
	body := `{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":"False"}},` +
		`"Metadata":{"sys":{"MethodName":"` + function + `","UtcNow":"2026-11-25T18:15:00Z","RandGuid":"7d1f0c2e-1111-4a2b-9c3d-000000000001"}}}`
	req, err := http.NewRequest(http.MethodPost, p.url+"/"+function, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Azure-Functions-InvocationId", "7d1f0c2e-1111-4a2b-9c3d-000000000001")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

// closedPortURL is a database nobody serves: connections are refused at once.
func closedPortURL(t testing.TB, password string) string {
	return fmt.Sprintf("postgres://app:%s@127.0.0.1:%d/integration?sslmode=disable&connect_timeout=2", password, freePort(t))
}

func TestStartsWithTheDatabaseDown(t *testing.T) {
	t.Parallel()
	// 10.255.255.1 is not routable: a connect would hang until its timeout,
	// so answering GET / at all proves start-up never waits on the database.
	p := startHandler(t, map[string]string{
		"ENVIRONMENT":  "test",
		"DATABASE_URL": "postgres://app:pw@10.255.255.1:5432/integration?sslmode=disable",
	})
	t.Logf("GET / answered %s after exec", p.readyAfter)
	require.Less(t, p.readyAfter, 5*time.Second, "start-up must not wait for the database's 5 s connect timeout")

	q := startHandler(t, map[string]string{"ENVIRONMENT": "test", "DATABASE_URL": closedPortURL(t, "pw")})
	status, _ := timerInvocation(t, q, "dead-letter-watch")
	require.Equal(t, http.StatusInternalServerError, status, "an unreachable database fails the invocation as transient")
	q.stderr.waitFor(t, `"outcome":"failed"`)
	require.Contains(t, q.stderr.String(), `"class":"transient"`)
}

func TestMissingConfigurationFailsInvocationsButStarts(t *testing.T) {
	t.Parallel()
	p := startHandler(t, nil)
	status, _ := timerInvocation(t, p, "dead-letter-watch")
	require.Equal(t, http.StatusInternalServerError, status)
	p.stderr.waitFor(t, "DATABASE_URL is not set")
	resp, err := http.Get(p.url + "/api/health")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	var rep map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&rep))
	require.Equal(t, "unavailable", rep["status"])
}

// TestConnectionSecretsStayOutOfTheLogsAtStartUp: the handler, exec'd with
// a database, Service Bus and storage that each carry a secret, logs its
// failures without them.
func TestConnectionSecretsStayOutOfTheLogsAtStartUp(t *testing.T) {
	t.Parallel()
	const (
		dbPassword = "Pg-Secret-0xDEADBEEF"
		sbKey      = "SbKeyAAAABBBBCCCCDDDD0000="
		blobKey    = "BlobKeyZZZZYYYYXXXX1111=="
	)
	p := startHandler(t, map[string]string{
		"ENVIRONMENT":          "test",
		"LOG_LEVEL":            "debug",
		"DATABASE_URL":         closedPortURL(t, dbPassword),
		"ServiceBusConnection": "Endpoint=sb://int-test.servicebus.windows.net/;SharedAccessKeyName=app;SharedAccessKey=" + sbKey,
		"BlobStorage":          "DefaultEndpointsProtocol=https;AccountName=stinttest;AccountKey=" + blobKey + ";EndpointSuffix=core.windows.net",
	})
	for range 3 {
		status, _ := timerInvocation(t, p, "dead-letter-watch")
		require.Equal(t, http.StatusInternalServerError, status)
	}
	resp, err := http.Get(p.url + "/api/health")
	require.NoError(t, err)
	resp.Body.Close()
	p.stderr.waitFor(t, "health check failing")
	logs := p.stdout.String() + p.stderr.String()
	require.Equal(t, 3, strings.Count(logs, "invocation failed"), "the failures were logged")
	for _, secret := range []string{dbPassword, sbKey, blobKey} {
		require.NotContains(t, logs, secret)
	}
}

// TestDevhostRunsTheRealBinary drives the built handler through the local
// host, exactly as `make run` does, against a real PostgreSQL.
func TestDevhostRunsTheRealBinary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := storetest.Schema(t)
	_, err := store.Migrate(ctx, cfg, nil)
	require.NoError(t, err)
	s, err := store.Open(cfg)
	require.NoError(t, err)
	defer s.Close()
	parked, err := s.Park(ctx, azfunc.Parked{Function: "cirro-fulfill", Trigger: azfunc.KindServiceBus, MessageID: "ORD-9/fulfillment-request",
		CorrelationID: "ORD-9", Reason: "ship method XYZ is not mapped", Payload: []byte(`{}`)})
	require.NoError(t, err)

	values, _, err := devhost.LoadSettings(".")
	require.NoError(t, err)
	values["DATABASE_URL"] = cfg.URL + "&search_path=" + cfg.Schema
	if !strings.Contains(cfg.URL, "?") {
		values["DATABASE_URL"] = cfg.URL + "?search_path=" + cfg.Schema
	}
	values["BLOB_LOCAL_DIR"] = t.TempDir()
	blobs, err := blob.NewFS(blob.FSConfig{Root: values["BLOB_LOCAL_DIR"]})
	require.NoError(t, err)
	handlerLog := &lockedBuffer{}
	out := &lockedBuffer{}
	h, err := devhost.New(devhost.Config{
		AppRoot: ".", Catalog: catalog(), Settings: values, Addr: "127.0.0.1:0", Out: out, DisableTimers: true, Blobs: blobs,
		Worker: &devhost.ExecWorker{Path: binary, Dir: ".", Stdout: handlerLog, Stderr: handlerLog},
	})
	require.NoError(t, err)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- h.Run(runCtx) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()
	select {
	case <-h.Ready():
	case err := <-done:
		t.Fatalf("devhost stopped: %v\n%s", err, handlerLog.String())
	case <-time.After(30 * time.Second):
		t.Fatal("devhost not ready")
	}

	resp, err := http.Get(h.URL() + "/api/health")
	require.NoError(t, err)
	var rep map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&rep))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "%v\n%s", rep, handlerLog.String())
	require.Equal(t, "degraded", rep["status"], "the sample configures no partner: the fulfillment flow is not ready")
	require.Equal(t, map[string]any{"platform": "ready", "fulfillment": "not ready", "edi": "not ready", "print": "not ready",
		"china": "not ready", "product": "not ready", "gladly": "not ready", "data": "not ready"}, rep["flows"])
	raw, _ := json.Marshal(rep)
	require.NotContains(t, string(raw), "OMS_", "anonymous callers learn which flow, not which setting")
	handlerLog.waitFor(t, "OMS_BASE_URL is not set")

	inv, err := h.RunTimer(ctx, "dead-letter-watch")
	require.NoError(t, err)
	require.True(t, inv.OK, "%s\n%s", inv.Error, handlerLog.String())
	require.Empty(t, inv.Logs, "every line goes to stdout or stderr once, never also in the reply")
	got, err := s.GetParked(ctx, parked.ID)
	require.NoError(t, err)
	require.NotNil(t, got.AlertedAt, "the watch reported the parked message")
	handlerLog.waitFor(t, "handler replay "+strconv.FormatInt(parked.ID, 10))
	require.Contains(t, handlerLog.String(), "parked message needs attention")

	// A second run reports nothing new.
	inv, err = h.RunTimer(ctx, "dead-letter-watch")
	require.NoError(t, err)
	require.True(t, inv.OK)
	handlerLog.waitFor(t, `"parked_reported":0`)
	require.Equal(t, 1, strings.Count(handlerLog.String(), "parked message needs attention"))
	require.Contains(t, out.String(), "dead-letter-watch")
}
