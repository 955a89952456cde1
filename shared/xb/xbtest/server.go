package xbtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/popsockets/integration/shared/xb"
)

// DefaultAPIKey is the key the fake accepts when Config.APIKey is empty.
const DefaultAPIKey = "xbtest-key"

// Config configures the fake.
type Config struct {
	// APIKey is the key it accepts (default DefaultAPIKey).
	APIKey string
	// ShipMethods are the codes it accepts (default xb.ShipMethods).
	ShipMethods []string
}

// Call is one request the fake received, and what it answered.
type Call struct {
	Method         string
	Path           string
	IdempotencyKey string
	Body           []byte
	Status         int
}

// Received is an order the fake created.
type Received struct {
	Order          xb.Order
	IdempotencyKey string
}

type answer struct {
	fingerprint [32]byte
	status      int
	header      http.Header
	body        []byte
}

type injected struct {
	status int
	body   []byte
	times  int
}

// Server is a fake XB. It is safe for concurrent use.
type Server struct {
	srv         *httptest.Server
	apiKey      string
	shipMethods []string

	mu      sync.Mutex
	orders  []Received
	byNo    map[string]int
	answers map[string]answer
	calls   []Call
	inject  []injected
	delay   time.Duration
}

// NewServer starts the fake on a loopback port.
func NewServer(cfg Config) *Server {
	s := &Server{
		apiKey:      cfg.APIKey,
		shipMethods: slices.Clone(cfg.ShipMethods),
		byNo:        map[string]int{},
		answers:     map[string]answer{},
	}
	if s.apiKey == "" {
		s.apiKey = DefaultAPIKey
	}
	if len(s.shipMethods) == 0 {
		s.shipMethods = slices.Clone(xb.ShipMethods)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the base URL to configure as XB_BASE_URL.
func (s *Server) URL() string { return s.srv.URL }

// APIKey is the key the fake accepts.
func (s *Server) APIKey() string { return s.apiKey }

// Close stops the fake; requests in flight are cut.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Orders is every order created, in order.
func (s *Server) Orders() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.orders)
}

// Calls is every request received, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		c.Body = slices.Clone(c.Body)
		out[i] = c
	}
	return out
}

// FailNext answers the next times requests with status and a WireError
// body, creating nothing. 429 and 503 carry "Retry-After: 1".
func (s *Server) FailNext(status, times int) {
	b, _ := json.Marshal(xb.WireError{Code: "injected", Message: fmt.Sprintf("xbtest: told to fail with %d", status)})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inject = append(s.inject, injected{status: status, body: b, times: times})
}

// RejectNext answers the next request with status and body, creating nothing.
func (s *Server) RejectNext(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inject = append(s.inject, injected{status: status, body: []byte(body), times: 1})
}

// Delay holds every following answer for d (0 to stop); a caller that
// gives up earlier is let go.
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "reading body", http.StatusBadRequest)
		return
	}
	key := r.Header.Get(xb.HeaderIdempotencyKey)
	s.mu.Lock()
	i := len(s.calls)
	s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, IdempotencyKey: key, Body: body})
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
	a := s.answer(r, key, body)
	s.mu.Lock()
	s.calls[i].Status = a.status // noted before it is sent
	s.mu.Unlock()
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

func (s *Server) answer(r *http.Request, key string, body []byte) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.inject) > 0 {
		in := &s.inject[0]
		in.times--
		a := answer{status: in.status, body: in.body}
		if in.times <= 0 {
			s.inject = s.inject[1:]
		}
		if a.status == http.StatusTooManyRequests || a.status == http.StatusServiceUnavailable {
			a.header = http.Header{"Retry-After": {"1"}}
		}
		return a
	}
	if r.URL.Path != xb.PathOrders {
		return fail(http.StatusNotFound, "not_found", "no such resource")
	}
	if r.Method != http.MethodPost {
		return fail(http.StatusMethodNotAllowed, "method_not_allowed", "use POST")
	}
	if r.Header.Get(xb.HeaderAPIKey) != s.apiKey {
		return fail(http.StatusUnauthorized, xb.CodeUnauthorized, "missing or invalid API key")
	}
	if key == "" {
		return fail(http.StatusBadRequest, xb.CodeValidationFailed, "Idempotency-Key header is required")
	}
	// s.mu is held until the answer is remembered, so a repeated key
	// always finds the first answer.
	fp := sha256.Sum256(body)
	if a, ok := s.answers[key]; ok {
		if a.fingerprint != fp {
			return fail(http.StatusUnprocessableEntity, xb.CodeIdempotencyKeyReused, "Idempotency-Key was used with another body")
		}
		if a.status == http.StatusCreated {
			a.status = http.StatusOK // a replay
		}
		return a
	}
	a := s.create(key, body)
	a.fingerprint = fp
	s.answers[key] = a
	return a
}

// create validates and creates an order; s.mu is held.
func (s *Server) create(key string, body []byte) answer {
	var w xb.WireOrder
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&w); err != nil {
		return fail(http.StatusBadRequest, xb.CodeValidationFailed, "body is not a JSON order")
	}
	var problems []string
	for _, f := range []struct{ name, value string }{
		{"orderNo", w.OrderNo}, {"shipTo.name", w.ShipTo.Name}, {"shipTo.line1", w.ShipTo.Line1},
		{"shipTo.city", w.ShipTo.City}, {"shipTo.country", w.ShipTo.Country}, {"shipMethod", w.ShipMethod},
	} {
		if f.value == "" {
			problems = append(problems, f.name+" is required")
		}
	}
	if len(w.Lines) == 0 {
		problems = append(problems, "lines must not be empty")
	}
	for i, l := range w.Lines {
		if l.SKU == "" || l.Qty <= 0 {
			problems = append(problems, fmt.Sprintf("lines[%d] needs a sku and a positive qty", i))
		}
	}
	if len(problems) > 0 {
		a := fail(http.StatusUnprocessableEntity, xb.CodeValidationFailed, "invalid order")
		a.body, _ = json.Marshal(xb.WireError{Code: xb.CodeValidationFailed, Message: "invalid order", Details: problems})
		return a
	}
	if !slices.Contains(s.shipMethods, w.ShipMethod) {
		return fail(http.StatusUnprocessableEntity, xb.CodeInvalidShipMethod, fmt.Sprintf("shipMethod %q is not one of %v", w.ShipMethod, s.shipMethods))
	}
	if _, ok := s.byNo[w.OrderNo]; ok {
		b, _ := json.Marshal(xb.WireError{Code: xb.CodeOrderExists, Message: "order " + w.OrderNo + " already exists", OrderNo: w.OrderNo})
		return answer{status: http.StatusConflict, body: b}
	}
	s.byNo[w.OrderNo] = len(s.orders)
	s.orders = append(s.orders, Received{Order: xb.FromWire(w), IdempotencyKey: key})
	b, _ := json.Marshal(xb.WireCreated{OrderNo: w.OrderNo, Status: "created"})
	return answer{status: http.StatusCreated, body: b}
}

func fail(status int, code, message string) answer {
	b, _ := json.Marshal(xb.WireError{Code: code, Message: message})
	return answer{status: status, body: b}
}
