package partnerhttp

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// DefaultTimeout bounds each call of a client NewCredentialed builds when
// its Timeout is zero; keep it under the function timeout.
const DefaultTimeout = 20 * time.Second

// Credentialed describes a partner reached at a base URL with one
// credential sent in a header on every call (OMS's bearer token, XB's and
// PrintStation's API keys). Its settings are checked the same way for each.
type Credentialed struct {
	// Partner names the partner in errors ("OMS").
	Partner string
	// BaseSetting and BaseURL: the base URL and the app setting it comes from.
	BaseSetting, BaseURL string
	// CredentialSetting and Credential: the credential and its app setting.
	CredentialSetting, Credential string
	// Header carries the credential, after Prefix ("Authorization", "Bearer ").
	Header, Prefix string
	// Timeout bounds each call (DefaultTimeout when zero).
	Timeout time.Duration
	// HTTPClient sends the requests (default: a new client).
	HTTPClient *http.Client
	// Now is the clock, for Retry-After dates (default time.Now).
	Now func() time.Time
}

// NewCredentialed checks c and returns its client. It does no I/O. The
// credential is one of the client's Secrets: a partner that repeats it in
// an error body never has it repeated in an error of ours.
func NewCredentialed(c Credentialed) (*Client, error) {
	base, err := BaseURL(c.BaseSetting, c.BaseURL)
	if err != nil {
		return nil, err
	}
	cred := strings.TrimSpace(c.Credential)
	if cred == "" {
		return nil, fmt.Errorf("%s is not set", c.CredentialSetting)
	}
	if c.Timeout < 0 {
		return nil, fmt.Errorf("%s timeout must not be negative", c.Partner)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return New(Config{
		Partner:           c.Partner,
		BaseURL:           base,
		Header:            http.Header{c.Header: {c.Prefix + cred}},
		CredentialSetting: c.CredentialSetting,
		Secrets:           []string{cred},
		Timeout:           c.Timeout,
		HTTPClient:        c.HTTPClient,
		Now:               c.Now,
	}), nil
}
