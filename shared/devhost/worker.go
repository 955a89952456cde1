package devhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Worker is the handler the host talks to.
type Worker interface {
	// Start runs the handler with env and returns its base URL once it listens.
	// exited is closed when the handler stops for any reason.
	Start(ctx context.Context, env map[string]string) (baseURL string, exited <-chan struct{}, err error)
	// Kill stops the handler at once (function timeout, shutdown).
	Kill()
}

// ExecWorker runs the handler executable as a child process, as the real host does.
type ExecWorker struct {
	Path string
	Args []string
	Dir  string
	// Stdout and Stderr receive the handler's JSON log lines.
	Stdout, Stderr io.Writer

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Start implements Worker.
func (w *ExecWorker) Start(ctx context.Context, env map[string]string) (string, <-chan struct{}, error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(w.Path, w.Args...)
	cmd.Dir = w.Dir
	cmd.Stdout, cmd.Stderr = w.Stdout, w.Stderr
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "FUNCTIONS_CUSTOMHANDLER_PORT="+strconv.Itoa(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("starting handler %s: %w", w.Path, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	w.mu.Lock()
	w.cmd = cmd
	w.mu.Unlock()
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	if err := waitReady(ctx, url, exited); err != nil {
		w.Kill()
		return "", nil, err
	}
	return url, exited, nil
}

// Kill implements Worker.
func (w *ExecWorker) Kill() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cmd != nil && w.cmd.Process != nil {
		_ = w.cmd.Process.Kill()
	}
}

// ServerWorker serves an in-process handler on a real socket, for tests.
// Only the protocol connects host and handler, as with ExecWorker.
type ServerWorker struct {
	Handler http.Handler

	mu     sync.Mutex
	srv    *http.Server
	exited chan struct{}
}

// Start implements Worker. env is ignored: the handler is already built.
func (w *ServerWorker) Start(ctx context.Context, _ map[string]string) (string, <-chan struct{}, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listening for in-process handler: %w", err)
	}
	srv := &http.Server{Handler: w.Handler, ReadHeaderTimeout: 10 * time.Second}
	exited := make(chan struct{})
	go func() {
		_ = srv.Serve(ln)
		close(exited)
	}()
	w.mu.Lock()
	w.srv, w.exited = srv, exited
	w.mu.Unlock()
	url := "http://" + ln.Addr().String()
	if err := waitReady(ctx, url, exited); err != nil {
		w.Kill()
		return "", nil, err
	}
	return url, exited, nil
}

// Kill implements Worker.
func (w *ServerWorker) Kill() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.srv != nil {
		_ = w.srv.Close()
	}
}

// readyTimeout is how long the real host waits for a handler to listen.
const readyTimeout = 60 * time.Second

// waitReady polls GET / every 25 ms, like the host; any HTTP answer means ready.
func waitReady(ctx context.Context, url string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("handler exited before it answered GET /")
		case <-ctx.Done():
			return fmt.Errorf("handler did not answer GET / within %s: initialization timed out", readyTimeout)
		case <-tick.C:
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
