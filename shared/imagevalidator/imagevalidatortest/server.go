// Package imagevalidatortest is a fake image validator on a real socket:
// an OAuth 2.0 token endpoint (client credentials, HTTP Basic) that issues
// expiring bearer tokens, and the classification endpoint of contract.go,
// which checks the token, records every image it classified, rejects the
// images it is told to, and can be taken down or told to fail
// (shared/fakeserver).
package imagevalidatortest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/popsockets/integration/shared/fakeserver"
	"github.com/popsockets/integration/shared/imagevalidator"
)

// Defaults for Config.
const (
	DefaultClientID     = "imagevalidatortest-client"
	DefaultClientSecret = "imagevalidatortest-secret"
	DefaultTokenTTL     = time.Hour
)

// PathToken is where the fake issues tokens.
const PathToken = "/oauth2/token"

// Config configures the fake. Every field is optional.
type Config struct {
	ClientID, ClientSecret string
	// TokenTTL is the expires_in of issued tokens (default 1h).
	TokenTTL time.Duration
	// Now is its clock, for token expiry (default time.Now).
	Now func() time.Time
}

// Call is one request the fake received.
type Call = fakeserver.Call

// Server is a fake image validator. It is safe for concurrent use.
type Server struct {
	srv   *httptest.Server
	front *fakeserver.Front
	cfg   Config

	mu         sync.Mutex
	tokens     map[string]time.Time
	grants     int
	down       bool
	rejects    []reject
	refuse     []string
	classified []imagevalidator.WireImage
}

type reject struct{ match, reason string }

// NewServer starts the fake on a loopback port.
func NewServer(cfg Config) *Server {
	if cfg.ClientID == "" {
		cfg.ClientID = DefaultClientID
	}
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = DefaultClientSecret
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, tokens: map[string]time.Time{}, front: &fakeserver.Front{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathToken, s.token)
	mux.HandleFunc("POST "+imagevalidator.PathClassify, s.classify)
	s.srv = httptest.NewServer(s.front.Handler(func(r *http.Request, body []byte) fakeserver.Answer {
		s.mu.Lock()
		down := s.down
		s.mu.Unlock()
		if down {
			return fakeserver.Failure(http.StatusServiceUnavailable, []byte(`{"code":"unavailable","message":"validator is down"}`))
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		return fakeserver.Answer{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	}))
	return s
}

// URL is the API base URL (IMAGE_VALIDATOR_BASE_URL).
func (s *Server) URL() string { return s.srv.URL }

// TokenURL is the token endpoint (IMAGE_VALIDATOR_TOKEN_URL).
func (s *Server) TokenURL() string { return s.srv.URL + PathToken }

// ClientID and ClientSecret are the credentials it accepts.
func (s *Server) ClientID() string     { return s.cfg.ClientID }
func (s *Server) ClientSecret() string { return s.cfg.ClientSecret }

// Close stops the fake.
func (s *Server) Close() {
	s.front.Close()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Calls is every request received, in order (token requests included).
func (s *Server) Calls() []Call { return s.front.Calls() }

// FailNext answers the next times requests with status and no effect.
func (s *Server) FailNext(status, times int) {
	s.front.Tell(fakeserver.Failure(status, []byte(`{"code":"injected","message":"injected failure"}`)), times)
}

// Delay holds every following answer for d (0 to stop).
func (s *Server) Delay(d time.Duration) { s.front.Delay(d) }

// SetDown makes every request (tokens included) answer 503 until SetDown(false).
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// Reject makes the fake reject every image whose URL contains match, with reason.
func (s *Server) Reject(match, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejects = append(s.rejects, reject{match, reason})
}

// RefuseRequestsWith makes the fake answer 400 unsupported_image to any
// request naming an image whose URL contains match, the other images of
// the request unanswered, as a validator does for a URL it cannot fetch.
func (s *Server) RefuseRequestsWith(match string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = append(s.refuse, match)
}

// TokenGrants is how many tokens the fake issued.
func (s *Server) TokenGrants() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grants
}

// RevokeTokens makes every token issued so far invalid (401).
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]time.Time{}
}

// Classified is every image classified, in order.
func (s *Server) Classified() []imagevalidator.WireImage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]imagevalidator.WireImage(nil), s.classified...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// token implements the client-credentials grant with HTTP Basic client authentication.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	if !ok || id != s.cfg.ClientID || secret != s.cfg.ClientSecret {
		w.Header().Set("WWW-Authenticate", `Basic realm="imagevalidatortest"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := "ivt-" + hex.EncodeToString(b)
	s.mu.Lock()
	s.tokens[tok] = s.cfg.Now().Add(s.cfg.TokenTTL)
	s.grants++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(s.cfg.TokenTTL.Seconds())})
}

func (s *Server) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	return ok && s.cfg.Now().Before(exp)
}

func (s *Server) classify(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, imagevalidator.WireError{Code: "invalid_token", Message: "missing, unknown or expired bearer token"})
		return
	}
	var req imagevalidator.ClassifyRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Images) == 0 {
		writeJSON(w, http.StatusBadRequest, imagevalidator.WireError{Code: "invalid_request", Message: "body must be {\"images\": [...]}"})
		return
	}
	if len(req.Images) > imagevalidator.MaxImagesPerRequest {
		writeJSON(w, http.StatusBadRequest, imagevalidator.WireError{Code: "too_many_images", Message: "too many images in one request"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := imagevalidator.ClassifyResponse{Results: make([]imagevalidator.WireResult, 0, len(req.Images))}
	for _, im := range req.Images {
		if im.ID == "" || im.URL == "" {
			writeJSON(w, http.StatusBadRequest, imagevalidator.WireError{Code: "invalid_request", Message: "every image needs an id and a url"})
			return
		}
		for _, m := range s.refuse {
			if strings.Contains(im.URL, m) {
				writeJSON(w, http.StatusBadRequest, imagevalidator.WireError{Code: "unsupported_image", Message: "image " + im.ID + " cannot be fetched"})
				return
			}
		}
		res := imagevalidator.WireResult{ID: im.ID, Classification: imagevalidator.ClassificationApproved}
		for _, rj := range s.rejects {
			if strings.Contains(im.URL, rj.match) {
				res.Classification, res.Reasons = imagevalidator.ClassificationRejected, []string{rj.reason}
				break
			}
		}
		resp.Results = append(resp.Results, res)
	}
	s.classified = append(s.classified, req.Images...)
	writeJSON(w, http.StatusOK, resp)
}
