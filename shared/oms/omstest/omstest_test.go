package omstest_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/oms/omstest"
	"github.com/popsockets/integration/shared/webhook"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func newKeyring(t *testing.T) *oms.Keyring {
	t.Helper()
	k := make([]byte, 32)
	_, err := rand.Read(k)
	require.NoError(t, err)
	r, err := oms.NewKeyring("k1", base64.StdEncoding.EncodeToString(k), "", "")
	require.NoError(t, err)
	return r
}

// received is one request the stand-in function got.
type received struct {
	path   string
	header http.Header
	body   []byte
}

// function stands in for our fulfillment-request function: it records
// what it receives and answers 202.
func function(t *testing.T) (string, <-chan received) {
	t.Helper()
	got := make(chan received, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- received{path: r.URL.Path, header: r.Header.Clone(), body: b}
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"accepted":true}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api/fulfillment/request", got
}

func TestRequester(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	sample := omstest.SampleOrders(1, 7)[0]

	t.Run("SendsASignedRequestWhoseCustomerOpens", func(t *testing.T) {
		t.Parallel()
		url, got := function(t)
		ring := newKeyring(t)
		q := &omstest.Requester{URL: url, Secret: secret, Keyring: ring, FunctionKey: "fk-123", Now: func() time.Time { return now }}
		status, body, err := q.Send(t.Context(), "cirro", sample.Request, sample.Customer)
		require.NoError(t, err)
		require.Equal(t, http.StatusAccepted, status)
		require.JSONEq(t, `{"accepted":true}`, string(body))

		r := <-got
		require.Equal(t, "/api/fulfillment/request/cirro", r.path)
		require.Equal(t, "fk-123", r.header.Get(omstest.HeaderFunctionsKey))
		v, err := webhook.NewVerifier("oms", []string{secret}, func() time.Time { return now })
		require.NoError(t, err)
		ver, err := v.Verify(r.header, r.body)
		require.NoError(t, err)
		require.Equal(t, "fr_"+sample.Request.OrderID+"_cirro", ver.ID)

		require.NotContains(t, string(r.body), sample.Customer.Email)
		require.NotContains(t, string(r.body), sample.Customer.Address.Line1)
		var fr oms.FulfillmentRequest
		require.NoError(t, json.Unmarshal(r.body, &fr))
		require.Equal(t, sample.Request.OrderID, fr.OrderID)
		require.Equal(t, sample.Request.Lines, fr.Lines)
		var c oms.Customer
		require.NoError(t, ring.Open(fr.OrderID, fr.Sealed, &c))
		require.Equal(t, sample.Customer, c)
	})
	t.Run("AResendIsTheSameRequest", func(t *testing.T) {
		t.Parallel()
		url, got := function(t)
		clock := now
		q := &omstest.Requester{URL: url, Secret: secret, Keyring: newKeyring(t), Now: func() time.Time { return clock }}
		_, _, err := q.Send(t.Context(), "xb", sample.Request, sample.Customer)
		require.NoError(t, err)
		first := <-got
		clock = now.Add(time.Minute)
		_, _, err = q.Send(t.Context(), "xb", sample.Request, sample.Customer)
		require.NoError(t, err)
		second := <-got
		require.Equal(t, first.header.Get(webhook.HeaderID), second.header.Get(webhook.HeaderID))
		require.Equal(t, first.body, second.body, "a resend carries the same bytes")
		require.NotEqual(t, first.header.Get(webhook.HeaderTimestamp), second.header.Get(webhook.HeaderTimestamp))

		changed := sample.Request
		changed.ShipMethod = "OVERNIGHT"
		_, _, err = q.Send(t.Context(), "xb", changed, sample.Customer)
		require.NoError(t, err)
		third := <-got
		require.Equal(t, first.header.Get(webhook.HeaderID), third.header.Get(webhook.HeaderID))
		require.False(t, bytes.Equal(first.body, third.body))
	})
	t.Run("WithoutSecretSendsUnsigned", func(t *testing.T) {
		t.Parallel()
		url, got := function(t)
		q := &omstest.Requester{URL: url, Keyring: newKeyring(t)}
		_, _, err := q.Send(t.Context(), "cirro", sample.Request, sample.Customer)
		require.NoError(t, err)
		r := <-got
		require.Empty(t, r.header.Get(webhook.HeaderSignature))
		require.Empty(t, r.header.Get(omstest.HeaderFunctionsKey))
	})
	t.Run("WithoutKeyringFailsBeforeSending", func(t *testing.T) {
		t.Parallel()
		q := &omstest.Requester{URL: "http://127.0.0.1:1/x"}
		_, _, err := q.Send(t.Context(), "cirro", sample.Request, sample.Customer)
		require.ErrorContains(t, err, "Keyring is required")
	})
}

func TestSampleOrders(t *testing.T) {
	t.Parallel()
	a := omstest.SampleOrders(200, 42)
	require.Equal(t, a, omstest.SampleOrders(200, 42), "the same seed gives the same orders")
	require.NotEqual(t, a, omstest.SampleOrders(200, 43))

	ids := map[string]bool{}
	sources := map[string]int{}
	packed := 0
	for _, s := range a {
		r := s.Request
		require.False(t, ids[r.OrderID], "order ids are unique")
		ids[r.OrderID] = true
		sources[r.Source]++
		require.Contains(t, omstest.ShipMethods, r.ShipMethod)
		require.NotEmpty(t, r.Lines)
		require.NotEmpty(t, r.OrderNumber)
		require.False(t, r.RequestedAt.IsZero())
		for _, l := range r.Lines {
			require.Positive(t, l.Quantity)
			require.NotEmpty(t, l.SKU)
			if l.PackCode != "" {
				packed++
			}
		}
		if r.Source == oms.SourceB2BPortal {
			require.Equal(t, 70, r.OrderType)
			require.NotEmpty(t, r.PONumber)
			require.NotEmpty(t, s.Customer.Company)
		} else {
			require.Zero(t, r.OrderType)
			require.Empty(t, r.PONumber)
		}
		require.True(t, strings.HasSuffix(s.Customer.Email, "@example.com"))
		require.Contains(t, s.Customer.Phone, "-555-01")
		require.NotEmpty(t, s.Customer.Address.PostalCode)
	}
	require.Greater(t, sources[oms.SourceSFCC], sources[oms.SourceB2BPortal])
	require.Greater(t, sources[oms.SourceShopify], sources[oms.SourceB2BPortal])
	require.Positive(t, sources[oms.SourceB2BPortal])
	require.Positive(t, packed)
	require.Len(t, sources, 3)
	require.Empty(t, omstest.SampleOrders(0, 1))
}

func TestServer(t *testing.T) {
	t.Parallel()
	do := func(t *testing.T, srv *omstest.Server, method, path, token, key, body string) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL()+path, strings.NewReader(body))
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if key != "" {
			req.Header.Set(oms.HeaderIdempotencyKey, key)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}
	t.Run("MissingTokenIs401AndRecorded", func(t *testing.T) {
		t.Parallel()
		srv := omstest.NewServer(omstest.Config{})
		t.Cleanup(srv.Close)
		srv.AddOrder("ORD1", oms.StatePendingNAVRelease)
		resp := do(t, srv, http.MethodPatch, oms.OrderStatusPath("ORD1"), "", "k", `{"status":"RELEASED_FROM_NAV"}`)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		require.Equal(t, []int{401}, statuses(srv.Calls()))
		require.Equal(t, oms.StatePendingNAVRelease, srv.State("ORD1"))
	})
	t.Run("MissingIdempotencyKeyIs422", func(t *testing.T) {
		t.Parallel()
		srv := omstest.NewServer(omstest.Config{})
		t.Cleanup(srv.Close)
		srv.AddOrder("ORD1", oms.StatePendingNAVRelease)
		resp := do(t, srv, http.MethodPatch, oms.OrderStatusPath("ORD1"), srv.Token(), "", `{"status":"RELEASED_FROM_NAV"}`)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		require.Equal(t, oms.StatePendingNAVRelease, srv.State("ORD1"))
	})
	t.Run("OnlyTheNAVReleaseCanBePatched", func(t *testing.T) {
		t.Parallel()
		srv := omstest.NewServer(omstest.Config{})
		t.Cleanup(srv.Close)
		srv.AddOrder("ORD1", oms.StatePendingNAVRelease)
		resp := do(t, srv, http.MethodPatch, oms.OrderStatusPath("ORD1"), srv.Token(), "k", `{"status":"SHIPPED"}`)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	})
	t.Run("UnknownPathIs404WithoutAKey", func(t *testing.T) {
		t.Parallel()
		srv := omstest.NewServer(omstest.Config{})
		t.Cleanup(srv.Close)
		resp := do(t, srv, http.MethodGet, "/api/v3/osor_order/nothing", srv.Token(), "", "")
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
	})
	t.Run("FailNextCountsDown", func(t *testing.T) {
		t.Parallel()
		srv := omstest.NewServer(omstest.Config{})
		t.Cleanup(srv.Close)
		srv.AddOrder("ORD1", oms.StatePendingNAVRelease)
		srv.FailNext(http.StatusServiceUnavailable, 2)
		for range 3 {
			do(t, srv, http.MethodPatch, oms.OrderStatusPath("ORD1"), srv.Token(), "k", `{"status":"RELEASED_FROM_NAV"}`)
		}
		require.Equal(t, []int{503, 503, 200}, statuses(srv.Calls()))
		require.Len(t, srv.Effects("ORD1"), 1)
	})
	t.Run("JourneyRecordsEveryState", func(t *testing.T) {
		t.Parallel()
		at := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		srv := omstest.NewServer(omstest.Config{Now: func() time.Time { return at }})
		t.Cleanup(srv.Close)
		srv.AddOrder("ORD1", oms.StatePendingNAVRelease)
		do(t, srv, http.MethodPatch, oms.OrderStatusPath("ORD1"), srv.Token(), "k", `{"status":"RELEASED_FROM_NAV"}`)
		srv.AddOrder("ORD1", oms.StateWaitingFulfillmentConfirmation)
		j := srv.Journey("ORD1")
		require.Equal(t, []omstest.Step{
			{State: oms.StatePendingNAVRelease, At: at},
			{State: oms.StateReleasedFromNAV, At: at},
			{State: oms.StateWaitingFulfillmentConfirmation, At: at},
		}, j)
		require.Equal(t, []omstest.Effect{{From: oms.StatePendingNAVRelease, To: oms.StateReleasedFromNAV, IdempotencyKey: "k"}}, srv.Effects("ORD1"))
		require.Empty(t, srv.State("nope"))
		require.Nil(t, srv.Journey("nope"))
	})
}

func statuses(calls []omstest.Call) []int {
	out := make([]int, 0, len(calls))
	for _, c := range calls {
		out = append(out, c.Status)
	}
	return slices.Clip(out)
}
