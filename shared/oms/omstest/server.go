package omstest

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/popsockets/integration/shared/fakeserver"
	"github.com/popsockets/integration/shared/oms"
)

// DefaultToken is the bearer token the fake accepts when Config.Token is empty.
const DefaultToken = "omstest-token"

// Config configures the fake.
type Config struct {
	// Token is the bearer token it accepts (default DefaultToken).
	Token string
	// Now is the clock of the journey (default time.Now).
	Now func() time.Time
}

// Call is one request the fake received, and what it answered.
type Call = fakeserver.Call

// Effect is one transition the fake applied through its API.
type Effect struct {
	From, To       string
	IdempotencyKey string
}

// Step is one state an order entered, and when.
type Step struct {
	State string
	At    time.Time
}

type order struct {
	state   string
	journey []Step
	effects []Effect
}

// remembered is an answer the fake keeps for its idempotency key.
type remembered struct {
	fingerprint [32]byte
	answer      fakeserver.Answer
}

// Server is a fake OMS on a real socket: it serves the contract of package
// oms (contract.go), holds orders and their states, enforces the bearer
// token and the transitions, and answers a repeated Idempotency-Key with
// the first answer and no second effect. Answers it was told to give
// (FailNext, RejectNext) have no effect and are not remembered for the key,
// so a retry after them proceeds. It is safe for concurrent use, and
// usable outside tests (the local run).
type Server struct {
	srv   *httptest.Server
	front *fakeserver.Front
	token string
	now   func() time.Time

	mu      sync.Mutex
	orders  map[string]*order
	answers map[string]remembered
	// created and products hold the endpoints of jackyun.go and products.go.
	created   createdState
	products  productState
	lookups   lookups
	throttled map[string]throttle
}

// NewServer starts the fake on a loopback port.
func NewServer(cfg Config) *Server {
	s := &Server{
		token:   cfg.Token,
		now:     cfg.Now,
		orders:  map[string]*order{},
		answers: map[string]remembered{},
		front:   &fakeserver.Front{IdempotencyHeader: oms.HeaderIdempotencyKey, MaxBody: maxBody},
	}
	if s.token == "" {
		s.token = DefaultToken
	}
	if s.now == nil {
		s.now = time.Now
	}
	mux := http.NewServeMux()
	mux.HandleFunc(http.MethodPatch+" "+oms.PathOrderStatus, s.handleStatus)
	mux.HandleFunc(http.MethodPost+" "+oms.PathCirroConfirmation, s.handleConfirmation)
	mux.HandleFunc(http.MethodPost+" "+oms.PathFulfillOrders, s.handleFulfill)
	s.createdRoutes(mux)
	s.productRoutes(mux)
	s.lookupRoutes(mux)
	s.srv = httptest.NewServer(s.front.Handler(func(r *http.Request, body []byte) fakeserver.Answer {
		return s.answer(mux, r, body)
	}))
	return s
}

// URL is the base URL to configure as OMS_BASE_URL.
func (s *Server) URL() string { return s.srv.URL }

// Token is the bearer token the fake accepts.
func (s *Server) Token() string { return s.token }

// Close stops the fake; requests in flight are cut.
func (s *Server) Close() {
	s.front.Close()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// AddOrder adds an order in state, or puts an existing one in state (as
// OMS itself does, such as WAITING_FULFILLMENT_CONFIRMATION when it asks
// for fulfilment). It is part of the journey, not an Effect.
func (s *Server) AddOrder(id, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[id]
	if o == nil {
		o = &order{}
		s.orders[id] = o
	}
	o.state = state
	o.journey = append(o.journey, Step{State: state, At: s.now()})
}

// State is the order's state, "" for an unknown order.
func (s *Server) State(orderID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orders[orderID]; o != nil {
		return o.state
	}
	return ""
}

// Journey is every state the order entered, in order.
func (s *Server) Journey(orderID string) []Step {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orders[orderID]; o != nil {
		return slices.Clone(o.journey)
	}
	return nil
}

// Effects is every transition the API applied to the order: one per
// distinct change, whatever the number of calls.
func (s *Server) Effects(orderID string) []Effect {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orders[orderID]; o != nil {
		return slices.Clone(o.effects)
	}
	return nil
}

// Calls is every request received, in order.
func (s *Server) Calls() []Call { return s.front.Calls() }

// FailNext answers the next times requests with status and a WireError
// body, with no effect. 429 and 503 carry "Retry-After: 1".
func (s *Server) FailNext(status, times int) {
	b, _ := json.Marshal(oms.WireError{Code: "injected", Message: fmt.Sprintf("omstest: told to fail with %d", status)})
	s.front.Tell(fakeserver.Failure(status, b), times)
}

// RejectNext answers the next request with status and body, with no effect.
func (s *Server) RejectNext(status int, body string) {
	s.front.Tell(fakeserver.Answer{Status: status, Body: []byte(body)}, 1)
}

// EchoCredentialsNext answers the next times requests with status and a
// WireError whose message repeats the Authorization header received, as a
// careless partner might, with no effect: the client must keep its token
// out of its errors all the same.
func (s *Server) EchoCredentialsNext(status, times int) {
	s.front.TellFunc(times, func(r *http.Request, _ []byte) fakeserver.Answer {
		return fakeserver.JSON(status, oms.WireError{Code: oms.CodeUnauthorized,
			Message: fmt.Sprintf("%s %q is not valid", oms.HeaderAuthorization, r.Header.Get(oms.HeaderAuthorization))})
	})
}

// Delay holds every following answer for d (0 to stop); a caller that
// gives up earlier is let go, and its request has no effect.
func (s *Server) Delay(d time.Duration) { s.front.Delay(d) }

// maxBody is the largest request body the fake reads.
const maxBody = 1 << 20

// answer decides the answer to one request that was not told one: the
// route, the token and the idempotency key, then the route's own answer.
func (s *Server) answer(mux *http.ServeMux, r *http.Request, body []byte) fakeserver.Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, pattern := mux.Handler(r); pattern == "" {
		return serve(mux, r) // 404 or 405, from the mux
	}
	if r.Header.Get(oms.HeaderAuthorization) != oms.BearerPrefix+s.token {
		return fakeserver.JSON(http.StatusUnauthorized, oms.WireError{Code: oms.CodeUnauthorized, Message: "missing or invalid bearer token"})
	}
	if r.Method == http.MethodGet {
		return serve(mux, r) // reads change nothing and need no key
	}
	if a, ok := s.throttledAnswer(r); ok {
		return a // like a told answer: no effect, not remembered for the key
	}
	key := r.Header.Get(oms.HeaderIdempotencyKey)
	if key == "" {
		return fakeserver.JSON(http.StatusUnprocessableEntity, oms.WireError{Code: oms.CodeValidationFailed, Message: "Idempotency-Key header is required"})
	}
	// s.mu is held until the answer is remembered, so a repeated key
	// always finds the first answer.
	fp := sha256.Sum256([]byte(r.Method + " " + r.URL.Path + "\n" + string(body)))
	if a, ok := s.answers[key]; ok {
		if a.fingerprint != fp {
			return fakeserver.JSON(http.StatusUnprocessableEntity, oms.WireError{Code: oms.CodeIdempotencyKeyReused, Message: "Idempotency-Key was used for another request"})
		}
		return a.answer
	}
	a := serve(mux, r)
	s.answers[key] = remembered{fingerprint: fp, answer: a}
	return a
}

// serve runs the mux (which sets the path values) and captures its answer.
func serve(mux *http.ServeMux, r *http.Request) fakeserver.Answer {
	cw := &capture{header: http.Header{}}
	mux.ServeHTTP(cw, r)
	if cw.status == 0 {
		cw.status = http.StatusOK
	}
	return fakeserver.Answer{Status: cw.status, Header: cw.header, Body: cw.body}
}

// The route handlers run with s.mu held (see answer).

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("order_id")
	var req oms.WireStatusChange
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, oms.WireError{Code: oms.CodeValidationFailed, Message: "body is not JSON"})
		return
	}
	if req.Status != oms.StateReleasedFromNAV {
		writeJSON(w, http.StatusUnprocessableEntity, oms.WireError{Code: oms.CodeValidationFailed, OrderID: id,
			Message: fmt.Sprintf("status %q cannot be set through this endpoint", req.Status)})
		return
	}
	from := req.ExpectedStatus
	if from == "" {
		from = oms.StatePendingNAVRelease
	}
	s.transition(w, r, id, from, req.Status)
}

func (s *Server) handleConfirmation(w http.ResponseWriter, r *http.Request) {
	var req oms.WireConfirmation
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, oms.WireError{Code: oms.CodeValidationFailed, Message: "body is not JSON"})
		return
	}
	var missing []string
	if req.OrderID == "" {
		missing = append(missing, "order_id is required")
	}
	if req.TPL == "" {
		missing = append(missing, "tpl is required")
	}
	if len(missing) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, oms.WireError{Code: oms.CodeValidationFailed, Message: "invalid confirmation", Details: missing})
		return
	}
	s.transition(w, r, req.OrderID, oms.StateWaitingFulfillmentConfirmation, oms.StateExportedToTPL)
}

// transition moves one order from -> to, or answers why not.
func (s *Server) transition(w http.ResponseWriter, r *http.Request, id, from, to string) {
	o := s.orders[id]
	switch {
	case o == nil:
		writeJSON(w, http.StatusNotFound, oms.WireError{Code: oms.CodeNotFound, OrderID: id, Message: fmt.Sprintf("order %s not found", id)})
	case oms.AtOrPast(o.state, to):
		writeJSON(w, http.StatusConflict, oms.WireError{Code: oms.CodeAlreadyInState, OrderID: id, CurrentStatus: o.state,
			Message: fmt.Sprintf("order %s is already %s", id, o.state)})
	case o.state != from:
		writeJSON(w, http.StatusConflict, oms.WireError{Code: oms.CodeInvalidTransition, OrderID: id, CurrentStatus: o.state,
			Message: fmt.Sprintf("order %s cannot move from %s to %s", id, o.state, to)})
	default:
		s.apply(o, to, r.Header.Get(oms.HeaderIdempotencyKey))
		writeJSON(w, http.StatusOK, oms.WireOrderStatus{OrderID: id, Status: to, Changed: true})
	}
}

func (s *Server) apply(o *order, to, key string) {
	o.effects = append(o.effects, Effect{From: o.state, To: to, IdempotencyKey: key})
	o.state = to
	o.journey = append(o.journey, Step{State: to, At: s.now()})
}

func (s *Server) handleFulfill(w http.ResponseWriter, r *http.Request) {
	var req oms.WireFulfillOrders
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, oms.WireError{Code: oms.CodeValidationFailed, Message: "body is not JSON"})
		return
	}
	var problems []string
	if len(req.Orders) == 0 {
		problems = append(problems, "orders must not be empty")
	}
	for i, o := range req.Orders {
		if o.OrderID == "" {
			problems = append(problems, fmt.Sprintf("orders[%d].order_id is required", i))
		}
		if o.Carrier == "" {
			problems = append(problems, fmt.Sprintf("orders[%d].carrier is required", i))
		}
		if len(o.TrackingNumbers) == 0 {
			problems = append(problems, fmt.Sprintf("orders[%d].tracking_numbers must not be empty", i))
		}
		if o.ShippedAt.IsZero() {
			problems = append(problems, fmt.Sprintf("orders[%d].shipped_at is required", i))
		}
	}
	if len(problems) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, oms.WireError{Code: oms.CodeValidationFailed, Message: "invalid shipments", Details: problems})
		return
	}
	// All or nothing: check every order before changing any.
	var ready []string
	for _, f := range req.Orders {
		o := s.orders[f.OrderID]
		switch {
		case o == nil:
			writeJSON(w, http.StatusNotFound, oms.WireError{Code: oms.CodeNotFound, OrderID: f.OrderID, Message: fmt.Sprintf("order %s not found", f.OrderID)})
			return
		case oms.AtOrPast(o.state, oms.StateShipped):
		case o.state != oms.StateExportedToTPL:
			writeJSON(w, http.StatusConflict, oms.WireError{Code: oms.CodeInvalidTransition, OrderID: f.OrderID, CurrentStatus: o.state,
				Message: fmt.Sprintf("order %s cannot ship from %s", f.OrderID, o.state)})
			return
		default:
			if !slices.Contains(ready, f.OrderID) {
				ready = append(ready, f.OrderID)
			}
		}
	}
	if len(ready) == 0 {
		writeJSON(w, http.StatusConflict, oms.WireError{Code: oms.CodeAlreadyInState, OrderID: req.Orders[0].OrderID, CurrentStatus: oms.StateShipped,
			Message: "every order is already shipped"})
		return
	}
	var res oms.WireFulfillResult
	for _, f := range req.Orders {
		changed := slices.Contains(ready, f.OrderID)
		if changed && s.orders[f.OrderID].state != oms.StateShipped {
			s.apply(s.orders[f.OrderID], oms.StateShipped, r.Header.Get(oms.HeaderIdempotencyKey))
		}
		res.Orders = append(res.Orders, oms.WireOrderStatus{OrderID: f.OrderID, Status: oms.StateShipped, Changed: changed})
	}
	writeJSON(w, http.StatusOK, res)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// capture holds a route's answer so that it can be remembered for its key.
type capture struct {
	header http.Header
	status int
	body   []byte
}

func (c *capture) Header() http.Header { return c.header }
func (c *capture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}
func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.body = append(c.body, b...)
	return len(b), nil
}
