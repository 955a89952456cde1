package omstest

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/popsockets/integration/shared/fakeserver"
	"github.com/popsockets/integration/shared/oms"
)

// throttle is how often the fake still answers 429 for one order's status.
type throttle struct {
	times      int
	retryAfter time.Duration
}

// ThrottleOrder answers the next times status changes of orderID (PATCH
// of its status, NAV's release) with 429 and a Retry-After of retryAfter
// (whole seconds), with no effect, as OMS does when a client is over its
// rate; other requests are answered as usual. A caller that honours a
// Retry-After longer than it can wait gives up at once.
func (s *Server) ThrottleOrder(orderID string, times int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.throttled == nil {
		s.throttled = map[string]throttle{}
	}
	s.throttled[oms.OrderStatusPath(orderID)] = throttle{times: times, retryAfter: retryAfter}
}

// throttledAnswer is the 429 for a throttled order's request (s.mu held).
func (s *Server) throttledAnswer(r *http.Request) (fakeserver.Answer, bool) {
	th, ok := s.throttled[r.URL.Path]
	if !ok || th.times <= 0 {
		return fakeserver.Answer{}, false
	}
	th.times--
	s.throttled[r.URL.Path] = th
	return fakeserver.Answer{Status: http.StatusTooManyRequests,
		Body:   fmt.Appendf(nil, `{"code":"rate_limited","message":"omstest: told to throttle for %s"}`, th.retryAfter),
		Header: http.Header{"Retry-After": {strconv.Itoa(int(th.retryAfter.Seconds()))}}}, true
}
