package devhost_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/devhost"
	"github.com/popsockets/integration/shared/messaging"
)

// recorded is one request the handler received, as it received it.
type recorded struct {
	Method, Path, RawQuery, Host string
	Header                       http.Header
	Body                         []byte
	ContentLength                int64
}

// rawApp is a handler that records what the host sent and answers as told,
// with no protocol library in between.
type rawApp struct {
	mu     sync.Mutex
	reqs   []recorded
	answer func(w http.ResponseWriter, r *http.Request, body []byte)
}

func (a *rawApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/" {
		return // readiness
	}
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.reqs = append(a.reqs, recorded{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Host: r.Host,
		Header: r.Header.Clone(), Body: body, ContentLength: r.ContentLength})
	answer := a.answer
	a.mu.Unlock()
	if answer != nil {
		answer(w, r, body)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"Outputs":{},"Logs":[],"ReturnValue":null}`)
}

func (a *rawApp) requests(path string) []recorded {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []recorded
	for _, r := range a.reqs {
		if path == "" || r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// invocationBody is a recorded {Data, Metadata} post.
type invocationBody struct {
	Data     map[string]json.RawMessage `json:"Data"`
	Metadata map[string]json.RawMessage `json:"Metadata"`
}

func (r recorded) invocation(t *testing.T) invocationBody {
	t.Helper()
	var b invocationBody
	require.NoError(t, json.Unmarshal(r.Body, &b), "%s", r.Body)
	return b
}

func testCatalog(t *testing.T) *messaging.Catalog {
	t.Helper()
	cat, err := messaging.Parse([]byte(catalogJSON))
	require.NoError(t, err)
	return cat
}

// runHost starts a host on cfg (catalog, settings, keys and a loopback
// address filled in when unset) and stops it when the test ends.
func runHost(t *testing.T, cfg devhost.Config) *devhost.Host {
	t.Helper()
	if cfg.Catalog == nil {
		cfg.Catalog = testCatalog(t)
	}
	if cfg.Settings == nil {
		cfg.Settings = settings
	}
	if cfg.FunctionKeys == nil {
		cfg.FunctionKeys = map[string]string{"default": hostKey}
	}
	if cfg.Addr == "" && cfg.Listener == nil {
		cfg.Addr = "127.0.0.1:0"
	}
	cfg.DisableTimers = true
	if cfg.BlobPollInterval == 0 {
		cfg.BlobPollInterval = time.Hour
	}
	if cfg.Blobs == nil {
		fs, err := blob.NewFS(blob.FSConfig{Root: t.TempDir()})
		require.NoError(t, err)
		cfg.Blobs = fs
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
	return h
}

// appRoot writes host.json and function folders into a new directory.
func appRoot(t *testing.T, hostJSON string, fns map[string]string) string {
	t.Helper()
	return writeApp(t, hostJSON, fns)
}

// repoHostJSON is the repository's own host.json.
func repoHostJSON(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "host.json"))
	require.NoError(t, err)
	return string(b)
}

// shippedQuery reads infra/queries/<name>.kql and fills in its placeholders.
func shippedQuery(t *testing.T, name string, subs map[string]string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "infra", "queries", name+".kql"))
	require.NoError(t, err)
	q := string(b)
	for k, v := range subs {
		q = strings.ReplaceAll(q, k, v)
	}
	return q
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

func newRequest(t *testing.T, method, url, body string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(t, err)
	return req
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
