package webhookbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// receiverProc is a receiver running in its own process: the product's
// handler binary, or this test binary re-executed as the minimal receiver.
type receiverProc struct {
	name   string
	cmd    *exec.Cmd
	url    string
	logs   string // stdout and stderr
	done   chan struct{}
	waitEr error
}

// startReceiver execs path in dir with exactly env, on a free port given
// by portVar (FUNCTIONS_CUSTOMHANDLER_PORT for the handler, as the host
// sets it), and polls GET / until it answers, as the host does.
func startReceiver(ctx context.Context, name, logDir, path, dir string, env []string, portVar string) (*receiverProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	p := &receiverProc{name: name, url: "http://127.0.0.1:" + strconv.Itoa(port), done: make(chan struct{}),
		logs: filepath.Join(logDir, name+".log")}
	logFile, err := os.Create(p.logs)
	if err != nil {
		return nil, err
	}
	p.cmd = exec.Command(path)
	p.cmd.Dir = dir
	p.cmd.Env = append(slices.Clone(env), portVar+"="+strconv.Itoa(port))
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		p.waitEr = p.cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	probe := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := probe.Get(p.url + "/")
		if err == nil {
			resp.Body.Close()
			return p, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited before answering GET /: %v: %s", name, p.waitEr, p.tail())
		case <-ctx.Done():
			p.kill()
			return nil, fmt.Errorf("%s never answered GET /: %v: %s", name, err, p.tail())
		case <-tick.C:
		}
	}
}

// pid is the process id.
func (p *receiverProc) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM, as the host does, and waits for a clean exit.
func (p *receiverProc) stop() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s had already exited: %v: %s", p.name, p.waitEr, p.tail())
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(45 * time.Second): // the handler's grace is 30 s
		p.kill()
		return fmt.Errorf("%s did not stop within 45 s of SIGTERM", p.name)
	}
	if p.waitEr != nil {
		return fmt.Errorf("%s stopped with %v: %s", p.name, p.waitEr, p.tail())
	}
	return nil
}

func (p *receiverProc) kill() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// tail is the end of the process's log, for error messages.
func (p *receiverProc) tail() string {
	b, _ := os.ReadFile(p.logs)
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// repoRoot is the directory of go.mod above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("no go.mod above " + dir)
		}
	}
}
