// Package blobtest runs a real Azurite blob service for tests of
// shared/blob and its users.
//
// One azurite-blob process serves a whole test binary: the first call to
// Azurite starts it on a free loopback port with a throwaway data folder,
// and Main stops it when the tests end. On Linux the process is also killed
// when the test binary dies, so a killed test run leaves nothing behind.
//
//	func TestMain(m *testing.M) { blobtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		store, err := blob.NewAzure(blob.AzureConfig{ConnectionString: blobtest.Azurite(t)})
//		...
//	}
package blobtest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// AccountName and AccountKey are Azurite's well-known development account.
const (
	AccountName = "devstoreaccount1"
	AccountKey  = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// NotFoundMessage is the failure when no azurite-blob binary can be found.
const NotFoundMessage = "azurite not found: run `make tools` (npm install azurite into .tools)"

const (
	startTimeout = 30 * time.Second
	stopTimeout  = 5 * time.Second
)

// The one server of this test binary.
var (
	once     sync.Once
	srv      *server
	startErr error
)

// Azurite returns a connection string for the test binary's Azurite,
// starting it on first use. It fails the test when Azurite cannot be found
// or started.
func Azurite(tb testing.TB) string {
	tb.Helper()
	once.Do(func() { srv, startErr = start() })
	if startErr != nil {
		tb.Fatal(startErr)
	}
	return srv.connectionString()
}

// Main runs the tests and then stops Azurite (blob and queue) if it was
// started. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the Azurite services this binary started; for a TestMain
// that also stops other servers.
func Stop() {
	if srv != nil {
		srv.stop()
	}
	stopQueue()
}

// ContainerName returns a container name unique to this call, so that
// tests sharing one Azurite can run in parallel.
func ContainerName(tb testing.TB) string {
	tb.Helper()
	return "t-" + strings.ToLower(rand.Text()[:20])
}

type server struct {
	cmd      *exec.Cmd
	port     int
	location string
	exited   chan struct{} // closed when the process has exited
	stderr   *syncBuffer
}

func (s *server) connectionString() string {
	return fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=http://127.0.0.1:%d/%s;",
		AccountName, AccountKey, s.port, AccountName)
}

func start() (*server, error) { return startService(findBinary, "blob") }

// startService finds one Azurite service's binary and starts it. A free
// port can be taken by someone else before Azurite binds it; Azurite then
// exits, and another port is tried.
func startService(find func() (string, error), service string) (*server, error) {
	bin, err := find()
	if err != nil {
		return nil, err
	}
	var lastErr error
	for range 3 {
		s, err := launchService(bin, service)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// findBinary looks at AZURITE_BIN, then <repo root>/.tools/node_modules/.bin,
// then PATH.
func findBinary() (string, error) {
	if p := os.Getenv("AZURITE_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("AZURITE_BIN=%s: %w; %s", p, err, NotFoundMessage)
		}
		return p, nil
	}
	if root, ok := repoRoot(); ok {
		p := filepath.Join(root, ".tools", "node_modules", ".bin", "azurite-blob")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("azurite-blob"); err == nil {
		return p, nil
	}
	return "", errors.New(NotFoundMessage)
}

// repoRoot walks up from the working directory (the package under test) to
// the folder holding go.mod.
func repoRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// launchService starts one Azurite service ("blob" or "queue") from its
// binary on a free loopback port.
func launchService(bin, service string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("finding a free port for azurite-%s: %w", service, err)
	}
	location, err := os.MkdirTemp("", "azurite-"+service+"-*")
	if err != nil {
		return nil, fmt.Errorf("creating azurite-%s folder: %w", service, err)
	}
	s := &server{port: port, location: location, exited: make(chan struct{}), stderr: &syncBuffer{}}
	s.cmd = exec.Command(bin,
		"--"+service+"Host", "127.0.0.1",
		"--"+service+"Port", fmt.Sprint(port),
		"--location", location,
		"--skipApiVersionCheck",
		"--silent",
		"--loose",
		"--disableTelemetry",
	)
	s.cmd.Stdout = s.stderr
	s.cmd.Stderr = s.stderr
	s.cmd.SysProcAttr = sysProcAttr()

	// Linux sends the parent-death signal when the thread that started the
	// child exits, so start it from a goroutine that keeps its thread until
	// the child is gone.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := s.cmd.Start(); err != nil {
			started <- err
			close(s.exited)
			return
		}
		started <- nil
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	if err := <-started; err != nil {
		_ = os.RemoveAll(location)
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	if err := s.waitReady(); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// waitReady polls the endpoint until it answers, the process exits, or the
// deadline passes. Any HTTP answer, even an error status, means it is up.
func (s *server) waitReady() error {
	url := fmt.Sprintf("http://127.0.0.1:%d/%s?comp=list", s.port, AccountName)
	client := &http.Client{Timeout: time.Second}
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("azurite exited before answering on port %d: %s", s.port, s.stderr.String())
		case <-deadline.C:
			return fmt.Errorf("azurite did not answer on port %d within %s: %s", s.port, startTimeout, s.stderr.String())
		case <-tick.C:
		}
	}
}

// stop asks Azurite to exit, kills it if it does not, and removes its folder.
func (s *server) stop() {
	if s.cmd.Process != nil {
		if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
			_ = s.cmd.Process.Kill() // no interrupt on Windows
		}
		select {
		case <-s.exited:
		case <-time.After(stopTimeout):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	}
	_ = os.RemoveAll(s.location)
}

// syncBuffer collects the process output for error messages.
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
	return strings.TrimSpace(b.buf.String())
}
