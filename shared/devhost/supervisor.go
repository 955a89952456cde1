package devhost

import (
	"context"
	"fmt"
	"time"
)

// supervisor keeps the handler running: the real host restarts a handler
// that exits or times out, and gives up after three errors in 30 minutes.
type supervisor struct {
	h       *Host
	env     map[string]string
	exited  <-chan struct{}
	crashes []time.Time
	failed  chan error
}

func newSupervisor(h *Host, env map[string]string) *supervisor {
	return &supervisor{h: h, env: env, failed: make(chan error, 1)}
}

func (s *supervisor) start(ctx context.Context) error {
	url, exited, err := s.h.cfg.Worker.Start(ctx, s.env)
	if err != nil {
		return fmt.Errorf("starting the handler: %w", err)
	}
	s.h.setWorker(url)
	s.exited = exited
	return nil
}

func (s *supervisor) watch(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.exited:
		}
		if ctx.Err() != nil {
			return
		}
		s.h.workerDown()
		now := s.h.cfg.Now()
		recent := s.crashes[:0]
		for _, c := range s.crashes {
			if now.Sub(c) < 30*time.Minute {
				recent = append(recent, c)
			}
		}
		s.crashes = append(recent, now)
		if len(s.crashes) > 3 {
			s.failed <- fmt.Errorf("the handler stopped %d times within 30 minutes; giving up as the Functions host does", len(s.crashes))
			return
		}
		s.h.printf("handler exited; restarting it (%d of 3 within 30 minutes)", len(s.crashes))
		if err := s.start(ctx); err != nil {
			s.failed <- err
			return
		}
		s.h.printf("handler ready again at %s", s.h.worker())
	}
}
