// Package printstationtest is a fake PrintStation on a real socket: it
// serves the paths of contract.go, checks the API key, records every call
// and can be told to fail (shared/fakeserver). Each flow's endpoints live in
// their own file (batches.go, products.go) and register themselves in
// routes below.
package printstationtest

import (
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/popsockets/integration/shared/fakeserver"
	"github.com/popsockets/integration/shared/printstation"
)

// DefaultAPIKey is the key the fake accepts when Config.APIKey is empty.
const DefaultAPIKey = "printstationtest-key"

// Config configures the fake.
type Config struct {
	// APIKey is the key it accepts (default DefaultAPIKey).
	APIKey string
}

// Call is one request the fake received, and what it answered.
type Call = fakeserver.Call

// Server is a fake PrintStation. It is safe for concurrent use.
type Server struct {
	srv    *httptest.Server
	front  *fakeserver.Front
	apiKey string
	mux    *http.ServeMux

	mu sync.Mutex
	// state of each flow's endpoints lives in their files' types, held here.
	batches  batchState
	products productState
}

// NewServer starts the fake on a loopback port.
func NewServer(cfg Config) *Server {
	s := &Server{apiKey: cfg.APIKey, mux: http.NewServeMux(),
		front: &fakeserver.Front{IdempotencyHeader: printstation.HeaderIdempotencyKey}}
	if s.apiKey == "" {
		s.apiKey = DefaultAPIKey
	}
	s.batchRoutes()
	s.productRoutes()
	s.srv = httptest.NewServer(s.front.Handler(s.answer))
	return s
}

// URL is the base URL to configure as PRINTSTATION_BASE_URL.
func (s *Server) URL() string { return s.srv.URL }

// APIKey is the key the fake accepts.
func (s *Server) APIKey() string { return s.apiKey }

// Close stops the fake; requests in flight are cut.
func (s *Server) Close() {
	s.front.Close()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Calls is every request received, in order.
func (s *Server) Calls() []Call { return s.front.Calls() }

// FailNext answers the next times requests with status and no effect.
func (s *Server) FailNext(status, times int) {
	s.front.Tell(fakeserver.Failure(status, []byte(`{"error":"injected failure"}`)), times)
}

// answer checks the API key, then routes the request.
func (s *Server) answer(r *http.Request, body []byte) fakeserver.Answer {
	if r.Header.Get(printstation.HeaderAPIKey) != s.apiKey {
		return fakeserver.JSON(http.StatusUnauthorized, map[string]string{"error": "invalid api key"})
	}
	h, pattern := s.mux.Handler(r)
	if pattern == "" {
		return fakeserver.JSON(http.StatusNotFound, map[string]string{"error": "no such endpoint"})
	}
	rec := httptest.NewRecorder()
	r = r.WithContext(withBody(r.Context(), body))
	h.ServeHTTP(rec, r)
	return fakeserver.Answer{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}
