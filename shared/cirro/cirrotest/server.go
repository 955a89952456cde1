package cirrotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/popsockets/integration/shared/cirro"
	"github.com/popsockets/integration/shared/fakeserver"
	"github.com/popsockets/integration/shared/webhook"
)

// Defaults for Config.
const (
	DefaultAppKey   = "cirrotest-app-key"
	DefaultAppToken = "cirrotest-app-token"
	DefaultTokenTTL = 2 * time.Hour
	// DefaultSecret signs callbacks when Callback.Secret is empty.
	DefaultSecret = "whsec_Y2lycm90ZXN0LWNhbGxiYWNrLXNlY3JldC0wMDE="
)

// DefaultShippingMethods are accepted when Config.ShippingMethods is empty.
var DefaultShippingMethods = []string{"USPS_GROUND", "USPS_PRIORITY", "UPS_GROUND", "UPS_2DAY", "FEDEX_GROUND"}

// Config configures the fake. Every field is optional.
type Config struct {
	// AppKey and AppToken are the credentials it issues tokens for.
	AppKey, AppToken string
	// TokenTTL is how long an issued token lives (default 2h).
	TokenTTL time.Duration
	// ShippingMethods are the codes it accepts (default DefaultShippingMethods).
	ShippingMethods []string
	// SKUs, when set, are the only SKUs it accepts.
	SKUs []string
	// InventoryWarehouses and InventorySKUs shape the inventory history it
	// serves (defaults DefaultInventoryWarehouses, DefaultInventorySKUs).
	InventoryWarehouses []string
	InventorySKUs       int
	// Callback, when set, is where acceptance and shipment callbacks go.
	Callback *Callback
	// Now is its clock, for token expiry, shipped_at and signatures (default time.Now).
	Now func() time.Time
}

// Callback says where and how the fake calls us back.
type Callback struct {
	// BaseURL receives POST BaseURL+"/acceptance" and BaseURL+"/shipment",
	// e.g. http://127.0.0.1:7071/api/cirro.
	BaseURL string
	// Secret signs the callbacks, whsec_<base64> (default DefaultSecret).
	Secret string
	// FunctionKey, when set, is sent as x-functions-key
	// (fakeserver.HeaderFunctionsKey), as the Functions host requires of
	// calls to a function with authLevel "function".
	FunctionKey string
	// With Auto, the fake sends the acceptance AcceptDelay after accepting
	// an order, and the shipment ShipDelay after that, by itself; a
	// shipment follows only an acceptance that was delivered.
	AcceptDelay, ShipDelay time.Duration
	Auto                   bool
}

// Order is an order the fake accepted.
type Order struct {
	RequestID string
	OrderNo   string
	B2B       bool
	// Create is the order received (for B2B, its common part).
	Create cirro.OrderCreate
	// PONumber, LabelTemplate and CartonList are set for B2B orders.
	PONumber      string
	LabelTemplate json.RawMessage
	CartonList    json.RawMessage
	// Body is the request body as received, envelope included.
	Body json.RawMessage
}

// Delivery is one callback the fake sent, or gave up sending.
type Delivery struct {
	// Event is "acceptance" or "shipment".
	Event       string
	ReferenceNo string
	OrderNo     string
	WebhookID   string
	// Attempts is how many POSTs it took; Status the last HTTP status (0
	// if none answered); Err is nil when one answered 2xx.
	Attempts int
	Status   int
	Err      error
}

type order struct {
	Order
	seq int
	// bodies holds the callback body of each event once built, so that a
	// resend is identical.
	bodies map[string][]byte
}

type rejection struct {
	code    int
	message string
}

// Server is the fake Cirro.
type Server struct {
	cfg    Config
	srv    *httptest.Server
	front  *fakeserver.Front
	signer *webhook.Signer
	hc     *http.Client
	ctx    context.Context
	cancel context.CancelFunc
	bg     sync.WaitGroup

	mu         sync.Mutex
	closed     bool
	tokens     map[string]time.Time
	byRequest  map[string]*order
	byRef      map[string]*order
	orders     []*order
	orderSeq   int
	boxSeq     int
	rejects    []rejection
	deliveries []Delivery
	pending    int
	idle       []chan struct{}
	autoErrs   []error
}

// NewServer starts the fake on a loopback port. It panics if
// Callback.Secret is not a whsec_<base64> secret.
func NewServer(cfg Config) *Server {
	if cfg.AppKey == "" {
		cfg.AppKey = DefaultAppKey
	}
	if cfg.AppToken == "" {
		cfg.AppToken = DefaultAppToken
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if len(cfg.ShippingMethods) == 0 {
		cfg.ShippingMethods = DefaultShippingMethods
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{
		cfg:       cfg,
		hc:        &http.Client{Timeout: 5 * time.Second},
		tokens:    map[string]time.Time{},
		byRequest: map[string]*order{},
		byRef:     map[string]*order{},
	}
	if cfg.Callback != nil {
		cb := *cfg.Callback
		if cb.Secret == "" {
			cb.Secret = DefaultSecret
		}
		s.cfg.Callback = &cb
		signer, err := webhook.NewSigner(cb.Secret)
		if err != nil {
			panic("cirrotest: Callback.Secret is not whsec_<base64>")
		}
		s.signer = signer
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	// Told answers are for the order endpoints, as a gateway in front of
	// them would give; the hold comes after the answer is decided, so that
	// a caller that gives up still leaves the order created.
	s.front = &fakeserver.Front{MaxBody: maxBody, HoldAfter: true, Scope: func(r *http.Request) bool { return isOrderPath(r.URL.Path) }}
	s.srv = httptest.NewServer(s.front.Handler(s.serve))
	return s
}

// isOrderPath reports whether path is one of the order endpoints.
func isOrderPath(path string) bool {
	return isCreatePath(path) || path == cirro.PathGetOrder || path == cirro.PathInventoryHistory
}

// isCreatePath reports whether path creates orders.
func isCreatePath(path string) bool {
	return path == cirro.PathCreateOrder || path == cirro.PathCreateB2BOrder
}

// URL is the base URL to configure as CIRRO_BASE_URL.
func (s *Server) URL() string { return s.srv.URL }

// AppKey and AppToken are the credentials the fake accepts.
func (s *Server) AppKey() string   { return s.cfg.AppKey }
func (s *Server) AppToken() string { return s.cfg.AppToken }

// Secret is the secret callbacks are signed with ("" without Callback).
func (s *Server) Secret() string {
	if s.cfg.Callback == nil {
		return ""
	}
	return s.cfg.Callback.Secret
}

// Close stops the socket and the background callbacks, and waits for them.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.front.Close()
	s.srv.CloseClientConnections()
	s.srv.Close()
	s.bg.Wait()
}

// FailNext answers the next times order requests with httpStatus and a
// plain-text body, as a gateway in front of Cirro would.
func (s *Server) FailNext(httpStatus, times int) {
	s.front.Tell(fakeserver.Answer{Status: httpStatus, Body: fmt.Appendf(nil, "cirrotest: told to fail with HTTP %d", httpStatus)}, times)
}

// ThrottleNext answers the next order request with 429, CodeRateLimited
// and Retry-After (in whole seconds, rounded up).
func (s *Server) ThrottleNext(retryAfter time.Duration) {
	a := envelope(http.StatusTooManyRequests, cirro.CodeRateLimited, "too many requests", nil)
	a.Header = http.Header{"Retry-After": {strconv.Itoa(int(math.Ceil(retryAfter.Seconds())))}}
	s.front.Tell(a, 1)
}

// MalformNext answers the next order request with 200 and a body that is
// not JSON.
func (s *Server) MalformNext() {
	s.front.Tell(fakeserver.Answer{Status: http.StatusOK, Body: []byte(`{"code":0,"message":"success","data":{"order_no":`)}, 1)
}

// RejectNext answers the next authenticated order request with HTTP 200,
// code and message.
func (s *Server) RejectNext(code int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejects = append(s.rejects, rejection{code: code, message: message})
}

// EchoCredentialsNext answers the next times order requests, before the
// token is checked, with httpStatus and an envelope whose message repeats
// the Authorization header received, as a careless gateway might, creating
// nothing: the client must keep its tokens out of its errors all the same.
// The code is CodeTokenInvalid for 401 and 403, CodeInvalidParameter
// otherwise.
func (s *Server) EchoCredentialsNext(httpStatus, times int) {
	code := cirro.CodeInvalidParameter
	if httpStatus == http.StatusUnauthorized || httpStatus == http.StatusForbidden {
		code = cirro.CodeTokenInvalid
	}
	s.front.TellFunc(times, func(r *http.Request, _ []byte) fakeserver.Answer {
		return envelope(httpStatus, code, fmt.Sprintf("request refused: Authorization %q is not valid", r.Header.Get("Authorization")), nil)
	})
}

// Delay holds every following answer for d (0 to stop), after the request
// was processed; a caller that gives up earlier is let go.
func (s *Server) Delay(d time.Duration) { s.front.Delay(d) }

// RevokeTokens forgets every issued token, as a credential rotation would:
// the next call with one gets 401.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// Orders is every order accepted, in order.
func (s *Server) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Order, len(s.orders))
	for i, o := range s.orders {
		out[i] = o.Order
		out[i].Create.Items = slices.Clone(o.Create.Items)
		out[i].Body = slices.Clone(o.Body)
	}
	return out
}

// Calls is every request received, whatever its answer, in order.
func (s *Server) Calls() []fakeserver.Call { return s.front.Calls() }

// CreateCalls is how many create requests arrived, whatever their answer.
func (s *Server) CreateCalls() int {
	return s.count(isCreatePath)
}

// LookupCalls is how many lookup requests arrived, whatever their answer.
func (s *Server) LookupCalls() int {
	return s.count(func(path string) bool { return path == cirro.PathGetOrder })
}

// TokenCalls is how many token requests arrived, whatever their answer.
func (s *Server) TokenCalls() int {
	return s.count(func(path string) bool { return path == cirro.PathToken })
}

func (s *Server) count(match func(path string) bool) int {
	n := 0
	for _, c := range s.front.Calls() {
		if match(c.Path) {
			n++
		}
	}
	return n
}

func envelope(status, code int, message string, data any) fakeserver.Answer {
	r := cirro.Reply{Code: code, Message: message}
	if data != nil {
		r.Data, _ = json.Marshal(data)
	}
	return fakeserver.JSON(status, r)
}

const maxBody = 4 << 20

// serve routes a request that was not told an answer.
func (s *Server) serve(r *http.Request, body []byte) fakeserver.Answer {
	var route func(*http.Request, []byte) fakeserver.Answer
	switch r.URL.Path {
	case cirro.PathToken:
		route = s.token
	case cirro.PathCreateOrder:
		route = func(r *http.Request, b []byte) fakeserver.Answer { return s.create(r, b, false) }
	case cirro.PathCreateB2BOrder:
		route = func(r *http.Request, b []byte) fakeserver.Answer { return s.create(r, b, true) }
	case cirro.PathGetOrder:
		route = s.lookup
	case cirro.PathInventoryHistory:
		route = s.inventory
	default:
		return fakeserver.Answer{Status: http.StatusNotFound, Body: []byte("404 page not found")}
	}
	if r.Method != http.MethodPost {
		return fakeserver.Answer{Status: http.StatusMethodNotAllowed, Header: http.Header{"Allow": {http.MethodPost}}, Body: []byte("use POST")}
	}
	return route(r, body)
}

func (s *Server) token(_ *http.Request, body []byte) fakeserver.Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	var env cirro.Envelope
	var req cirro.TokenRequest
	if json.Unmarshal(body, &env) != nil || json.Unmarshal(env.RequestData, &req) != nil {
		return envelope(http.StatusBadRequest, cirro.CodeInvalidParameter, "request is not a JSON envelope", nil)
	}
	if req.AppKey == "" || req.AppToken == "" {
		return envelope(http.StatusBadRequest, cirro.CodeMissingField, "missing required field: app_key or app_token", nil)
	}
	if req.AppKey != s.cfg.AppKey || req.AppToken != s.cfg.AppToken {
		// As some APIs do, the refusal repeats what it was given.
		return envelope(http.StatusOK, cirro.CodeAuthFailed,
			fmt.Sprintf("app_key %s or app_token %s is incorrect", req.AppKey, req.AppToken), nil)
	}
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	tok := hex.EncodeToString(raw[:])
	exp := time.Unix(s.cfg.Now().Add(s.cfg.TokenTTL).Unix(), 0)
	s.tokens[tok] = exp
	return envelope(http.StatusOK, cirro.CodeOK, "success", cirro.Token{AccessToken: tok, ExpiredAt: exp.Unix()})
}

func (s *Server) create(r *http.Request, body []byte, b2b bool) fakeserver.Answer {
	s.mu.Lock()
	defer s.mu.Unlock()

	if a, refused := s.refuse(r); refused {
		return a
	}

	var env cirro.Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return envelope(http.StatusBadRequest, cirro.CodeInvalidParameter, "request is not a JSON envelope", nil)
	}
	if env.RequestID == "" || env.RequestTime <= 0 {
		return envelope(http.StatusBadRequest, cirro.CodeMissingField, "missing required field: request_id or request_time", nil)
	}
	if prev := s.byRequest[env.RequestID]; prev != nil {
		return envelope(http.StatusOK, cirro.CodeDuplicateRequest, "request_id has already been used",
			cirro.CreateReply{OrderNo: prev.OrderNo})
	}
	var o cirro.B2BOrderCreate
	if err := json.Unmarshal(env.RequestData, &o); err != nil {
		return envelope(http.StatusBadRequest, cirro.CodeInvalidParameter, "request_data does not match the order schema", nil)
	}
	if field := missingField(o, b2b); field != "" {
		return envelope(http.StatusBadRequest, cirro.CodeMissingField, "missing required field: "+field, nil)
	}
	for i, it := range o.Items {
		if it.Quantity <= 0 {
			return envelope(http.StatusOK, cirro.CodeInvalidParameter, fmt.Sprintf("items[%d].quantity must be positive", i), nil)
		}
	}
	if !slices.Contains(s.cfg.ShippingMethods, o.ShippingMethod) {
		return envelope(http.StatusOK, cirro.CodeInvalidShippingMethod, fmt.Sprintf("shipping method %s is invalid", o.ShippingMethod), nil)
	}
	if len(s.cfg.SKUs) > 0 {
		for _, it := range o.Items {
			if !slices.Contains(s.cfg.SKUs, it.SKU) {
				return envelope(http.StatusOK, cirro.CodeUnknownSKU, fmt.Sprintf("sku %s does not exist", it.SKU), nil)
			}
		}
	}
	if prev := s.byRef[o.ReferenceNo]; prev != nil {
		return envelope(http.StatusOK, cirro.CodeReferenceExists, fmt.Sprintf("reference_no %s already exists", o.ReferenceNo),
			cirro.CreateReply{OrderNo: prev.OrderNo})
	}

	s.orderSeq++
	rec := &order{Order: Order{
		RequestID: env.RequestID,
		OrderNo:   fmt.Sprintf("CR%010d", s.orderSeq),
		B2B:       b2b,
		Create:    o.OrderCreate,
		Body:      body,
	}, seq: s.orderSeq, bodies: map[string][]byte{}}
	if b2b {
		rec.PONumber, rec.LabelTemplate, rec.CartonList = o.PONumber, o.LabelTemplate, o.CartonList
	}
	s.byRequest[env.RequestID] = rec
	s.byRef[o.ReferenceNo] = rec
	s.orders = append(s.orders, rec)
	if cb := s.cfg.Callback; cb != nil && cb.Auto && !s.closed {
		s.pending++
		s.bg.Add(1)
		go s.auto(o.ReferenceNo)
	}
	return envelope(http.StatusOK, cirro.CodeOK, "success", cirro.CreateReply{OrderNo: rec.OrderNo})
}

// refuse answers an order request whose token is not valid, or that was
// told to be rejected; s.mu is held.
func (s *Server) refuse(r *http.Request) (fakeserver.Answer, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if exp, known := s.tokens[tok]; !ok || !known || !s.cfg.Now().Before(exp) {
		return envelope(http.StatusUnauthorized, cirro.CodeTokenInvalid, "access token is invalid or expired", nil), true
	}
	if len(s.rejects) > 0 {
		rj := s.rejects[0]
		s.rejects = s.rejects[1:]
		return envelope(http.StatusOK, rj.code, rj.message, nil), true
	}
	return fakeserver.Answer{}, false
}

// lookup answers a lookup by reference_no from the orders held.
func (s *Server) lookup(r *http.Request, body []byte) fakeserver.Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, refused := s.refuse(r); refused {
		return a
	}
	var env cirro.Envelope
	var q cirro.OrderQuery
	if json.Unmarshal(body, &env) != nil || json.Unmarshal(env.RequestData, &q) != nil {
		return envelope(http.StatusBadRequest, cirro.CodeInvalidParameter, "request is not a JSON envelope", nil)
	}
	if env.RequestID == "" || env.RequestTime <= 0 {
		return envelope(http.StatusBadRequest, cirro.CodeMissingField, "missing required field: request_id or request_time", nil)
	}
	if strings.TrimSpace(q.ReferenceNo) == "" {
		return envelope(http.StatusBadRequest, cirro.CodeMissingField, "missing required field: reference_no", nil)
	}
	o := s.byRef[q.ReferenceNo]
	if o == nil {
		return envelope(http.StatusOK, cirro.CodeOrderNotFound, fmt.Sprintf("order with reference_no %s does not exist", q.ReferenceNo), nil)
	}
	status := cirro.StatusCreated
	if _, ok := o.bodies[EventAcceptance]; ok {
		status = cirro.StatusAccepted
	}
	if _, ok := o.bodies[EventShipment]; ok {
		status = cirro.StatusShipped
	}
	return envelope(http.StatusOK, cirro.CodeOK, "success", cirro.OrderInfo{OrderNo: o.OrderNo, ReferenceNo: o.Create.ReferenceNo, Status: status})
}

// missingField names the first required field that is empty.
func missingField(o cirro.B2BOrderCreate, b2b bool) string {
	c := o.Consignee
	required := []struct{ name, value string }{
		{"reference_no", o.ReferenceNo},
		{"shipping_method", o.ShippingMethod},
		{"consignee.name", c.Name},
		{"consignee.country_code", c.CountryCode},
		{"consignee.city", c.City},
		{"consignee.address1", c.Address1},
		{"consignee.zipcode", c.Zipcode},
	}
	if b2b {
		required = append(required, struct{ name, value string }{"po_number", o.PONumber})
	}
	for _, f := range required {
		if strings.TrimSpace(f.value) == "" {
			return f.name
		}
	}
	if len(o.Items) == 0 {
		return "items"
	}
	for i, it := range o.Items {
		if it.SKU == "" {
			return fmt.Sprintf("items[%d].sku", i)
		}
	}
	return ""
}
