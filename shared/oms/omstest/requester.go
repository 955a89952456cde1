package omstest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/popsockets/integration/shared/fakeserver"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/webhook"
)

// HeaderFunctionsKey is the Functions host's key header.
const HeaderFunctionsKey = fakeserver.HeaderFunctionsKey

// WebhookID is the webhook-id of OMS's fulfilment request for an order at a
// warehouse: the same for every resend, so a resend is recognisably the
// same request.
func WebhookID(orderID, tpl string) string { return "fr_" + orderID + "_" + tpl }

// Requester plays OMS's outbound side: it asks our fulfillment-request
// function for fulfilment, as OMS does. Set the fields before the first
// Send; a Requester is safe for concurrent use after that.
type Requester struct {
	// URL is the function's URL without the warehouse, such as
	// http://127.0.0.1:7071/api/fulfillment/request.
	URL string
	// Signer signs the body with Standard Webhooks; if nil, Secret
	// (whsec_...) is used; if both are empty the request is sent unsigned.
	Signer *webhook.Signer
	Secret string
	// Keyring seals the customer (required).
	Keyring *oms.Keyring
	// FunctionKey, when set, is sent as x-functions-key.
	FunctionKey string
	// Client sends the request (default: a client with a 30 s timeout).
	Client *http.Client
	// Now is the clock of the signature timestamp (default time.Now).
	Now func() time.Time

	mu   sync.Mutex
	sent map[string]sentBody
}

type sentBody struct {
	fingerprint [32]byte
	body        []byte
}

// Send seals c into r.Sealed (the order id as additional data), signs the
// JSON body and POSTs it to URL/tpl. It returns the function's status and
// body; err is only for a request that got no answer.
//
// A resend of the same request and customer sends the same bytes (OMS
// retries with its stored payload), signed with a fresh timestamp under
// the same webhook-id. A changed request under the same order and
// warehouse keeps the webhook-id and sends the new bytes, so tests can
// show that the function refuses a reused id.
func (q *Requester) Send(ctx context.Context, tpl string, r oms.FulfillmentRequest, c oms.Customer) (int, []byte, error) {
	if q.URL == "" {
		return 0, nil, errors.New("omstest requester: URL is required")
	}
	if q.Keyring == nil {
		return 0, nil, errors.New("omstest requester: Keyring is required")
	}
	if r.OrderID == "" || tpl == "" {
		return 0, nil, errors.New("omstest requester: order id and tpl are required")
	}
	id := WebhookID(r.OrderID, tpl)
	body, err := q.body(id, r, c)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(q.URL, "/")+"/"+url.PathEscape(tpl), bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("building fulfilment request %s: %w", id, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if q.FunctionKey != "" {
		req.Header.Set(HeaderFunctionsKey, q.FunctionKey)
	}
	signer := q.Signer
	if signer == nil && q.Secret != "" {
		if signer, err = webhook.NewSigner(q.Secret); err != nil {
			return 0, nil, fmt.Errorf("signing fulfilment request %s: %w", id, err)
		}
	}
	if signer != nil {
		now := time.Now
		if q.Now != nil {
			now = q.Now
		}
		if err := signer.Sign(req.Header, id, now(), body); err != nil {
			return 0, nil, err
		}
	}
	hc := q.Client
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("sending fulfilment request %s: %w", id, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, answer, fmt.Errorf("reading the answer to fulfilment request %s: %w", id, err)
	}
	return resp.StatusCode, answer, nil
}

// body seals and encodes the request, or returns the bytes sent before for
// the same request and customer.
func (q *Requester) body(id string, r oms.FulfillmentRequest, c oms.Customer) ([]byte, error) {
	r.Sealed = oms.Sealed{}
	plain, err := json.Marshal(struct {
		R oms.FulfillmentRequest
		C oms.Customer
	}{r, c})
	if err != nil {
		return nil, fmt.Errorf("encoding fulfilment request %s: %w", id, err)
	}
	fp := sha256.Sum256(plain)
	q.mu.Lock()
	defer q.mu.Unlock()
	if prev, ok := q.sent[id]; ok && prev.fingerprint == fp {
		return prev.body, nil
	}
	if r.Sealed, err = q.Keyring.Seal(r.OrderID, c); err != nil {
		return nil, fmt.Errorf("sealing the customer of fulfilment request %s: %w", id, err)
	}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encoding fulfilment request %s: %w", id, err)
	}
	if q.sent == nil {
		q.sent = map[string]sentBody{}
	}
	q.sent[id] = sentBody{fingerprint: fp, body: body}
	return body, nil
}
