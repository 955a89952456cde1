package webhook

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/popsockets/integration/shared/fault"
)

// The Standard Webhooks headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Tolerance is how far a timestamp may be from now, either way.
const Tolerance = 5 * time.Minute

// Verifier checks one partner's webhooks.
type Verifier struct {
	partner string
	keys    []*standardwebhooks.Webhook
	now     func() time.Time
}

// NewVerifier accepts secrets in the whsec_<base64> form (or bare base64).
// now may be nil (time.Now).
func NewVerifier(partner string, secrets []string, now func() time.Time) (*Verifier, error) {
	if len(secrets) == 0 {
		return nil, fmt.Errorf("webhook secrets for %s are not configured", partner)
	}
	v := &Verifier{partner: partner, now: now}
	if v.now == nil {
		v.now = time.Now
	}
	for i, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("webhook secret %d for %s is not whsec_<base64>", i+1, partner)
		}
		v.keys = append(v.keys, wh)
	}
	return v, nil
}

// ParseSecrets splits a setting that holds several secrets separated by
// spaces or commas (the current one and the one being retired).
func ParseSecrets(setting string) []string {
	return strings.FieldsFunc(setting, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' })
}

// Verified is what a verified request tells.
type Verified struct {
	ID        string
	Timestamp time.Time
}

// Verify checks the headers and signature of body. Every failure is
// Unauthorized.
func (v *Verifier) Verify(headers http.Header, body []byte) (Verified, error) {
	id := headers.Get(HeaderID)
	ts := headers.Get(HeaderTimestamp)
	sig := headers.Get(HeaderSignature)
	if id == "" || ts == "" || sig == "" {
		return Verified{}, fault.Unauthorizedf("%s webhook: missing %s, %s or %s header", v.partner, HeaderID, HeaderTimestamp, HeaderSignature)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return Verified{}, fault.Unauthorizedf("%s webhook: %s is not a Unix timestamp", v.partner, HeaderTimestamp)
	}
	at := time.Unix(sec, 0)
	now := v.now()
	if now.Sub(at) > Tolerance {
		return Verified{}, fault.Unauthorizedf("%s webhook: timestamp is %s old, over the %s tolerance", v.partner, now.Sub(at).Round(time.Second), Tolerance)
	}
	if at.Sub(now) > Tolerance {
		return Verified{}, fault.Unauthorizedf("%s webhook: timestamp is %s in the future, over the %s tolerance", v.partner, at.Sub(now).Round(time.Second), Tolerance)
	}
	for _, k := range v.keys {
		// The timestamp was checked above against our clock; the signature
		// covers it, so it cannot have been changed.
		if err := k.VerifyIgnoringTimestamp(body, headers); err == nil {
			return Verified{ID: id, Timestamp: at}, nil
		} else if !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
			return Verified{}, fault.Unauthorizedf("%s webhook: malformed signature headers", v.partner)
		}
	}
	return Verified{}, fault.Unauthorizedf("%s webhook: no signature matches", v.partner)
}

// Signer signs outgoing webhooks (the partner fakes use it, and so would a
// webhook we send).
type Signer struct {
	key *standardwebhooks.Webhook
}

// NewSigner takes one secret in the whsec_<base64> form.
func NewSigner(secret string) (*Signer, error) {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return nil, errors.New("webhook secret is not whsec_<base64>")
	}
	return &Signer{key: wh}, nil
}

// Sign sets the three headers on h for body.
func (s *Signer) Sign(h http.Header, id string, at time.Time, body []byte) error {
	sig, err := s.key.Sign(id, at, body)
	if err != nil {
		return fmt.Errorf("signing webhook %s: %w", id, err)
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
	h.Set(HeaderSignature, sig)
	return nil
}
