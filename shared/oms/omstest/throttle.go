package omstest

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/popsockets/integration/shared/fakeserver"
)

// ThrottleNext answers the next times requests with 429 and a Retry-After
// of retryAfter (whole seconds), with no effect, as OMS does when a client
// is over its rate: a caller that honours Retry-After longer than it can
// wait gives up at once.
func (s *Server) ThrottleNext(times int, retryAfter time.Duration) {
	b := fmt.Appendf(nil, `{"code":"rate_limited","message":"omstest: told to throttle for %s"}`, retryAfter)
	s.front.Tell(fakeserver.Answer{Status: http.StatusTooManyRequests, Body: b,
		Header: http.Header{"Retry-After": {strconv.Itoa(int(retryAfter.Seconds()))}}}, times)
}
