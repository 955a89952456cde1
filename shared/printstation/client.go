package printstation

import (
	"net/http"
	"time"

	"github.com/popsockets/integration/shared/partnerhttp"
)

// DefaultTimeout bounds each call when Config.Timeout is zero.
const DefaultTimeout = partnerhttp.DefaultTimeout

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
	c, err := partnerhttp.NewCredentialed(partnerhttp.Credentialed{
		Partner: "PrintStation", BaseSetting: "PRINTSTATION_BASE_URL", BaseURL: cfg.BaseURL,
		CredentialSetting: "PRINTSTATION_API_KEY", Credential: cfg.APIKey, Header: HeaderAPIKey, Prefix: "",
		Timeout: cfg.Timeout, HTTPClient: cfg.HTTPClient, Now: cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	return &Client{http: c}, nil
}
