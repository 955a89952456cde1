package cirrotest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/cirro"
	"github.com/popsockets/integration/shared/cirro/cirrotest"
	"github.com/popsockets/integration/shared/webhook"
)

var start = time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)

// received is one callback our receiver verified.
type received struct {
	path string
	id   string
	body []byte
	at   time.Time
	// functionKey is the x-functions-key header.
	functionKey string
}

// receiver plays our webhook endpoint: it verifies every request with
// package webhook, answers failFirst requests with 500 first, and records
// the verified ones.
type receiver struct {
	*httptest.Server
	mu        sync.Mutex
	got       []received
	refused   []error
	failFirst int
	attempts  int
}

func newReceiver(t *testing.T, secret string, now func() time.Time, failFirst int) *receiver {
	t.Helper()
	v, err := webhook.NewVerifier("cirro", []string{secret}, now)
	require.NoError(t, err)
	rc := &receiver{failFirst: failFirst}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.attempts++
		got, err := v.Verify(r.Header, body)
		if err != nil {
			rc.refused = append(rc.refused, err)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if rc.attempts <= rc.failFirst {
			http.Error(w, "not now", http.StatusInternalServerError)
			return
		}
		rc.got = append(rc.got, received{path: r.URL.Path, id: got.ID, body: body, at: got.Timestamp,
			functionKey: r.Header.Get(cirrotest.HeaderFunctionsKey)})
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) received() ([]received, []error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...), append([]error(nil), rc.refused...)
}

// fixture is a fake with callbacks to a receiver, and a client for it.
func fixture(t *testing.T, cb cirrotest.Callback, failFirst int) (*cirrotest.Server, *cirro.Client, *receiver) {
	t.Helper()
	clock := cirrotest.NewClock(start)
	if cb.Secret == "" {
		cb.Secret = cirrotest.DefaultSecret
	}
	rc := newReceiver(t, cb.Secret, clock.Now, failFirst)
	cb.BaseURL = rc.URL + "/api/cirro"
	srv := cirrotest.NewServer(cirrotest.Config{Callback: &cb, Now: clock.Now})
	t.Cleanup(srv.Close)
	c, err := cirro.New(cirro.Config{BaseURL: srv.URL(), AppKey: srv.AppKey(), AppToken: srv.AppToken(), Now: clock.Now, RatePerMinute: 1_000_000})
	require.NoError(t, err)
	return srv, c, rc
}

func order(ref string, method string, items ...cirro.Item) cirro.OrderCreate {
	if len(items) == 0 {
		items = []cirro.Item{{SKU: "PS-GRIP-BLK", Quantity: 3}}
	}
	return cirro.OrderCreate{
		ReferenceNo:    ref,
		ShippingMethod: method,
		WarehouseCode:  "US-NJ-01",
		Consignee:      cirro.Consignee{Name: "Test Person", CountryCode: "US", City: "Boulder", Address1: "1 Example Way", Zipcode: "80301"},
		Items:          items,
	}
}

// validSSCC checks an SSCC-18 by the GS1 rule, independently of the fake.
func validSSCC(code string) bool {
	if len(code) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := code[i]
		if c < '0' || c > '9' {
			return false
		}
		w := 1
		if i%2 == 0 { // positions 1,3,...,17 weigh 3
			w = 3
		}
		sum += int(c-'0') * w
	}
	return int(code[17]-'0') == (10-sum%10)%10
}

func TestValidSSCCAgreesWithAKnownCode(t *testing.T) {
	t.Parallel()
	require.True(t, validSSCC("106141411234567897"), "GS1's published example")
	require.False(t, validSSCC("106141411234567898"))
}

func TestCallbacks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("SignedAcceptanceAndShipmentOfB2COrder", func(t *testing.T) {
		t.Parallel()
		srv, c, rc := fixture(t, cirrotest.Callback{}, 0)
		created, err := c.CreateOrder(ctx, "id-1", order("ORD-1", "UPS_2DAY", cirro.Item{SKU: "A", Quantity: 2}, cirro.Item{SKU: "B", Quantity: 1}))
		require.NoError(t, err)
		require.NoError(t, srv.SendAcceptance(ctx, "ORD-1"))
		require.NoError(t, srv.SendShipment(ctx, "ORD-1"))

		got, refused := rc.received()
		require.Empty(t, refused)
		require.Len(t, got, 2)
		require.Equal(t, "/api/cirro/acceptance", got[0].path)
		require.Equal(t, "/api/cirro/shipment", got[1].path)
		require.NotEqual(t, got[0].id, got[1].id, "one webhook-id per event")

		acc, err := cirro.ParseSendOrder(got[0].body)
		require.NoError(t, err)
		require.Equal(t, cirro.StatusAccepted, acc.Status)
		require.Equal(t, created.OrderNo, acc.OrderNo)
		require.False(t, acc.IsB2B())

		ship, err := cirro.ParseSendOrder(got[1].body)
		require.NoError(t, err)
		require.Equal(t, cirro.StatusShipped, ship.Status)
		require.Equal(t, "ORD-1", ship.ReferenceNo)
		require.Equal(t, "UPS", ship.Carrier())
		require.Len(t, ship.TrackingNumbers(), 1, "a B2C order ships in one box")
		require.Equal(t, start.Format(time.RFC3339), ship.ShippedAt)
		box := ship.OrderBoxInfo[0]
		require.True(t, validSSCC(box.SSCCCode), box.SSCCCode)
		require.Equal(t, cirro.Decimal("0.66"), box.Weight)
		require.Equal(t, []cirro.BoxItem{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}}, box.Items)
	})

	t.Run("FunctionKeyIsSentWhenSet", func(t *testing.T) {
		t.Parallel()
		for _, key := range []string{"fk-cirro-123", ""} {
			srv, c, rc := fixture(t, cirrotest.Callback{FunctionKey: key}, 0)
			_, err := c.CreateOrder(ctx, "id-fk", order("ORD-FK", "UPS_GROUND"))
			require.NoError(t, err)
			require.NoError(t, srv.SendAcceptance(ctx, "ORD-FK"))
			require.NoError(t, srv.SendShipment(ctx, "ORD-FK"))
			got, refused := rc.received()
			require.Empty(t, refused)
			require.Len(t, got, 2)
			for _, g := range got {
				require.Equal(t, key, g.functionKey, "%s with key %q", g.path, key)
			}
		}
	})

	t.Run("B2BShipmentIsOrderType70WithCartonsAndDispatch", func(t *testing.T) {
		t.Parallel()
		srv, c, rc := fixture(t, cirrotest.Callback{}, 0)
		o := cirro.B2BOrderCreate{OrderCreate: order("ORD-2", "USPS_GROUND", cirro.Item{SKU: "A", Quantity: 24}, cirro.Item{SKU: "B", Quantity: 12}), PONumber: "PO-9"}
		_, err := c.CreateB2BOrder(ctx, "id-2", o)
		require.NoError(t, err)
		require.NoError(t, srv.SendShipment(ctx, "ORD-2"))
		got, _ := rc.received()
		require.Len(t, got, 1)
		ship, err := cirro.ParseSendOrder(got[0].body)
		require.NoError(t, err)
		require.True(t, ship.IsB2B())
		require.Equal(t, cirro.OrderTypeB2B, ship.OrderType)
		require.Equal(t, "PO-9", ship.PONumber)
		require.Equal(t, "USPS", ship.Carrier())
		require.NotEmpty(t, ship.DispatchInfo[0].ProNumber)
		require.NotEmpty(t, ship.DispatchInfo[0].BOL)
		require.Len(t, ship.OrderBoxInfo, 2, "one carton per line")
		require.Len(t, ship.TrackingNumbers(), 2)
		seen := map[string]bool{}
		for _, b := range ship.OrderBoxInfo {
			require.True(t, validSSCC(b.SSCCCode), b.SSCCCode)
			require.False(t, seen[b.SSCCCode], "SSCCs are unique")
			seen[b.SSCCCode] = true
		}
	})

	t.Run("FailedDeliveryIsRetriedWithTheSameIDAndBody", func(t *testing.T) {
		t.Parallel()
		srv, c, rc := fixture(t, cirrotest.Callback{}, 2)
		_, err := c.CreateOrder(ctx, "id-3", order("ORD-3", "UPS_GROUND"))
		require.NoError(t, err)
		require.NoError(t, srv.SendShipment(ctx, "ORD-3"))
		require.NoError(t, srv.SendShipment(ctx, "ORD-3"), "a resend, as Cirro's retry")
		got, _ := rc.received()
		require.Len(t, got, 2)
		require.Equal(t, got[0].id, got[1].id, "webhook-id is stable per order and event")
		require.Equal(t, got[0].body, got[1].body, "the body is byte-identical")
		d := srv.Deliveries()
		require.Equal(t, 3, d[0].Attempts)
		require.Equal(t, http.StatusNoContent, d[0].Status)
	})

	t.Run("GivesUpWithAnErrorAfterAFewAttempts", func(t *testing.T) {
		t.Parallel()
		srv, c, _ := fixture(t, cirrotest.Callback{}, 1000)
		_, err := c.CreateOrder(ctx, "id-4", order("ORD-4", "UPS_GROUND"))
		require.NoError(t, err)
		err = srv.SendAcceptance(ctx, "ORD-4")
		require.ErrorContains(t, err, "after 4 attempts: answered HTTP 500")
		require.Error(t, srv.Deliveries()[0].Err)
	})

	t.Run("WrongSecretIsRefusedByTheReceiver", func(t *testing.T) {
		t.Parallel()
		clock := cirrotest.NewClock(start)
		rc := newReceiver(t, cirrotest.DefaultSecret, clock.Now, 0)
		srv := cirrotest.NewServer(cirrotest.Config{Now: clock.Now, Callback: &cirrotest.Callback{
			BaseURL: rc.URL, Secret: "whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==",
		}})
		t.Cleanup(srv.Close)
		c, err := cirro.New(cirro.Config{BaseURL: srv.URL(), AppKey: srv.AppKey(), AppToken: srv.AppToken(), Now: clock.Now})
		require.NoError(t, err)
		_, err = c.CreateOrder(ctx, "id-5", order("ORD-5", "UPS_GROUND"))
		require.NoError(t, err)
		require.ErrorContains(t, srv.SendAcceptance(ctx, "ORD-5"), "HTTP 401")
		_, refused := rc.received()
		require.NotEmpty(t, refused)
	})

	t.Run("UnknownOrderIsAnError", func(t *testing.T) {
		t.Parallel()
		srv, _, _ := fixture(t, cirrotest.Callback{}, 0)
		require.ErrorContains(t, srv.SendAcceptance(ctx, "ORD-NOPE"), "no such order")
	})
}

// deadline is the test's context, bounded so that a wait cannot hang.
func deadline(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestAutoCallbacks(t *testing.T) {
	t.Parallel()

	t.Run("AcceptanceThenShipmentForEveryOrder", func(t *testing.T) {
		t.Parallel()
		ctx := deadline(t)
		srv, c, rc := fixture(t, cirrotest.Callback{Auto: true, AcceptDelay: 5 * time.Millisecond, ShipDelay: 5 * time.Millisecond}, 0)
		refs := []string{"ORD-A", "ORD-B", "ORD-C"}
		for _, ref := range refs {
			_, err := c.CreateOrder(ctx, "id-"+ref, order(ref, "UPS_GROUND"))
			require.NoError(t, err)
		}
		require.NoError(t, srv.WaitCallbacks(ctx))
		got, refused := rc.received()
		require.Empty(t, refused)
		events := map[string][]string{}
		for _, r := range got {
			s, err := cirro.ParseSendOrder(r.body)
			require.NoError(t, err)
			events[s.ReferenceNo] = append(events[s.ReferenceNo], s.Status)
		}
		for _, ref := range refs {
			require.Equal(t, []string{cirro.StatusAccepted, cirro.StatusShipped}, events[ref], ref)
		}
	})

	t.Run("DuplicateCreateSchedulesNothingMore", func(t *testing.T) {
		t.Parallel()
		ctx := deadline(t)
		srv, c, rc := fixture(t, cirrotest.Callback{Auto: true}, 0)
		for range 3 {
			_, err := c.CreateOrder(ctx, "id-dup", order("ORD-DUP", "UPS_GROUND"))
			require.NoError(t, err)
		}
		require.NoError(t, srv.WaitCallbacks(ctx))
		got, _ := rc.received()
		require.Len(t, got, 2)
	})

	t.Run("ReceiverFailuresAreReportedByWaitCallbacks", func(t *testing.T) {
		t.Parallel()
		ctx := deadline(t)
		srv, c, _ := fixture(t, cirrotest.Callback{Auto: true}, 1000)
		_, err := c.CreateOrder(ctx, "id-x", order("ORD-X", "UPS_GROUND"))
		require.NoError(t, err)
		require.ErrorContains(t, srv.WaitCallbacks(ctx), "acceptance of ORD-X")
	})

	t.Run("CloseStopsPendingCallbacks", func(t *testing.T) {
		t.Parallel()
		ctx := deadline(t)
		srv, c, rc := fixture(t, cirrotest.Callback{Auto: true, AcceptDelay: time.Hour}, 0)
		_, err := c.CreateOrder(ctx, "id-late", order("ORD-LATE", "UPS_GROUND"))
		require.NoError(t, err)
		srv.Close() // returns at once, not in an hour
		require.NoError(t, srv.WaitCallbacks(ctx))
		got, _ := rc.received()
		require.Empty(t, got)
	})
}

func TestProtocol(t *testing.T) {
	t.Parallel()
	clock := cirrotest.NewClock(start)
	srv := cirrotest.NewServer(cirrotest.Config{Now: clock.Now, TokenTTL: time.Hour})
	t.Cleanup(srv.Close)

	post := func(t *testing.T, path, token string, data any) (int, cirro.Reply) {
		t.Helper()
		raw, err := json.Marshal(data)
		require.NoError(t, err)
		body, err := json.Marshal(cirro.Envelope{RequestID: fmt.Sprint(time.Now().UnixNano()), RequestTime: clock.Now().Unix(), RequestData: raw})
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodPost, srv.URL()+path, bytes.NewReader(body))
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var rep cirro.Reply
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&rep))
		return resp.StatusCode, rep
	}

	status, rep := post(t, cirro.PathToken, "", cirro.TokenRequest{AppKey: srv.AppKey(), AppToken: "wrong"})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, cirro.CodeAuthFailed, rep.Code)

	_, rep = post(t, cirro.PathToken, "", cirro.TokenRequest{AppKey: srv.AppKey(), AppToken: srv.AppToken()})
	require.Equal(t, cirro.CodeOK, rep.Code)
	var tok cirro.Token
	require.NoError(t, json.Unmarshal(rep.Data, &tok))
	require.Equal(t, start.Add(time.Hour).Unix(), tok.ExpiredAt)

	status, rep = post(t, cirro.PathCreateOrder, "", order("ORD-P1", "UPS_GROUND"))
	require.Equal(t, http.StatusUnauthorized, status, "no token")
	require.Equal(t, cirro.CodeTokenInvalid, rep.Code)

	status, rep = post(t, cirro.PathCreateOrder, tok.AccessToken, order("ORD-P1", "UPS_GROUND"))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, cirro.CodeOK, rep.Code)

	clock.Advance(time.Hour)
	status, _ = post(t, cirro.PathCreateOrder, tok.AccessToken, order("ORD-P2", "UPS_GROUND"))
	require.Equal(t, http.StatusUnauthorized, status, "expired by the fake's clock")
	require.Equal(t, 2, srv.TokenCalls())
	require.Equal(t, 3, srv.CreateCalls())
}

func TestThousandOrdersFromFiftyGoroutines(t *testing.T) {
	t.Parallel()
	srv := cirrotest.NewServer(cirrotest.Config{})
	t.Cleanup(srv.Close)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64 // one connection per worker, reused
	c, err := cirro.New(cirro.Config{BaseURL: srv.URL(), AppKey: srv.AppKey(), AppToken: srv.AppToken(), RatePerMinute: 1_000_000,
		Timeout: 30 * time.Second, HTTPClient: &http.Client{Transport: tr}})
	require.NoError(t, err)
	const workers, each = 50, 20
	errs := make(chan error, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				ref := fmt.Sprintf("ORD-%02d-%02d", w, i)
				created, err := c.CreateOrder(context.Background(), cirro.RequestID("order/create", ref), order(ref, "USPS_GROUND"))
				if err == nil && created.Duplicate {
					err = fmt.Errorf("%s reported as duplicate", ref)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	orders := srv.Orders()
	require.Len(t, orders, workers*each)
	nos := map[string]bool{}
	for _, o := range orders {
		nos[o.OrderNo] = true
	}
	require.Len(t, nos, workers*each)
	require.Equal(t, workers*each, srv.CreateCalls())
	require.Equal(t, 1, srv.TokenCalls())
}
