package cirro

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/partnerhttp"
)

// Defaults for Config.
const (
	DefaultTimeout       = 20 * time.Second
	DefaultRatePerMinute = 600
)

// Config configures a Client. BaseURL, AppKey and AppToken are required.
type Config struct {
	// BaseURL is Cirro's API root, e.g. https://api.example.com (CIRRO_BASE_URL).
	BaseURL string
	// AppKey and AppToken are the account's credentials (CIRRO_APP_KEY,
	// CIRRO_APP_TOKEN), exchanged for an access token.
	AppKey   string
	AppToken string
	// Timeout bounds each call, token refresh and retry included; default 20s.
	Timeout time.Duration
	// HTTPClient sends the requests; default a client on http.DefaultTransport.
	// Its own Timeout, if any, also applies.
	HTTPClient *http.Client
	// Now is the clock used for token expiry and request_time; default time.Now.
	Now func() time.Time
	// RatePerMinute is Cirro's per-API request limit; default 600.
	RatePerMinute int
}

// Client calls Cirro's order API. It is safe for concurrent use; one Client
// per process shares one access token and one rate budget.
type Client struct {
	appKey, appToken string
	timeout          time.Duration
	hc               *partnerhttp.Client
	now              func() time.Time
	perMinute        int
	limiters         map[string]*rate.Limiter
	tokens           *tokenCache
}

// New checks cfg and returns a Client. It does no I/O: the first call
// fetches the token.
func New(cfg Config) (*Client, error) {
	var errs []error
	base, err := partnerhttp.BaseURL("CIRRO_BASE_URL", cfg.BaseURL)
	if err != nil {
		errs = append(errs, err)
	}
	if cfg.AppKey == "" {
		errs = append(errs, errors.New("CIRRO_APP_KEY is not set"))
	}
	if cfg.AppToken == "" {
		errs = append(errs, errors.New("CIRRO_APP_TOKEN is not set"))
	}
	if cfg.Timeout < 0 {
		errs = append(errs, fmt.Errorf("cirro timeout %s is negative", cfg.Timeout))
	}
	if cfg.RatePerMinute < 0 {
		errs = append(errs, fmt.Errorf("cirro rate %d/min is negative", cfg.RatePerMinute))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("configuring the Cirro client: %w", errors.Join(errs...))
	}
	c := &Client{
		appKey:    cfg.AppKey,
		appToken:  cfg.AppToken,
		timeout:   cfg.Timeout,
		now:       cfg.Now,
		perMinute: cfg.RatePerMinute,
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.hc = partnerhttp.New(partnerhttp.Config{
		Partner:           "Cirro",
		BaseURL:           base,
		CredentialSetting: "CIRRO_APP_KEY/CIRRO_APP_TOKEN",
		// Cirro may repeat what it was given in an error message; no
		// error repeats a credential (the access token is added per call).
		Secrets:    []string{cfg.AppKey, cfg.AppToken},
		Timeout:    c.timeout,
		HTTPClient: cfg.HTTPClient,
		Now:        c.now,
	})
	if c.perMinute == 0 {
		c.perMinute = DefaultRatePerMinute
	}
	// Cirro counts per API, so each endpoint has its own budget.
	c.limiters = map[string]*rate.Limiter{
		PathCreateOrder:      newLimiter(c.perMinute),
		PathCreateB2BOrder:   newLimiter(c.perMinute),
		PathGetOrder:         newLimiter(c.perMinute),
		PathInventoryHistory: newLimiter(c.perMinute),
	}
	c.tokens = &tokenCache{fetch: c.fetchToken, now: c.now, timeout: c.timeout}
	return c, nil
}

// newLimiter allows a burst of a tenth of the budget and refills the rest
// evenly, so that no 60-second window ever holds more than perMinute calls.
func newLimiter(perMinute int) *rate.Limiter {
	burst := max(1, perMinute/10)
	refill := perMinute - burst
	if refill <= 0 {
		refill = perMinute
	}
	return rate.NewLimiter(rate.Limit(float64(refill)/60), burst)
}

// RequestID derives Cirro's request_id from a business key: the hex SHA-256
// of the parts joined by "|", cut to 32 characters. The same parts always
// give the same id, so a retried order carries the id Cirro has already
// seen. Use the operation and the OMS order id, e.g.
// RequestID("order/create", "ORD225299"); parts must not contain "|".
func RequestID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "|")))
	return hex.EncodeToString(sum[:])[:32]
}

// CreateOrder sends a B2C order (POST v1/order/create). requestID should
// come from RequestID. If Cirro already has the order (same request_id, or
// same reference_no), it returns Created.Duplicate and no error. Errors are
// classified with package fault; see doc.go.
func (c *Client) CreateOrder(ctx context.Context, requestID string, o OrderCreate) (Created, error) {
	created, err := c.create(ctx, PathCreateOrder, requestID, o, &o.Consignee)
	if err != nil {
		return Created{}, fmt.Errorf("creating Cirro order %s: %w", o.ReferenceNo, err)
	}
	return created, nil
}

// CreateB2BOrder sends a B2B order (POST v1/order/create-b2b), with the
// retailer's PO and the label data. It behaves as CreateOrder.
func (c *Client) CreateB2BOrder(ctx context.Context, requestID string, o B2BOrderCreate) (Created, error) {
	created, err := c.create(ctx, PathCreateB2BOrder, requestID, o, &o.Consignee)
	if err != nil {
		return Created{}, fmt.Errorf("creating Cirro B2B order %s (PO %s): %w", o.ReferenceNo, o.PONumber, err)
	}
	return created, nil
}

func (c *Client) create(ctx context.Context, path, requestID string, order any, consignee *Consignee) (Created, error) {
	if strings.TrimSpace(requestID) == "" {
		return Created{}, fault.Permanentf("request id is empty")
	}
	data, err := json.Marshal(order)
	if err != nil {
		// Only label_template or carton_list can fail: they are not JSON.
		return Created{}, fault.Permanent(fmt.Errorf("encoding the order: %w", err))
	}
	ans, o, err := c.call(ctx, path, requestID, data, consignee)
	if err != nil {
		return Created{}, err
	}
	switch o {
	case outcomeOK:
		var d CreateReply
		if err := json.Unmarshal(ans.reply.Data, &d); err != nil || d.OrderNo == "" {
			return Created{}, fault.Transient(errors.New("cirro accepted the order but sent no order_no"), 0)
		}
		return Created{OrderNo: d.OrderNo}, nil
	case outcomeDuplicate:
		var d CreateReply
		_ = json.Unmarshal(ans.reply.Data, &d) // the number is a courtesy; it may be absent
		return Created{OrderNo: d.OrderNo, Duplicate: true}, nil
	default:
		// "not found" is no answer to a create: retry, dead-letter if it persists.
		return Created{}, failure(outcomeTransient, c.apiError(ans, consignee), 0)
	}
}

// LookupOrder asks Cirro for the order whose reference_no is referenceNo
// (the OMS order id), for a retry whose earlier attempt's outcome is not
// known (a timeout, a crash): if Cirro has the order, found is true and
// Created holds Cirro's order number, with Duplicate true (the order was
// made before; this call made nothing); if not, found is false and the
// caller creates it, with the same request id as before. Errors are
// classified as CreateOrder's are. A lookup changes nothing, so its
// request_id is random, and it has its own rate budget.
func (c *Client) LookupOrder(ctx context.Context, referenceNo string) (Created, bool, error) {
	if strings.TrimSpace(referenceNo) == "" {
		return Created{}, false, fault.Permanentf("looking up a Cirro order: no reference_no")
	}
	data, err := json.Marshal(OrderQuery{ReferenceNo: referenceNo})
	if err != nil {
		return Created{}, false, fault.Permanent(fmt.Errorf("looking up Cirro order %s: encoding the query: %w", referenceNo, err))
	}
	ans, o, err := c.call(ctx, PathGetOrder, randomID(), data, nil)
	if err != nil {
		return Created{}, false, fmt.Errorf("looking up Cirro order %s: %w", referenceNo, err)
	}
	switch o {
	case outcomeOK:
		var d OrderInfo
		if err := json.Unmarshal(ans.reply.Data, &d); err != nil || d.OrderNo == "" {
			return Created{}, false, fault.Transient(fmt.Errorf("looking up Cirro order %s: cirro found it but sent no order_no", referenceNo), 0)
		}
		return Created{OrderNo: d.OrderNo, Duplicate: true}, true, nil
	case outcomeNotFound:
		return Created{}, false, nil
	default:
		// A duplicate request_id cannot happen with a random one: retry.
		return Created{}, false, fmt.Errorf("looking up Cirro order %s: %w", referenceNo, failure(outcomeTransient, c.apiError(ans, nil), 0))
	}
}

// call sends one order request on path with a valid token, within the
// timeout and the path's rate budget. If Cirro refuses the token, it
// fetches a new one and sends the request once more with the same
// request_id. An answer that is a success, a duplicate or "not found"
// comes back with its outcome; any other is a classified error.
func (c *Client) call(ctx context.Context, path, requestID string, data []byte, consignee *Consignee) (answer, outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := c.limiters[path].Wait(ctx); err != nil {
		return answer{}, 0, fault.Transient(fmt.Errorf("waiting for the %d requests/min budget: %w", c.perMinute, err), 0)
	}
	for attempt := 1; ; attempt++ {
		token, err := c.tokens.get(ctx)
		if err != nil {
			return answer{}, 0, err
		}
		ans, err := c.post(ctx, path, requestID, data, token)
		if err != nil {
			return answer{}, 0, err
		}
		o := decide(ans.status, ans.hasReply, ans.reply.Code)
		if o == outcomeReauth {
			if attempt == 1 {
				c.tokens.invalidate(token)
				continue
			}
			o = outcomeCredentials // refused even with a fresh token
		}
		switch o {
		case outcomeOK, outcomeDuplicate, outcomeNotFound:
			return ans, o, nil
		}
		return answer{}, o, failure(o, c.apiError(ans, consignee), ans.retryAfter(c.now()))
	}
}

// randomID is a request_id for a request that needs no idempotency.
func randomID() string {
	var id [16]byte
	_, _ = rand.Read(id[:]) // never fails
	return hex.EncodeToString(id[:])
}

// fetchToken exchanges the app credentials for an access token.
func (c *Client) fetchToken(ctx context.Context) (Token, error) {
	data, err := json.Marshal(TokenRequest{AppKey: c.appKey, AppToken: c.appToken})
	if err != nil {
		return Token{}, fmt.Errorf("encoding the token request: %w", err)
	}
	ans, err := c.post(ctx, PathToken, randomID(), data, "")
	if err != nil {
		return Token{}, fmt.Errorf("fetching a Cirro token: %w", err)
	}
	o := decide(ans.status, ans.hasReply, ans.reply.Code)
	switch o {
	case outcomeOK:
		var t Token
		if err := json.Unmarshal(ans.reply.Data, &t); err != nil || t.AccessToken == "" || t.ExpiredAt <= 0 {
			return Token{}, fault.Transient(errors.New("fetching a Cirro token: the answer has no access_token or expired_at"), 0)
		}
		return t, nil
	case outcomeReauth, outcomeCredentials:
		o = outcomeCredentials
	case outcomeDuplicate:
		o = outcomeTransient // a random id cannot repeat; retry
	}
	return Token{}, fmt.Errorf("fetching a Cirro token: %w", failure(o, c.apiError(ans, nil), ans.retryAfter(c.now())))
}

// answer is one HTTP exchange.
type answer struct {
	status   int
	header   http.Header
	reply    Reply
	hasReply bool
	// token is the access token the request carried ("" for none).
	token string
}

func (c *Client) post(ctx context.Context, path, requestID string, data []byte, token string) (answer, error) {
	r := partnerhttp.Request{Method: http.MethodPost, Path: path,
		Body: Envelope{RequestID: requestID, RequestTime: c.now().Unix(), RequestData: data}}
	if token != "" {
		r.Header = http.Header{partnerhttp.HeaderAuthorization: {partnerhttp.BearerPrefix + token}}
	}
	a, err := c.hc.Do(ctx, r)
	if err != nil {
		return answer{}, err
	}
	ans := answer{status: a.Status, header: a.Header, token: token}
	if !a.Cut && json.Unmarshal(a.Body, &ans.reply) == nil {
		ans.hasReply = true
	}
	return ans, nil
}

// apiError describes a failed answer, with Cirro's message cleaned of
// the consignee's values and of every credential.
func (c *Client) apiError(a answer, to *Consignee) *APIError {
	e := &APIError{HTTPStatus: a.status}
	switch {
	case a.hasReply:
		e.Code = a.reply.Code
		e.Message = c.hc.Clean(a.reply.Message, append(to.values(), a.token)...)
	case a.status >= 200 && a.status < 300:
		e.Message = "the answer is not Cirro's JSON envelope"
	default:
		e.Message = http.StatusText(a.status)
	}
	return e
}

func (a answer) retryAfter(now time.Time) time.Duration {
	return fault.RetryAfterHeader(a.header, now)
}
