package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/store/storetest"
	"github.com/popsockets/integration/shared/webhook"
)

// signedRequest builds what OMS would send, then lets a case spoil it.
type signedRequest struct {
	id      string
	at      time.Time
	body    []byte
	secret  string
	headers http.Header
}

func (f *flow) post(t *testing.T, path string, r signedRequest) (int, map[string]any) {
	t.Helper()
	h := r.headers
	if h == nil {
		s, err := webhook.NewSigner(r.secret)
		require.NoError(t, err)
		h = http.Header{}
		require.NoError(t, s.Sign(h, r.id, r.at, r.body))
	}
	req, err := http.NewRequest(http.MethodPost, f.host.URL()+path, bytes.NewReader(r.body))
	require.NoError(t, err)
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-functions-key", f.partners.FunctionKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m
}

// stored counts every row a request could have written.
func (f *flow) stored(t *testing.T) int {
	t.Helper()
	n := 0
	for _, table := range []string{"webhook_receipts", "fulfillment_requests", "orders", "order_journey", "outbox", "shipments"} {
		n += storetest.Count(t, f.store, "SELECT * FROM "+table)
	}
	return n
}

func TestRejectedRequestsStoreNothing(t *testing.T) {
	t.Parallel()
	f := startFlow(t, flowOptions{})
	secret := f.settings["OMS_WEBHOOK_SECRETS"]
	smp := b2c(1, 23)[0]
	sealed, err := f.partners.Keyring.Seal(smp.Request.OrderID, smp.Customer)
	require.NoError(t, err)
	req := smp.Request
	req.Sealed = sealed
	body, err := json.Marshal(req)
	require.NoError(t, err)
	now := time.Now()

	other, err := oms.NewKeyring("other", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "", "")
	require.NoError(t, err)
	foreign := smp.Request
	foreign.Sealed, err = other.Seal(smp.Request.OrderID, smp.Customer)
	require.NoError(t, err)
	foreignBody, _ := json.Marshal(foreign)
	otherOrder := smp.Request
	otherOrder.OrderID = "ORD-ELSEWHERE"
	otherOrder.Sealed = sealed // sealed for another order: the order id is authenticated
	movedBody, _ := json.Marshal(otherOrder)

	tampered := signedRequest{id: "w1", at: now, body: body, secret: secret}
	s, _ := webhook.NewSigner(secret)
	tampered.headers = http.Header{}
	require.NoError(t, s.Sign(tampered.headers, "w1", now, body))
	tampered.body = bytes.Replace(body, []byte(`"quantity":`), []byte(`"quantity":9`), 1)

	big := bytes.Repeat([]byte("x"), 2<<20)

	cases := []struct {
		name   string
		req    signedRequest
		status int
		class  string
	}{
		{"TamperedBody", tampered, 401, "unauthorized"},
		{"WrongSecret", signedRequest{id: "w2", at: now, body: body, secret: "whsec_dGhpcyBpcyBub3Qgb3VyIHNlY3JldCBhdCBhbGw="}, 401, "unauthorized"},
		{"StaleTimestamp", signedRequest{id: "w3", at: now.Add(-6 * time.Minute), body: body, secret: secret}, 401, "unauthorized"},
		{"FutureTimestamp", signedRequest{id: "w4", at: now.Add(6 * time.Minute), body: body, secret: secret}, 401, "unauthorized"},
		{"MissingHeaders", signedRequest{body: body, headers: http.Header{}}, 401, "unauthorized"},
		{"TwoMebibyteBody", signedRequest{id: "w5", at: now, body: big, secret: secret}, 413, "too_large"},
		{"MalformedJSON", signedRequest{id: "w6", at: now, body: []byte(`{"order_id": "ORD-1", `), secret: secret}, 400, "malformed"},
		{"MissingFields", signedRequest{id: "w7", at: now, body: []byte(`{"order_id":"ORD-1"}`), secret: secret}, 400, "malformed"},
		{"UndecryptableWithUnknownKey", signedRequest{id: "w8", at: now, body: foreignBody, secret: secret}, 400, "malformed"},
		{"SealedForAnotherOrder", signedRequest{id: "w9", at: now, body: movedBody, secret: secret}, 400, "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, ans := f.post(t, "/api/fulfillment/request/cirro", tc.req)
			require.Equal(t, tc.status, status, "%v", ans)
			require.Equal(t, tc.class, ans["class"])
			require.NotEmpty(t, ans["error"])
			require.Zero(t, f.stored(t), "a rejected call stores nothing")
		})
	}

	t.Run("UnknownWarehouse", func(t *testing.T) {
		status, ans := f.post(t, "/api/fulfillment/request/dhl", signedRequest{id: "w10", at: now, body: body, secret: secret})
		require.Equal(t, 400, status)
		require.Contains(t, ans["error"], "unknown warehouse")
		require.Zero(t, f.stored(t))
	})

	t.Run("ReplayedIDWithAnotherBodyIsAConflict", func(t *testing.T) {
		status, _ := f.post(t, "/api/fulfillment/request/cirro", signedRequest{id: "w-legit", at: now, body: body, secret: secret})
		require.Equal(t, 202, status)
		f.idle(t) // cirro-fulfill records its step asynchronously
		before := f.stored(t)
		changed := smp.Request
		changed.Sealed = sealed
		changed.ShipMethod = "EXPRESS"
		changedBody, _ := json.Marshal(changed)
		status, ans := f.post(t, "/api/fulfillment/request/cirro", signedRequest{id: "w-legit", at: now, body: changedBody, secret: secret})
		require.Equal(t, 409, status, "%v", ans)
		require.Equal(t, "conflict", ans["class"])
		require.Equal(t, before, f.stored(t), "the conflicting call stores nothing")
		status, ans = f.post(t, "/api/fulfillment/request/cirro", signedRequest{id: "w-legit", at: now.Add(time.Second), body: body, secret: secret})
		require.Equal(t, 202, status, "the same request again is accepted")
		require.Equal(t, true, ans["duplicate"])
		require.Equal(t, before, f.stored(t))
	})

	t.Run("CirroWebhookIsVerifiedToo", func(t *testing.T) {
		before := f.stored(t)
		status, _ := f.post(t, "/api/cirro/shipment", signedRequest{id: "c1", at: now, body: []byte(`{"reference_no":"X"}`), secret: secret})
		require.Equal(t, 401, status, "signed with OMS's secret, not Cirro's")
		status, ans := f.post(t, "/api/cirro/shipment", signedRequest{id: "c2", at: now, body: []byte(`{"Order_type":0}`), secret: f.settings["CIRRO_WEBHOOK_SECRETS"]})
		require.Equal(t, 400, status, "%v", ans)
		status, _ = f.post(t, "/api/cirro/returns", signedRequest{id: "c3", at: now, body: []byte(`{}`), secret: f.settings["CIRRO_WEBHOOK_SECRETS"]})
		require.Equal(t, 400, status)
		require.Equal(t, before, f.stored(t))
	})
	f.idle(t)
	require.Len(t, f.partners.Cirro.Orders(), 1, "only the one accepted request reached Cirro")
}
