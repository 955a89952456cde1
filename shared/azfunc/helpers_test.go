package azfunc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
)

// syncBuffer is a goroutine-safe log destination.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Len is the number of bytes written so far.
func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

// lines parses every JSON log line written so far.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), "log line is not JSON: %s", l)
		out = append(out, m)
	}
	return out
}

// recordingParker is a Parker that keeps what it was given.
type recordingParker struct {
	mu     sync.Mutex
	parked []azfunc.Parked
	err    error
}

func (p *recordingParker) Park(_ context.Context, m azfunc.Parked) (azfunc.ParkResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return azfunc.ParkResult{}, p.err
	}
	for i, old := range p.parked {
		if old.Function == m.Function && old.MessageID == m.MessageID {
			p.parked[i] = m
			return azfunc.ParkResult{ID: int64(i + 1)}, nil
		}
	}
	p.parked = append(p.parked, m)
	return azfunc.ParkResult{ID: int64(len(p.parked)), First: true}, nil
}

func (p *recordingParker) all() []azfunc.Parked {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]azfunc.Parked(nil), p.parked...)
}

type gateFunc func(ctx context.Context) error

func (g gateFunc) Ready(ctx context.Context) error { return g(ctx) }

type bundle struct {
	srv    *azfunc.Server
	http   *httptest.Server
	stdout *syncBuffer
	stderr *syncBuffer
	parker *recordingParker
}

func setup(t *testing.T, mutate func(*azfunc.Config)) *bundle {
	t.Helper()
	return setupLogging(t, nil, nil, mutate)
}

func setupLogging(t *testing.T, level slog.Leveler, secrets []string, mutate func(*azfunc.Config)) *bundle {
	t.Helper()
	b := &bundle{stdout: &syncBuffer{}, stderr: &syncBuffer{}, parker: &recordingParker{}}
	cfg := azfunc.Config{
		Logging: azfunc.NewLogging(b.stdout, b.stderr, level, secrets),
		Parker:  b.parker,
		// Transient failures give up at once unless a test asks for retries.
		RetryBudget: time.Nanosecond,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := azfunc.NewServer(cfg)
	require.NoError(t, err)
	b.srv = srv
	b.http = httptest.NewServer(srv.Handler())
	t.Cleanup(b.http.Close)
	return b
}

type hostReply struct {
	Status      int
	ContentType string
	Raw         map[string]json.RawMessage
	Logs        []string
}

// invoke posts an invocation the way the Functions host does.
func (b *bundle) invoke(t *testing.T, function string, body []byte) hostReply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.http.URL+"/"+function, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Azure-Functions-InvocationId", "6f1c2b7e-0000-4000-8000-"+strings.Repeat("a", 12))
	req.Header.Set("X-Azure-Functions-HostVersion", "4.1036.1.23224")
	req.Header.Set("User-Agent", "Azure-Functions-Host/4.1036.1.23224")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	r := hostReply{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}
	require.NoError(t, json.Unmarshal(raw, &r.Raw), "reply must be JSON: %s", raw)
	if logs, ok := r.Raw["Logs"]; ok {
		require.NoError(t, json.Unmarshal(logs, &r.Logs))
	}
	return r
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// requireHostSuccess checks the reply rules: 2xx, application/json, and the
// three keys the host reads.
func requireHostSuccess(t *testing.T, r hostReply) {
	t.Helper()
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "application/json", r.ContentType)
	for _, k := range []string{"Outputs", "Logs", "ReturnValue"} {
		require.Contains(t, r.Raw, k)
	}
}
