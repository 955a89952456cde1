package xbtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/popsockets/integration/shared/fakeserver"
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
type Call = fakeserver.Call

// Received is an order the fake created.
type Received struct {
	Order          xb.Order
	IdempotencyKey string
}

// remembered is an answer the fake keeps for its idempotency key.
type remembered struct {
	fingerprint [32]byte
	answer      fakeserver.Answer
}

// Server is a fake XB. It is safe for concurrent use.
type Server struct {
	srv         *httptest.Server
	front       *fakeserver.Front
	apiKey      string
	shipMethods []string

	mu      sync.Mutex
	orders  []Received
	byNo    map[string]int
	answers map[string]remembered
}

// NewServer starts the fake on a loopback port.
func NewServer(cfg Config) *Server {
	s := &Server{
		apiKey:      cfg.APIKey,
		shipMethods: slices.Clone(cfg.ShipMethods),
		byNo:        map[string]int{},
		answers:     map[string]remembered{},
		front:       &fakeserver.Front{IdempotencyHeader: xb.HeaderIdempotencyKey},
	}
	if s.apiKey == "" {
		s.apiKey = DefaultAPIKey
	}
	if len(s.shipMethods) == 0 {
		s.shipMethods = slices.Clone(xb.ShipMethods)
	}
	s.srv = httptest.NewServer(s.front.Handler(s.answer))
	return s
}

// URL is the base URL to configure as XB_BASE_URL.
func (s *Server) URL() string { return s.srv.URL }

// APIKey is the key the fake accepts.
func (s *Server) APIKey() string { return s.apiKey }

// Close stops the fake; requests in flight are cut.
func (s *Server) Close() {
	s.front.Close()
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
func (s *Server) Calls() []Call { return s.front.Calls() }

// FailNext answers the next times requests with status and a WireError
// body, creating nothing. 429 and 503 carry "Retry-After: 1".
func (s *Server) FailNext(status, times int) {
	b, _ := json.Marshal(xb.WireError{Code: "injected", Message: fmt.Sprintf("xbtest: told to fail with %d", status)})
	s.front.Tell(fakeserver.Failure(status, b), times)
}

// RejectNext answers the next request with status and body, creating nothing.
func (s *Server) RejectNext(status int, body string) {
	s.front.Tell(fakeserver.Answer{Status: status, Body: []byte(body)}, 1)
}

// EchoCredentialsNext answers the next times requests with status and a
// WireError whose message repeats the API key received, as a careless
// partner might, creating nothing: the client must keep its key out of its
// errors all the same.
func (s *Server) EchoCredentialsNext(status, times int) {
	s.front.TellFunc(times, func(r *http.Request, _ []byte) fakeserver.Answer {
		return fakeserver.JSON(status, xb.WireError{Code: xb.CodeUnauthorized,
			Message: fmt.Sprintf("%s %q is not valid", xb.HeaderAPIKey, r.Header.Get(xb.HeaderAPIKey))})
	})
}

// Delay holds every following answer for d (0 to stop); a caller that
// gives up earlier is let go, and its request creates nothing.
func (s *Server) Delay(d time.Duration) { s.front.Delay(d) }

// answer decides the answer to a request that was not told one.
func (s *Server) answer(r *http.Request, body []byte) fakeserver.Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Path != xb.PathOrders {
		return fail(http.StatusNotFound, "not_found", "no such resource")
	}
	if r.Method != http.MethodPost {
		return fail(http.StatusMethodNotAllowed, "method_not_allowed", "use POST")
	}
	if r.Header.Get(xb.HeaderAPIKey) != s.apiKey {
		return fail(http.StatusUnauthorized, xb.CodeUnauthorized, "missing or invalid API key")
	}
	key := r.Header.Get(xb.HeaderIdempotencyKey)
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
		replay := a.answer
		if replay.Status == http.StatusCreated {
			replay.Status = http.StatusOK // a replay
		}
		return replay
	}
	a := s.create(key, body)
	s.answers[key] = remembered{fingerprint: fp, answer: a}
	return a
}

// create validates and creates an order; s.mu is held.
func (s *Server) create(key string, body []byte) fakeserver.Answer {
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
		return fakeserver.JSON(http.StatusUnprocessableEntity, xb.WireError{Code: xb.CodeValidationFailed, Message: "invalid order", Details: problems})
	}
	if !slices.Contains(s.shipMethods, w.ShipMethod) {
		return fail(http.StatusUnprocessableEntity, xb.CodeInvalidShipMethod, fmt.Sprintf("shipMethod %q is not one of %v", w.ShipMethod, s.shipMethods))
	}
	if _, ok := s.byNo[w.OrderNo]; ok {
		return fakeserver.JSON(http.StatusConflict, xb.WireError{Code: xb.CodeOrderExists, Message: "order " + w.OrderNo + " already exists", OrderNo: w.OrderNo})
	}
	s.byNo[w.OrderNo] = len(s.orders)
	s.orders = append(s.orders, Received{Order: xb.FromWire(w), IdempotencyKey: key})
	return fakeserver.JSON(http.StatusCreated, xb.WireCreated{OrderNo: w.OrderNo, Status: "created"})
}

func fail(status int, code, message string) fakeserver.Answer {
	return fakeserver.JSON(status, xb.WireError{Code: code, Message: message})
}
