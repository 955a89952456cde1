package devhost

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Exit codes with a meaning to the host (WorkerConstants.cs).
const (
	exitSuccess          = 0
	exitRestartRequested = 200
)

// errorThreshold and errorWindow are the host's rule for giving up: the
// third worker error stops the host, and errors count together only while
// each comes within 30 minutes of the one before
// (HttpFunctionInvocationDispatcher.cs: ErrorEventsThreshold = 3,
// WorkerRestartErrorIntervalThresholdInMinutes = 30).
const (
	errorThreshold = 3
	errorWindow    = 30 * time.Minute
)

// supervisor keeps the handler running as the real host does:
//   - each start has InitializationTimeout to answer GET /; not answering
//     is a worker error;
//   - an exit with code 0 is clean: the handler is not restarted, and
//     invocations fail until the host itself restarts (WorkerProcess.cs);
//   - an exit with code 200 asks for a restart, which does not count as an error;
//   - any other exit is a worker error and the handler is restarted;
//   - a handler the host kills after a function timeout is restarted
//     without counting an error (WebScriptHostExceptionHandler.cs);
//   - the third error stops the host.
type supervisor struct {
	h      *Host
	env    map[string]string
	failed chan error
	// started is closed once the handler first answers.
	started chan struct{}

	mu       sync.Mutex
	errs     []time.Time
	killedBy string // why the host killed the running handler, if it did
}

func newSupervisor(h *Host, env map[string]string) *supervisor {
	return &supervisor{h: h, env: env, failed: make(chan error, 1), started: make(chan struct{})}
}

// restart kills the running handler so that it starts again; the host
// does this after a function timeout, and it is not a worker error.
func (s *supervisor) restart(reason string) {
	s.mu.Lock()
	s.killedBy = reason
	s.mu.Unlock()
	s.h.workerDown()
	s.h.cfg.Worker.Kill()
}

func (s *supervisor) takeKill() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.killedBy
	s.killedBy = ""
	return r
}

// workerError records an error and reports whether the host gives up.
func (s *supervisor) workerError(err error) bool {
	now := s.h.cfg.Now()
	if n := len(s.errs); n > 0 && now.Sub(s.errs[n-1]) > errorWindow {
		s.errs = nil
	}
	s.errs = append(s.errs, now)
	if len(s.errs) >= errorThreshold {
		s.h.printf("handler error %d of %d (%v): giving up and stopping the host, as the Functions host does", len(s.errs), errorThreshold, err)
		s.failed <- fmt.Errorf("the handler failed %d times, each within %s of the last (last: %w); the Functions host stops here", len(s.errs), errorWindow, err)
		return true
	}
	s.h.printf("handler error %d of %d (%v); restarting it", len(s.errs), errorThreshold, err)
	return false
}

func (s *supervisor) run(ctx context.Context) {
	console := Console{Stdout: s.h.console(false), Stderr: s.h.console(true)}
	timeout := s.h.cfg.InitializationTimeout
	for ctx.Err() == nil {
		url, exited, err := s.h.cfg.Worker.Start(ctx, s.env, console)
		if err != nil {
			if s.workerError(err) {
				return
			}
			continue
		}
		ready := make(chan error, 1)
		rctx, cancel := context.WithCancel(ctx)
		go func() { ready <- waitReady(rctx, url, timeout) }()
		var code int
		exitedEarly := false
		select {
		case err = <-ready:
		case code = <-exited:
			exitedEarly = true
		}
		cancel()
		if ctx.Err() != nil {
			s.h.cfg.Worker.Kill()
			return
		}
		if exitedEarly {
			// A handler that stops before answering: an error exit is a worker
			// error at once; a clean exit leaves the host polling until the
			// start-up timeout, which then is the error.
			switch code {
			case exitRestartRequested:
				s.h.printf("handler exited with code 200 before it answered; restarting it")
				continue
			case exitSuccess:
				<-ready
				if ctx.Err() != nil {
					return
				}
				err = errNotReady
			default:
				<-ready
				err = fmt.Errorf("handler exited with code %d before it answered GET /", code)
			}
			if s.workerError(err) {
				return
			}
			continue
		}
		if err != nil {
			s.h.cfg.Worker.Kill()
			<-exited
			if s.workerError(fmt.Errorf("%w within %s", err, timeout)) {
				return
			}
			continue
		}
		s.h.setWorker(url)
		if !isClosed(s.started) {
			close(s.started)
		} else {
			s.h.printf("handler ready again at %s", url)
		}
		select {
		case <-ctx.Done():
			s.h.cfg.Worker.Kill()
			<-exited
			return
		case code = <-exited:
		}
		if ctx.Err() != nil {
			return
		}
		if reason := s.takeKill(); reason != "" {
			s.h.printf("handler killed (%s); restarting it", reason)
			continue
		}
		switch code {
		case exitSuccess:
			// Not restarted: the real host closes the process and keeps
			// dispatching to it, so invocations fail from here on.
			s.h.printf("handler exited with code 0; the Functions host does not restart it, so invocations fail until the host restarts")
			<-ctx.Done()
			return
		case exitRestartRequested:
			s.h.workerDown()
			s.h.printf("handler exited with code 200 (restart requested); restarting it")
			continue
		}
		s.h.workerDown()
		if s.workerError(fmt.Errorf("handler exited with code %d", code)) {
			return
		}
	}
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
