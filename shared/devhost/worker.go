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

// Console is where a handler's standard output and error go. The host
// reads both line by line, as the real host does (WorkerProcess.cs), and
// records each line as a traces row.
type Console struct {
	Stdout, Stderr io.Writer
}

// Worker is the handler the host talks to.
type Worker interface {
	// Start runs the handler with env, its standard output and error
	// going to console, and returns the base URL it will listen on. It does
	// not wait for the handler to answer: the host polls GET / itself.
	// exited receives the handler's exit code once it stops (-1 when it
	// was killed), and is then closed.
	Start(ctx context.Context, env map[string]string, console Console) (baseURL string, exited <-chan int, err error)
	// Kill stops the handler at once (function timeout, start-up timeout, shutdown).
	Kill()
}

// ExecWorker runs the handler executable as a child process, as the real host does.
type ExecWorker struct {
	Path string
	Args []string
	Dir  string
	// Stdout and Stderr also receive the handler's output (nil: only the host reads it).
	Stdout, Stderr io.Writer

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Start implements Worker.
func (w *ExecWorker) Start(_ context.Context, env map[string]string, console Console) (string, <-chan int, error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(w.Path, w.Args...)
	cmd.Dir = w.Dir
	cmd.Stdout, cmd.Stderr = tee(w.Stdout, console.Stdout), tee(w.Stderr, console.Stderr)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "FUNCTIONS_CUSTOMHANDLER_PORT="+strconv.Itoa(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("starting handler %s: %w", w.Path, err)
	}
	exited := make(chan int, 1)
	go func() {
		_ = cmd.Wait()
		exited <- cmd.ProcessState.ExitCode()
		close(exited)
	}()
	w.mu.Lock()
	w.cmd = cmd
	w.mu.Unlock()
	return "http://127.0.0.1:" + strconv.Itoa(port), exited, nil
}

func tee(a, b io.Writer) io.Writer {
	switch {
	case a == nil && b == nil:
		return nil
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return io.MultiWriter(a, b)
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
// Only the protocol connects host and handler, as with ExecWorker. Build
// the handler's logging on Stdout() and Stderr() so that the host sees its
// lines as it sees a child process's.
type ServerWorker struct {
	Handler http.Handler

	mu      sync.Mutex
	srv     *http.Server
	exited  chan int
	console Console
	code    int
}

// Stdout is the in-process handler's standard output: lines written to it
// reach the host as a child's stdout would.
func (w *ServerWorker) Stdout() io.Writer { return consoleWriter{w: w} }

// Stderr is the in-process handler's standard error.
func (w *ServerWorker) Stderr() io.Writer { return consoleWriter{w: w, stderr: true} }

type consoleWriter struct {
	w      *ServerWorker
	stderr bool
}

func (c consoleWriter) Write(p []byte) (int, error) {
	c.w.mu.Lock()
	out := c.w.console.Stdout
	if c.stderr {
		out = c.w.console.Stderr
	}
	c.w.mu.Unlock()
	if out != nil {
		return out.Write(p)
	}
	return len(p), nil
}

// Start implements Worker. env is ignored: the handler is already built.
func (w *ServerWorker) Start(_ context.Context, _ map[string]string, console Console) (string, <-chan int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listening for in-process handler: %w", err)
	}
	srv := &http.Server{Handler: w.Handler, ReadHeaderTimeout: 10 * time.Second}
	exited := make(chan int, 1)
	w.mu.Lock()
	w.srv, w.exited, w.console, w.code = srv, exited, console, -1
	w.mu.Unlock()
	go func() {
		_ = srv.Serve(ln)
		w.mu.Lock()
		code := w.code
		w.mu.Unlock()
		exited <- code
		close(exited)
	}()
	return "http://" + ln.Addr().String(), exited, nil
}

// Kill implements Worker.
func (w *ServerWorker) Kill() { w.stop(-1) }

// Exit stops the in-process handler as if its process had exited with code.
func (w *ServerWorker) Exit(code int) { w.stop(code) }

func (w *ServerWorker) stop(code int) {
	w.mu.Lock()
	srv := w.srv
	if srv != nil {
		w.code = code
	}
	w.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// defaultInitializationTimeout is how long one start of the handler may
// take to answer GET / (HttpWorkerOptions.InitializationTimeout: 30 s).
const defaultInitializationTimeout = 30 * time.Second

// errNotReady means the handler did not answer GET / within the timeout.
var errNotReady = errors.New("initializing the handler timed out: it did not answer GET /")

// waitReady polls GET / every 25 ms (WorkerConstants.WorkerReadyCheckPollingIntervalMilliseconds);
// any HTTP answer means ready, and only a refused connection means wait
// (DefaultHttpWorkerService.IsWorkerReady). It returns errNotReady after timeout.
func waitReady(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
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
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return errNotReady
			}
			return ctx.Err()
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
