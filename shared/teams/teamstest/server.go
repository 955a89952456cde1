package teamstest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/popsockets/integration/shared/fakeserver"
	"github.com/popsockets/integration/shared/teams"
)

// Defaults, those of the real service.
const (
	DefaultMaxBytes      = teams.LimitBytes
	DefaultRatePerSecond = 4
	DefaultBurst         = 4
	DefaultSig           = "teamstest-sig"
	// WorkflowPath is the path of the fake's trigger.
	WorkflowPath = "/workflows/teamstest/triggers/manual/paths/invoke"
)

// Config configures the fake.
type Config struct {
	// MaxBytes is the largest body accepted (default 28 KB); larger is 413.
	MaxBytes int
	// RatePerSecond and Burst shape the token bucket over which requests
	// get 429 (default 4 per second, burst 4).
	RatePerSecond float64
	Burst         int
	// Sig is the credential in the URL's query (default DefaultSig).
	Sig string
}

// Call is one request the fake received, and what it answered.
type Call struct {
	Bytes  int
	Status int
}

// Server is a fake Workflows webhook. It is safe for concurrent use.
type Server struct {
	srv      *httptest.Server
	front    *fakeserver.Front
	maxBytes int
	sig      string

	mu      sync.Mutex
	limiter *rate.Limiter
	cards   []teams.Card
}

// NewServer starts the fake on a loopback port.
func NewServer(cfg Config) *Server {
	s := &Server{maxBytes: cfg.MaxBytes, sig: cfg.Sig}
	if s.maxBytes == 0 {
		s.maxBytes = DefaultMaxBytes
	}
	if s.sig == "" {
		s.sig = DefaultSig
	}
	perSecond, burst := cfg.RatePerSecond, cfg.Burst
	if perSecond == 0 {
		perSecond = DefaultRatePerSecond
	}
	if burst == 0 {
		burst = DefaultBurst
	}
	s.limiter = rate.NewLimiter(rate.Limit(perSecond), burst)
	s.front = &fakeserver.Front{MaxBody: int64(s.maxBytes) * 4}
	s.srv = httptest.NewServer(s.front.Handler(s.answer))
	return s
}

// URL is the workflow URL to configure as TEAMS_WORKFLOW_URL, sig included.
func (s *Server) URL() string {
	return s.srv.URL + WorkflowPath + "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=" + s.sig
}

// Close stops the fake; requests in flight are cut.
func (s *Server) Close() {
	s.front.Close()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Cards is every card accepted, in order.
func (s *Server) Cards() []teams.Card {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.cards)
}

// Calls is every request received, in order.
func (s *Server) Calls() []Call {
	calls := s.front.Calls()
	out := make([]Call, len(calls))
	for i, c := range calls {
		out[i] = Call{Bytes: len(c.Body), Status: c.Status}
	}
	return out
}

// FailNext answers the next times requests with status (429 and 503 with
// "Retry-After: 1"), accepting nothing.
func (s *Server) FailNext(status, times int) {
	s.front.Tell(fakeserver.Failure(status, failure("Injected", fmt.Sprintf("teamstest: told to fail with %d", status))), times)
}

// EchoCredentialsNext answers the next times requests with status and a
// Workflows error whose message repeats the request's path and query (sig
// included), as a careless service might, accepting nothing: the client
// must keep the URL out of its errors all the same.
func (s *Server) EchoCredentialsNext(status, times int) {
	s.front.TellFunc(times, func(r *http.Request, _ []byte) fakeserver.Answer {
		return fakeserver.Answer{Status: status, Body: failure("DirectApiInvalidAuthorizationSignature",
			fmt.Sprintf("the signature '%s' of the request %s is not valid", r.URL.Query().Get("sig"), r.URL.RequestURI()))}
	})
}

// Delay holds every following answer for d (0 to stop); a caller that
// gives up earlier is let go, and nothing is accepted.
func (s *Server) Delay(d time.Duration) { s.front.Delay(d) }

// answer decides the answer to a request that was not told one, in the
// order the real service appears to check: the trigger and its sig, the
// size, the rate, the shape.
func (s *Server) answer(r *http.Request, body []byte) fakeserver.Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Path != WorkflowPath {
		return fakeserver.Answer{Status: http.StatusNotFound, Body: failure("TriggerNotFound", "no such workflow trigger")}
	}
	if r.Method != http.MethodPost {
		return fakeserver.Answer{Status: http.StatusMethodNotAllowed, Body: failure("MethodNotAllowed", "use POST")}
	}
	if r.URL.Query().Get("sig") != s.sig {
		return fakeserver.Answer{Status: http.StatusUnauthorized, Body: failure("DirectApiInvalidAuthorizationSignature", "the signature in the request is not valid")}
	}
	if len(body) > s.maxBytes {
		return fakeserver.Answer{Status: http.StatusRequestEntityTooLarge, Body: failure("RequestEntityTooLarge", "Request Entity too large")}
	}
	if res := s.limiter.Reserve(); res.Delay() > 0 {
		wait := res.Delay()
		res.Cancel()
		secs := max(1, int(math.Ceil(wait.Seconds())))
		return fakeserver.Answer{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {strconv.Itoa(secs)}},
			Body: failure("TooManyRequests", "rate limit is exceeded")}
	}
	var m teams.Message
	if err := json.Unmarshal(body, &m); err != nil {
		return fakeserver.Answer{Status: http.StatusBadRequest, Body: failure("InvalidRequestContent", "body is not JSON")}
	}
	if m.Type != teams.MessageType || len(m.Attachments) == 0 ||
		m.Attachments[0].ContentType != teams.AdaptiveCardType || m.Attachments[0].Content.Type != teams.AdaptiveCard {
		return fakeserver.Answer{Status: http.StatusBadRequest, Body: failure("InvalidRequestContent", "expected a message with an Adaptive Card attachment")}
	}
	s.cards = append(s.cards, m.Attachments[0].Content)
	return fakeserver.Answer{Status: http.StatusAccepted}
}

// failure is a Workflows error body.
func failure(code, message string) []byte {
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": message}})
	return b
}
