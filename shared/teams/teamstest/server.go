package teamstest

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

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

type injected struct {
	status int
	times  int
}

// Server is a fake Workflows webhook. It is safe for concurrent use.
type Server struct {
	srv      *httptest.Server
	maxBytes int
	sig      string

	mu      sync.Mutex
	limiter *rate.Limiter
	cards   []teams.Card
	calls   []Call
	inject  []injected
	delay   time.Duration
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
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the workflow URL to configure as TEAMS_WORKFLOW_URL, sig included.
func (s *Server) URL() string {
	return s.srv.URL + WorkflowPath + "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=" + s.sig
}

// Close stops the fake; requests in flight are cut.
func (s *Server) Close() {
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
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// FailNext answers the next times requests with status (429 and 503 with
// "Retry-After: 1"), accepting nothing.
func (s *Server) FailNext(status, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inject = append(s.inject, injected{status: status, times: times})
}

// Delay holds every following answer for d (0 to stop); a caller that
// gives up earlier is let go.
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(s.maxBytes)*4))
	if err != nil {
		http.Error(w, "reading body", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	i := len(s.calls)
	s.calls = append(s.calls, Call{Bytes: len(body)})
	delay := s.delay
	s.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	status, header, answer := s.answer(r, body)
	s.mu.Lock()
	s.calls[i].Status = status // noted before it is sent
	s.mu.Unlock()
	for k, v := range header {
		w.Header()[k] = v
	}
	if answer != nil {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = w.Write(answer)
}

// answer decides the answer to one request, in the order the real service
// appears to check: the trigger and its sig, the size, the rate, the shape.
func (s *Server) answer(r *http.Request, body []byte) (int, http.Header, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.inject) > 0 {
		in := &s.inject[0]
		in.times--
		status := in.status
		if in.times <= 0 {
			s.inject = s.inject[1:]
		}
		var h http.Header
		if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
			h = http.Header{"Retry-After": {"1"}}
		}
		return status, h, failure("Injected", fmt.Sprintf("teamstest: told to fail with %d", status))
	}
	if r.URL.Path != WorkflowPath {
		return http.StatusNotFound, nil, failure("TriggerNotFound", "no such workflow trigger")
	}
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, nil, failure("MethodNotAllowed", "use POST")
	}
	if r.URL.Query().Get("sig") != s.sig {
		return http.StatusUnauthorized, nil, failure("DirectApiInvalidAuthorizationSignature", "the signature in the request is not valid")
	}
	if len(body) > s.maxBytes {
		return http.StatusRequestEntityTooLarge, nil, failure("RequestEntityTooLarge", "Request Entity too large")
	}
	if res := s.limiter.Reserve(); res.Delay() > 0 {
		wait := res.Delay()
		res.Cancel()
		secs := max(1, int(math.Ceil(wait.Seconds())))
		return http.StatusTooManyRequests, http.Header{"Retry-After": {strconv.Itoa(secs)}}, failure("TooManyRequests", "rate limit is exceeded")
	}
	var m teams.Message
	if err := json.Unmarshal(body, &m); err != nil {
		return http.StatusBadRequest, nil, failure("InvalidRequestContent", "body is not JSON")
	}
	if m.Type != teams.MessageType || len(m.Attachments) == 0 ||
		m.Attachments[0].ContentType != teams.AdaptiveCardType || m.Attachments[0].Content.Type != teams.AdaptiveCard {
		return http.StatusBadRequest, nil, failure("InvalidRequestContent", "expected a message with an Adaptive Card attachment")
	}
	s.cards = append(s.cards, m.Attachments[0].Content)
	return http.StatusAccepted, nil, nil
}

func failure(code, message string) []byte {
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": message}})
	return b
}
