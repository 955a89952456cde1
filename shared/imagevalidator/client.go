package imagevalidator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/partnerhttp"
)

// DefaultTimeout bounds each call (and each token fetch) when Config.Timeout is zero.
const DefaultTimeout = 20 * time.Second

// Config configures a Client.
type Config struct {
	// BaseURL is the validator's API root (app setting IMAGE_VALIDATOR_BASE_URL).
	BaseURL string
	// TokenURL is the OAuth 2.0 token endpoint (IMAGE_VALIDATOR_TOKEN_URL).
	TokenURL string
	// ClientID and ClientSecret are the client credentials
	// (IMAGE_VALIDATOR_CLIENT_ID, IMAGE_VALIDATOR_CLIENT_SECRET).
	ClientID, ClientSecret string
	// Scopes are asked for with the token (IMAGE_VALIDATOR_SCOPE, space-separated); may be empty.
	Scopes []string
	// Timeout bounds each call and each token fetch (default 20 s).
	Timeout time.Duration
	// HTTPClient sends the requests (default: a new client).
	HTTPClient *http.Client
	// Now is the clock, for Retry-After dates (default time.Now).
	Now func() time.Time
}

// Client calls the image validator. It is safe for concurrent use.
type Client struct {
	http   *partnerhttp.Client
	tokens *tokens
}

// New checks cfg and returns a client. It does no I/O: the first call
// fetches the token.
func New(cfg Config) (*Client, error) {
	base, err := partnerhttp.BaseURL("IMAGE_VALIDATOR_BASE_URL", cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	tokenURL, err := partnerhttp.BaseURL("IMAGE_VALIDATOR_TOKEN_URL", cfg.TokenURL)
	if err != nil {
		return nil, err
	}
	id, secret := strings.TrimSpace(cfg.ClientID), strings.TrimSpace(cfg.ClientSecret)
	switch {
	case id == "":
		return nil, errors.New("IMAGE_VALIDATOR_CLIENT_ID is not set")
	case secret == "":
		return nil, errors.New("IMAGE_VALIDATOR_CLIENT_SECRET is not set")
	case cfg.Timeout < 0:
		return nil, errors.New("image validator timeout must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	// The token fetch has no caller context of its own (the cache serves
	// every caller): its client carries the deadline.
	tokenHTTP := &http.Client{Transport: hc.Transport, Timeout: cfg.Timeout}
	t := &tokens{
		cc: clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: tokenURL, Scopes: cfg.Scopes,
			AuthStyle: oauth2.AuthStyleInHeader},
		ctx: context.WithValue(context.Background(), oauth2.HTTPClient, tokenHTTP),
	}
	t.ts = t.cc.TokenSource(t.ctx)
	return &Client{tokens: t, http: partnerhttp.New(partnerhttp.Config{
		Partner:           "image validator",
		BaseURL:           base,
		CredentialSetting: "IMAGE_VALIDATOR_CLIENT_SECRET",
		Secrets:           []string{secret},
		Timeout:           cfg.Timeout,
		HTTPClient:        hc,
		Now:               cfg.Now,
	})}, nil
}

// tokens is the token cache: clientcredentials' reuse source keeps a
// token until shortly before it expires, and serialises refreshes, so
// concurrent callers share one fetch. reset drops a token the validator
// refused.
type tokens struct {
	cc  clientcredentials.Config
	ctx context.Context

	mu  sync.Mutex
	ts  oauth2.TokenSource
	gen int // grows with each reset
}

func (t *tokens) source() (oauth2.TokenSource, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ts, t.gen
}

// token returns a valid access token, fetching one when none is cached,
// and the generation of the cache it came from. A caller whose ctx ends
// first stops waiting; the fetch goes on for the others.
func (t *tokens) token(ctx context.Context) (string, int, error) {
	type result struct {
		tok *oauth2.Token
		err error
	}
	ch := make(chan result, 1)
	ts, gen := t.source()
	go func() {
		tok, err := ts.Token()
		ch <- result{tok, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return "", gen, tokenFailure(r.err)
		}
		return r.tok.AccessToken, gen, nil
	case <-ctx.Done():
		return "", gen, fault.Transient(fmt.Errorf("waiting for an image validator token: %w", ctx.Err()), 0)
	}
}

// reset drops the cached token of generation gen, so the next call
// fetches a new one; a cache already reset since is left alone.
func (t *tokens) reset(gen int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gen != gen {
		return
	}
	t.gen++
	t.ts = t.cc.TokenSource(t.ctx)
}

// tokenFailure classifies a failed token fetch. Every failure is
// transient: a refused credential is most often mid-rotation, and a batch
// must wait, never be dropped. The message never repeats the secret.
func tokenFailure(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		code := re.ErrorCode
		if code == "" {
			code = http.StatusText(re.Response.StatusCode)
		}
		if re.Response.StatusCode == http.StatusBadRequest || re.Response.StatusCode == http.StatusUnauthorized {
			return fault.Transient(fmt.Errorf("image validator refused the client credentials (HTTP %d %s; IMAGE_VALIDATOR_CLIENT_ID and IMAGE_VALIDATOR_CLIENT_SECRET may be mid-rotation)",
				re.Response.StatusCode, partnerhttp.Clean(code)), 0)
		}
		return fault.Transient(fmt.Errorf("image validator token endpoint answered HTTP %d %s", re.Response.StatusCode, partnerhttp.Clean(code)), 0)
	}
	return fault.Transient(fmt.Errorf("fetching an image validator token: %s", partnerhttp.Clean(err.Error())), 0)
}

// Image is one image to classify.
type Image struct {
	// ID is the caller's id; its verdict carries it back.
	ID        string
	URL       string
	ImageType string
}

// Verdict is the validator's answer for one image.
type Verdict struct {
	ID string
	// Classification is the validator's word (approved, rejected or one this package does not know).
	Classification string
	// Approved is true only for ClassificationApproved.
	Approved bool
	// Reason says why an image is not approved.
	Reason string
}

// Error is a failed answer of the validator.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("image validator answered HTTP %d", e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Classify asks for a verdict on each image (at most MaxImagesPerRequest,
// with distinct ids). It returns one verdict per image, in the order asked.
func (c *Client) Classify(ctx context.Context, images []Image) ([]Verdict, error) {
	if len(images) == 0 {
		return nil, nil
	}
	if len(images) > MaxImagesPerRequest {
		return nil, fault.Permanentf("classifying images: %d asked, at most %d per request", len(images), MaxImagesPerRequest)
	}
	req := ClassifyRequest{Images: make([]WireImage, len(images))}
	seen := make(map[string]bool, len(images))
	for i, im := range images {
		if im.ID == "" || im.URL == "" || seen[im.ID] {
			return nil, fault.Permanentf("classifying images: image %d has no id, no URL, or a repeated id", i+1)
		}
		seen[im.ID] = true
		req.Images[i] = WireImage(im)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fault.Permanent(fmt.Errorf("encoding the classification request: %w", err))
	}
	a, err := c.post(ctx, body)
	if err != nil {
		return nil, fmt.Errorf("classifying %d images: %w", len(images), err)
	}
	var resp ClassifyResponse
	if err := json.Unmarshal(a.Body, &resp); err != nil || a.Cut {
		return nil, fault.Transient(fmt.Errorf("classifying %d images: the image validator's answer is not a classification", len(images)), 0)
	}
	byID := make(map[string]WireResult, len(resp.Results))
	for _, r := range resp.Results {
		if !seen[r.ID] {
			continue
		}
		if _, dup := byID[r.ID]; dup {
			return nil, fault.Transient(fmt.Errorf("classifying %d images: the image validator answered twice for one image", len(images)), 0)
		}
		byID[r.ID] = r
	}
	out := make([]Verdict, len(images))
	for i, im := range images {
		r, ok := byID[im.ID]
		if !ok {
			return nil, fault.Transient(fmt.Errorf("classifying %d images: the image validator gave no verdict for %d of them", len(images), len(images)-len(byID)), 0)
		}
		out[i] = verdict(r)
	}
	return out, nil
}

func verdict(r WireResult) Verdict {
	v := Verdict{ID: r.ID, Classification: r.Classification}
	reasons := make([]string, 0, len(r.Reasons))
	for _, s := range r.Reasons {
		if s = partnerhttp.Clean(s); s != "" {
			reasons = append(reasons, s)
		}
	}
	switch r.Classification {
	case ClassificationApproved:
		v.Approved = true
	case ClassificationRejected:
		v.Reason = "rejected by the image validator"
		if len(reasons) > 0 {
			v.Reason += ": " + strings.Join(reasons, "; ")
		}
	default:
		v.Reason = fmt.Sprintf("the image validator answered %q, which is not an approval", partnerhttp.Clean(r.Classification))
		if len(reasons) > 0 {
			v.Reason += ": " + strings.Join(reasons, "; ")
		}
	}
	return v
}

// post sends the request with a bearer token; a refused token is dropped
// and the call made once more with a new one.
func (c *Client) post(ctx context.Context, body []byte) (partnerhttp.Answer, error) {
	for attempt := 1; ; attempt++ {
		tok, gen, err := c.tokens.token(ctx)
		if err != nil {
			return partnerhttp.Answer{}, err
		}
		a, err := c.http.Do(ctx, partnerhttp.Request{Method: http.MethodPost, Path: PathClassify, Body: body,
			Header: http.Header{partnerhttp.HeaderAuthorization: {partnerhttp.BearerPrefix + tok}}})
		if err != nil {
			return partnerhttp.Answer{}, err
		}
		if a.OK() {
			return a, nil
		}
		if a.Status == http.StatusUnauthorized && attempt == 1 {
			c.tokens.reset(gen)
			continue
		}
		var we WireError
		_ = json.Unmarshal(a.Body, &we)
		return a, c.http.Failure(a, &Error{Status: a.Status, Code: c.http.Clean(we.Code, tok), Message: c.http.Clean(we.Message, tok)})
	}
}
