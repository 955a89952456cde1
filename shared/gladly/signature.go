package gladly

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/fault"
)

// Why a signature was refused: the reasons a rejection is logged and
// counted by. Each is a fixed phrase; none carries what the caller sent.
const (
	ReasonMissing     = "missing signature headers"
	ReasonMalformed   = "malformed Gladly-Authorization"
	ReasonAlgorithm   = "unsupported signing algorithm"
	ReasonHeaders     = "malformed SignedHeaders"
	ReasonTime        = "malformed Gladly-Time"
	ReasonStale       = "Gladly-Time outside the window"
	ReasonSignature   = "signature does not match"
	ReasonUnsupported = "signature check not configured"
)

// SignatureError is why a request's signature was refused.
type SignatureError struct {
	// Reason is one of the Reason constants.
	Reason string
	// Skew is how far Gladly-Time was from the clock (ReasonStale only).
	Skew time.Duration
}

func (e *SignatureError) Error() string {
	if e.Reason == ReasonStale {
		return fmt.Sprintf("Gladly signature: %s (%s from our clock, over %s)", e.Reason, e.Skew.Round(time.Second), Window)
	}
	return "Gladly signature: " + e.Reason
}

func refuse(reason string) error {
	return fault.Unauthorizedf("%w", &SignatureError{Reason: reason})
}

// Reason returns the reason of a refused signature, or "".
func Reason(err error) string {
	var se *SignatureError
	if errors.As(err, &se) {
		return se.Reason
	}
	return ""
}

// Authorization is a parsed Gladly-Authorization header.
type Authorization struct {
	Algorithm     string
	SignedHeaders []string
	// Signature is the hex signature, decoded.
	Signature []byte
}

// ParseAuthorization reads "SigningAlgorithm=hmac-sha256,
// SignedHeaders=a;b;c, Signature=<hex>": each part once, in any order,
// headers lower case, sorted and unique, the signature 32 bytes of hex.
func ParseAuthorization(v string) (Authorization, error) {
	var a Authorization
	var seen = map[string]bool{}
	if len(v) > 4096 {
		return a, refuse(ReasonMalformed)
	}
	for _, part := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || seen[k] {
			return Authorization{}, refuse(ReasonMalformed)
		}
		seen[k] = true
		switch k {
		case "SigningAlgorithm":
			a.Algorithm = val
		case "SignedHeaders":
			hs := strings.Split(val, ";")
			for i, h := range hs {
				if !headerName(h) || (i > 0 && hs[i-1] >= h) {
					return Authorization{}, refuse(ReasonHeaders)
				}
			}
			a.SignedHeaders = hs
		case "Signature":
			sig, err := hex.DecodeString(val)
			if err != nil || len(sig) != sha256.Size || strings.ToLower(val) != val {
				return Authorization{}, refuse(ReasonMalformed)
			}
			a.Signature = sig
		default:
			return Authorization{}, refuse(ReasonMalformed)
		}
	}
	switch {
	case !seen["SigningAlgorithm"] || !seen["SignedHeaders"] || !seen["Signature"]:
		return Authorization{}, refuse(ReasonMalformed)
	case a.Algorithm != Algorithm:
		return Authorization{}, refuse(ReasonAlgorithm)
	}
	return a, nil
}

// headerName reports whether h is a lower-case header name.
func headerName(h string) bool {
	if h == "" || len(h) > 128 {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// CanonicalRequest is the text Gladly hashes for a request: method, path,
// canonical query, one name:value line per signed header, an empty line,
// the signed header names joined by ";" and the body's SHA-256 in hex.
func CanonicalRequest(r *http.Request, signed []string, body []byte) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	b.WriteString(path)
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery))
	b.WriteByte('\n')
	for _, h := range signed {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headerValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	sum := sha256.Sum256(body)
	b.WriteString(hex.EncodeToString(sum[:]))
	return b.String()
}

// headerValue is a signed header's value: its values trimmed and joined by
// ","; Host is the request's host (net/http keeps it out of the header map).
func headerValue(r *http.Request, name string) string {
	if name == "host" {
		return strings.TrimSpace(r.Host)
	}
	vs := r.Header.Values(name)
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, strings.TrimSpace(v))
	}
	return strings.Join(out, ",")
}

// canonicalQuery sorts the query by name, then value (contract.go).
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return raw // a query Go cannot read is signed as it came
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := append([]string(nil), vals[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

// StringToSign is the algorithm, Gladly-Time and the canonical request's
// SHA-256 in hex, one per line.
func StringToSign(gladlyTime, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return Algorithm + "\n" + gladlyTime + "\n" + hex.EncodeToString(sum[:])
}

// Sign computes the signature with key: the key for the day is
// HMAC(key, yyyymmdd of Gladly-Time), the signature HMAC(that, string to sign).
func Sign(key []byte, gladlyTime, stringToSign string) []byte {
	day := hmac.New(sha256.New, key)
	day.Write([]byte(gladlyTime[:min(8, len(gladlyTime))]))
	mac := hmac.New(sha256.New, day.Sum(nil))
	mac.Write([]byte(stringToSign))
	return mac.Sum(nil)
}

// Verifier checks Gladly's signatures with any of its keys.
type Verifier struct {
	keys [][]byte
	now  func() time.Time
}

// NewVerifier takes the signing keys (the current one and, during a
// rotation, the one being retired). now may be nil (time.Now).
func NewVerifier(keys []string, now func() time.Time) (*Verifier, error) {
	v := &Verifier{now: now}
	if v.now == nil {
		v.now = time.Now
	}
	for _, k := range keys {
		if k = strings.TrimSpace(k); k != "" {
			v.keys = append(v.keys, []byte(k))
		}
	}
	if len(v.keys) == 0 {
		return nil, errors.New("GLADLY_SIGNING_KEYS is not set")
	}
	return v, nil
}

// Verify checks r's signature over body. Every failure is Unauthorized,
// with a SignatureError saying why.
func (v *Verifier) Verify(r *http.Request, body []byte) error {
	if v == nil || len(v.keys) == 0 {
		return refuse(ReasonUnsupported)
	}
	authz, ts := r.Header.Get(HeaderAuthorization), r.Header.Get(HeaderTime)
	if authz == "" || ts == "" {
		return refuse(ReasonMissing)
	}
	a, err := ParseAuthorization(authz)
	if err != nil {
		return err
	}
	at, err := time.Parse(TimeLayout, ts)
	if err != nil || at.Format(TimeLayout) != ts {
		return refuse(ReasonTime)
	}
	if skew := v.now().Sub(at); skew > Window || skew < -Window {
		return fault.Unauthorizedf("%w", &SignatureError{Reason: ReasonStale, Skew: skew.Abs()})
	}
	sts := StringToSign(ts, CanonicalRequest(r, a.SignedHeaders, body))
	ok := 0
	for _, k := range v.keys {
		// Every key is tried, so the time taken says nothing about which matched.
		ok |= boolInt(hmac.Equal(Sign(k, ts, sts), a.Signature))
	}
	if ok == 0 {
		return refuse(ReasonSignature)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Signer signs requests as Gladly does (the fake uses it).
type Signer struct {
	Key []byte
	// SignedHeaders are the headers to sign (default DefaultSignedHeaders).
	SignedHeaders []string
}

// SignRequest sets Gladly-Time to at and Gladly-Authorization on r for body.
func (s *Signer) SignRequest(r *http.Request, body []byte, at time.Time) {
	ts := at.UTC().Format(TimeLayout)
	r.Header.Set(HeaderTime, ts)
	hs := s.SignedHeaders
	if len(hs) == 0 {
		hs = DefaultSignedHeaders
	}
	hs = append([]string(nil), hs...)
	sort.Strings(hs)
	sig := Sign(s.Key, ts, StringToSign(ts, CanonicalRequest(r, hs, body)))
	r.Header.Set(HeaderAuthorization, fmt.Sprintf("SigningAlgorithm=%s, SignedHeaders=%s, Signature=%s", Algorithm, strings.Join(hs, ";"), hex.EncodeToString(sig)))
}
