// Package gladlytest plays Gladly calling a Lookup Adapter, for tests and
// the local run: it posts lookups signed exactly as Gladly signs them
// (package gladly's Signer), records what it sent and got back, and lets a
// test tamper with a signed request before it goes.
//
// What it guarantees:
//
//   - A request from NewRequest is what Gladly sends: JSON with Accept,
//     Content-Type, a fresh Gladly-Correlation-Id, Gladly-Time (the fake's
//     clock) and Gladly-Authorization over exactly those bytes.
//   - Calls records every request sent, with its status and how long the
//     answer took.
//   - It never logs; the keys it signs with are the caller's.
package gladlytest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/popsockets/integration/shared/gladly"
)

// Gladly posts signed lookups to one Lookup Adapter URL. It is safe for
// concurrent use.
type Gladly struct {
	// URL is the lookup URL configured in Gladly (http://host/api/gladly/lookup).
	URL string
	// Key is the signing key.
	Key string
	// Now is the clock Gladly-Time comes from (default time.Now).
	Now func() time.Time
	// Client sends the requests (default: a client with a 10 s timeout, Gladly's own patience being 5 s).
	Client *http.Client
	// FunctionKey, when set, is sent as x-functions-key (not signed).
	FunctionKey string

	mu    sync.Mutex
	calls []Call
}

// Call is one lookup sent and its answer.
type Call struct {
	Level    string
	Status   int
	Duration time.Duration
}

func (g *Gladly) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

// NewRequest builds the signed request Gladly sends for req.
func (g *Gladly) NewRequest(ctx context.Context, req gladly.LookupRequest) (*http.Request, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	return g.NewRawRequest(ctx, body)
}

// NewRawRequest builds a signed request for body as it is.
func (g *Gladly) NewRawRequest(ctx context.Context, body []byte) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(gladly.HeaderCorrelationID, correlationID())
	if g.FunctionKey != "" {
		r.Header.Set("x-functions-key", g.FunctionKey)
	}
	(&gladly.Signer{Key: []byte(g.Key)}).SignRequest(r, body, g.now())
	// Sent with a Content-Length, in one go, as the Functions host needs.
	r.ContentLength = int64(len(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return r, nil
}

func correlationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Do sends r (signed, perhaps tampered with) and reads the answer.
func (g *Gladly) Do(r *http.Request) (int, []byte, error) {
	c := g.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	level := ""
	if r.GetBody != nil {
		if rc, err := r.GetBody(); err == nil {
			var probe struct {
				LookupLevel string `json:"lookupLevel"`
			}
			b, _ := io.ReadAll(rc)
			_ = json.Unmarshal(b, &probe)
			level = probe.LookupLevel
		}
	}
	start := time.Now()
	resp, err := c.Do(r)
	if err != nil {
		g.record(Call{Level: level, Duration: time.Since(start)})
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	g.record(Call{Level: level, Status: resp.StatusCode, Duration: time.Since(start)})
	return resp.StatusCode, b, err
}

func (g *Gladly) record(c Call) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, c)
}

// Lookup signs and sends req; the answer is decoded when it is a 200.
func (g *Gladly) Lookup(ctx context.Context, req gladly.LookupRequest) (int, *gladly.LookupResponse, error) {
	r, err := g.NewRequest(ctx, req)
	if err != nil {
		return 0, nil, err
	}
	status, body, err := g.Do(r)
	if err != nil || status != http.StatusOK {
		return status, nil, err
	}
	var out gladly.LookupResponse
	if err := json.Unmarshal(body, &out); err != nil {
		return status, nil, fmt.Errorf("decoding the lookup answer: %w", err)
	}
	return status, &out, nil
}

// Basic is the BASIC lookup Gladly sends to auto-link or search.
func Basic(emails, phones []string, name string) gladly.LookupRequest {
	return gladly.LookupRequest{LookupLevel: gladly.LevelBasic, Query: gladly.Query{Emails: emails, Phones: phones, Name: name}}
}

// Detailed is the DETAILED lookup Gladly sends to refresh a linked customer.
func Detailed(externalCustomerID string) gladly.LookupRequest {
	return gladly.LookupRequest{LookupLevel: gladly.LevelDetailed, UniqueMatchRequired: true, Query: gladly.Query{ExternalCustomerID: externalCustomerID}}
}

// Calls is every lookup sent, in order.
func (g *Gladly) Calls() []Call {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Call(nil), g.calls...)
}
