package devhost_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/devhost"
)

// countingWorker counts starts of an in-process handler.
type countingWorker struct {
	*devhost.ServerWorker
	starts atomic.Int32
	begun  chan int32
}

func (w *countingWorker) Start(ctx context.Context, env map[string]string, c devhost.Console) (string, <-chan int, error) {
	n := w.starts.Add(1)
	url, exited, err := w.ServerWorker.Start(ctx, env, c)
	if w.begun != nil {
		w.begun <- n
	}
	return url, exited, err
}

// silentWorker starts "processes" that never answer GET /.
type silentWorker struct {
	starts atomic.Int32
	mu     sync.Mutex
	exited chan int
}

func (w *silentWorker) Start(context.Context, map[string]string, devhost.Console) (string, <-chan int, error) {
	w.starts.Add(1)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there: every poll is refused
	w.mu.Lock()
	w.exited = make(chan int, 1)
	ch := w.exited
	w.mu.Unlock()
	return "http://" + addr, ch, nil
}

func (w *silentWorker) Kill() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.exited != nil {
		w.exited <- -1
		close(w.exited)
		w.exited = nil
	}
}

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// TestSupervisorFollowsTheHostsRestartRules: 30 s (here shortened) per
// start attempt, the third worker error within 30 minutes stops the host,
// exit 0 is not restarted, exit 200 restarts without counting.
func TestSupervisorFollowsTheHostsRestartRules(t *testing.T) {
	t.Parallel()
	fns := map[string]string{"tick": functionFiles["tick"]}

	t.Run("AHandlerThatNeverAnswersStopsTheHostAtTheThirdStart", func(t *testing.T) {
		t.Parallel()
		w := &silentWorker{}
		h, err := devhost.New(devhost.Config{AppRoot: appRoot(t, hostJSON, fns), Catalog: testCatalog(t), Settings: settings,
			Worker: w, Addr: "127.0.0.1:0", InitializationTimeout: 150 * time.Millisecond, DisableTimers: true})
		require.NoError(t, err)
		start := time.Now()
		err = h.Run(context.Background())
		require.ErrorContains(t, err, "initializing the handler timed out")
		require.ErrorContains(t, err, "failed 3 times")
		require.EqualValues(t, 3, w.starts.Load())
		require.GreaterOrEqual(t, time.Since(start), 3*150*time.Millisecond, "each start waits the whole initialization timeout")
	})

	run := func(t *testing.T, c *clock) (*devhost.Host, *countingWorker, *rawApp, chan error) {
		a := &rawApp{}
		w := &countingWorker{ServerWorker: &devhost.ServerWorker{Handler: a}, begun: make(chan int32, 10)}
		cfg := devhost.Config{AppRoot: appRoot(t, hostJSON, fns), Catalog: testCatalog(t), Settings: settings,
			Worker: w, Addr: "127.0.0.1:0", DisableTimers: true}
		if c != nil {
			cfg.Now = c.Now
		}
		h, err := devhost.New(cfg)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- h.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Error("the host did not stop")
			}
		})
		<-w.begun
		select {
		case <-h.Ready():
		case err := <-done:
			t.Fatalf("host stopped: %v", err)
		}
		return h, w, a, done
	}
	// exitAndAwait makes the handler exit with code and waits for the next start.
	exitAndAwait := func(t *testing.T, w *countingWorker, code int) {
		w.Exit(code)
		select {
		case <-w.begun:
		case <-time.After(10 * time.Second):
			t.Fatalf("no restart after exit %d", code)
		}
	}

	t.Run("ExitCodeZeroIsNotRestarted", func(t *testing.T) {
		t.Parallel()
		h, w, _, done := run(t, nil)
		w.Exit(0)
		// The next invocation goes to the stopped handler and fails; no new start.
		waitFor(t, "a failed invocation", func() bool {
			inv, err := h.RunTimer(context.Background(), "tick")
			return err == nil && !inv.OK && strings.Contains(inv.Error, "calling handler")
		})
		require.EqualValues(t, 1, w.starts.Load())
		select {
		case err := <-done:
			t.Fatalf("the host stopped: %v", err)
		default:
		}
	})

	t.Run("ExitCode200RestartsWithoutCountingAnError", func(t *testing.T) {
		t.Parallel()
		h, w, _, done := run(t, nil)
		for range 4 {
			exitAndAwait(t, w, 200)
		}
		waitFor(t, "an invocation on the restarted handler", func() bool {
			inv, err := h.RunTimer(context.Background(), "tick")
			return err == nil && inv.OK
		})
		require.EqualValues(t, 5, w.starts.Load())
		select {
		case err := <-done:
			t.Fatalf("the host stopped: %v", err)
		default:
		}
	})

	t.Run("TheThirdErrorWithin30MinutesStopsTheHost", func(t *testing.T) {
		t.Parallel()
		c := &clock{now: time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)}
		_, w, _, done := run(t, c)
		exitAndAwait(t, w, 1)
		c.advance(29 * time.Minute)
		exitAndAwait(t, w, 1)
		c.advance(29 * time.Minute) // 58 minutes after the first, 29 after the last
		w.Exit(2)
		select {
		case err := <-done:
			require.ErrorContains(t, err, "failed 3 times")
			done <- err // for the cleanup
		case <-time.After(10 * time.Second):
			t.Fatal("the host kept running after the third error")
		}
	})

	t.Run("ErrorsMoreThan30MinutesApartDoNotAddUp", func(t *testing.T) {
		t.Parallel()
		c := &clock{now: time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)}
		h, w, _, done := run(t, c)
		for range 4 {
			exitAndAwait(t, w, 1)
			c.advance(31 * time.Minute)
		}
		waitFor(t, "an invocation on the restarted handler", func() bool {
			inv, err := h.RunTimer(context.Background(), "tick")
			return err == nil && inv.OK
		})
		select {
		case err := <-done:
			t.Fatalf("the host stopped: %v", err)
		default:
		}
	})
}

var _ http.Handler = (*rawApp)(nil)
