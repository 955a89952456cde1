package printstation

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/partnerhttp"
)

// DefaultTimeout bounds each call when Config.Timeout is zero.
const DefaultTimeout = 20 * time.Second

// Config configures a Client.
type Config struct {
	// BaseURL is PrintStation's API root (app setting PRINTSTATION_BASE_URL).
	BaseURL string
	// APIKey is the API key (app setting PRINTSTATION_API_KEY).
	APIKey string
	// Timeout bounds each call (default 20 s).
	Timeout time.Duration
	// HTTPClient sends the requests (default: a new client).
	HTTPClient *http.Client
	// Now is the clock, for Retry-After dates (default time.Now).
	Now func() time.Time
}

// Client calls PrintStation. It is safe for concurrent use.
type Client struct {
	http *partnerhttp.Client
}

// New checks cfg and returns a client. It does no I/O.
func New(cfg Config) (*Client, error) {
	base, err := partnerhttp.BaseURL("PRINTSTATION_BASE_URL", cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	key := strings.TrimSpace(cfg.APIKey)
	if key == "" {
		return nil, errors.New("PRINTSTATION_API_KEY is not set")
	}
	if cfg.Timeout < 0 {
		return nil, errors.New("PrintStation timeout must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	return &Client{http: partnerhttp.New(partnerhttp.Config{
		Partner:           "PrintStation",
		BaseURL:           base,
		Header:            http.Header{HeaderAPIKey: {key}},
		CredentialSetting: "PRINTSTATION_API_KEY",
		Secrets:           []string{key},
		Timeout:           cfg.Timeout,
		HTTPClient:        cfg.HTTPClient,
		Now:               cfg.Now,
	})}, nil
}
