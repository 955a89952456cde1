package oms_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/oms/omstest"
)

var (
	acceptedAt = time.Date(2026, 3, 2, 15, 4, 5, 0, time.UTC)
	shippedAt  = time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC)
)

func setup(t *testing.T, mod func(*oms.Config)) (*oms.Client, *omstest.Server) {
	t.Helper()
	srv := omstest.NewServer(omstest.Config{Token: "tok-123456"})
	t.Cleanup(srv.Close)
	cfg := oms.Config{BaseURL: srv.URL(), Token: "tok-123456", Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := oms.New(cfg)
	require.NoError(t, err)
	return c, srv
}

func confirmation(id string) oms.Confirmation {
	return oms.Confirmation{OrderID: id, TPL: "cirro", TPLOrderNo: "CR-" + id, AcceptedAt: acceptedAt}
}

func fulfillment(id string) oms.Fulfillment {
	return oms.Fulfillment{
		OrderID: id, Carrier: "UPS", TrackingNumbers: []string{"1Z999AA10123456784"}, ShippedAt: shippedAt, TPL: "cirro",
		Lines: []oms.ShippedLine{{SKU: "PS-GRIP-BLK", Quantity: 2}},
	}
}

// operation is one client call, with the state its order must be in to succeed.
type operation struct {
	name  string
	ready string
	call  func(ctx context.Context, c *oms.Client, id, key string) error
}

var operations = []operation{
	{"ReleaseFromNAV", oms.StatePendingNAVRelease, func(ctx context.Context, c *oms.Client, id, key string) error {
		return c.ReleaseFromNAV(ctx, id, key)
	}},
	{"ConfirmFulfillment", oms.StateWaitingFulfillmentConfirmation, func(ctx context.Context, c *oms.Client, id, key string) error {
		return c.ConfirmFulfillment(ctx, confirmation(id), key)
	}},
	{"FulfillOrders", oms.StateExportedToTPL, func(ctx context.Context, c *oms.Client, id, key string) error {
		return c.FulfillOrders(ctx, []oms.Fulfillment{fulfillment(id)}, key)
	}},
}

func TestNewNamesTheMissingSetting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  oms.Config
		want string
	}{
		{"NoBaseURL", oms.Config{Token: "t"}, "OMS_BASE_URL is not set"},
		{"RelativeBaseURL", oms.Config{BaseURL: "oms.example.com", Token: "t"}, "OMS_BASE_URL is not an absolute"},
		{"BaseURLWithQuery", oms.Config{BaseURL: "https://oms.example.com/?a=b", Token: "t"}, "OMS_BASE_URL must not have a query"},
		{"NoToken", oms.Config{BaseURL: "https://oms.example.com"}, "OMS_API_TOKEN is not set"},
		{"NegativeTimeout", oms.Config{BaseURL: "https://oms.example.com", Token: "t", Timeout: -time.Second}, "timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := oms.New(tc.cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := oms.New(oms.Config{BaseURL: "https://oms.example.com/prefix/", Token: "t"})
	require.NoError(t, err)
}

func TestHappyPathSendsTheContract(t *testing.T) {
	t.Parallel()
	t.Run("ReleaseFromNAVPatchesTheStatus", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		srv.AddOrder("ORD1", oms.StatePendingNAVRelease)
		require.NoError(t, c.ReleaseFromNAV(t.Context(), "ORD1", "msg-1"))
		require.Equal(t, oms.StateReleasedFromNAV, srv.State("ORD1"))
		calls := srv.Calls()
		require.Len(t, calls, 1)
		require.Equal(t, http.MethodPatch, calls[0].Method)
		require.Equal(t, "/api/v3/osor_order/orders/ORD1/status", calls[0].Path)
		require.Equal(t, "msg-1", calls[0].IdempotencyKey)
		require.JSONEq(t, `{"status":"RELEASED_FROM_NAV","expected_status":"PENDING_NAV_RELEASE"}`, string(calls[0].Body))
	})
	t.Run("ConfirmFulfillmentPostsTheConfirmation", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		srv.AddOrder("ORD2", oms.StateWaitingFulfillmentConfirmation)
		require.NoError(t, c.ConfirmFulfillment(t.Context(), confirmation("ORD2"), "msg-2"))
		require.Equal(t, oms.StateExportedToTPL, srv.State("ORD2"))
		calls := srv.Calls()
		require.Len(t, calls, 1)
		require.Equal(t, http.MethodPost, calls[0].Method)
		require.Equal(t, "/order/cirro-confirmation", calls[0].Path)
		require.JSONEq(t, `{"order_id":"ORD2","tpl":"cirro","tpl_order_no":"CR-ORD2","accepted_at":"2026-03-02T15:04:05Z"}`, string(calls[0].Body))
	})
	t.Run("FulfillOrdersPostsTracking", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		srv.AddOrder("ORD3", oms.StateExportedToTPL)
		require.NoError(t, c.FulfillOrders(t.Context(), []oms.Fulfillment{fulfillment("ORD3")}, "msg-3"))
		require.Equal(t, oms.StateShipped, srv.State("ORD3"))
		calls := srv.Calls()
		require.Len(t, calls, 1)
		require.Equal(t, "/api/v3/osor_order/fulfill_orders", calls[0].Path)
		require.JSONEq(t, `{"orders":[{"order_id":"ORD3","carrier":"UPS","tracking_numbers":["1Z999AA10123456784"],
			"shipped_at":"2026-03-04T09:30:00Z","tpl":"cirro","lines":[{"sku":"PS-GRIP-BLK","quantity":2}]}]}`, string(calls[0].Body))
	})
	t.Run("BasePathPrefixIsKept", func(t *testing.T) {
		t.Parallel()
		got := make(chan string, 1)
		ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request) {
			got <- r.URL.Path + " " + r.Header.Get("Authorization")
			w.WriteHeader(http.StatusOK)
		})
		c, err := oms.New(oms.Config{BaseURL: ts + "/osor/", Token: "tok-9"})
		require.NoError(t, err)
		require.NoError(t, c.ReleaseFromNAV(t.Context(), "ORD 4/5", "k"))
		require.Equal(t, "/osor/api/v3/osor_order/orders/ORD 4/5/status Bearer tok-9", <-got)
	})
}

func TestIdempotencyAndStates(t *testing.T) {
	t.Parallel()
	for _, op := range operations {
		t.Run(op.name+"/SameKeyTwiceMakesOneEffect", func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t, nil)
			srv.AddOrder("ORD1", op.ready)
			require.NoError(t, op.call(t.Context(), c, "ORD1", "msg-1"))
			require.NoError(t, op.call(t.Context(), c, "ORD1", "msg-1"))
			require.Len(t, srv.Calls(), 2)
			require.Len(t, srv.Effects("ORD1"), 1)
			require.Equal(t, "msg-1", srv.Effects("ORD1")[0].IdempotencyKey)
		})
		t.Run(op.name+"/AlreadyInStateUnderAnotherKeyIsSuccess", func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t, nil)
			srv.AddOrder("ORD1", op.ready)
			require.NoError(t, op.call(t.Context(), c, "ORD1", "msg-1"))
			require.NoError(t, op.call(t.Context(), c, "ORD1", "msg-2"))
			require.Len(t, srv.Effects("ORD1"), 1)
		})
		t.Run(op.name+"/OrderPastTheTargetIsSuccess", func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t, nil)
			srv.AddOrder("ORD1", oms.StateShipped)
			require.NoError(t, op.call(t.Context(), c, "ORD1", "msg-1"))
			require.Empty(t, srv.Effects("ORD1"))
		})
		t.Run(op.name+"/UnexpectedStateIsPermanent", func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t, nil)
			srv.AddOrder("ORD1", "CANCELLED")
			err := op.call(t.Context(), c, "ORD1", "msg-1")
			require.ErrorIs(t, err, fault.ErrPermanent)
			var oe *oms.Error
			require.ErrorAs(t, err, &oe)
			require.Equal(t, http.StatusConflict, oe.Status)
			require.Equal(t, oms.CodeInvalidTransition, oe.Code)
			require.Equal(t, "CANCELLED", oe.CurrentStatus)
			require.Contains(t, err.Error(), "ORD1")
			require.Equal(t, "CANCELLED", srv.State("ORD1"))
		})
		t.Run(op.name+"/UnknownOrderIsPermanent", func(t *testing.T) {
			t.Parallel()
			c, _ := setup(t, nil)
			err := op.call(t.Context(), c, "ORD404", "msg-1")
			require.ErrorIs(t, err, fault.ErrPermanent)
			var oe *oms.Error
			require.ErrorAs(t, err, &oe)
			require.Equal(t, oms.CodeNotFound, oe.Code)
		})
		t.Run(op.name+"/RetryAfterAToldFailureMakesTheEffect", func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t, nil)
			srv.AddOrder("ORD1", op.ready)
			srv.FailNext(http.StatusBadGateway, 1)
			require.ErrorIs(t, op.call(t.Context(), c, "ORD1", "msg-1"), fault.ErrTransient)
			require.Empty(t, srv.Effects("ORD1"))
			require.NoError(t, op.call(t.Context(), c, "ORD1", "msg-1"))
			require.Len(t, srv.Effects("ORD1"), 1)
		})
		t.Run(op.name+"/NoIdempotencyKeyIsPermanentWithoutACall", func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t, nil)
			srv.AddOrder("ORD1", op.ready)
			require.ErrorIs(t, op.call(t.Context(), c, "ORD1", " "), fault.ErrPermanent)
			require.Empty(t, srv.Calls())
		})
	}
	t.Run("EarlierStateIsPermanent", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		srv.AddOrder("ORD1", oms.StatePendingNAVRelease)
		err := c.ConfirmFulfillment(t.Context(), confirmation("ORD1"), "msg-1")
		require.ErrorIs(t, err, fault.ErrPermanent)
		require.ErrorContains(t, err, "cannot move from PENDING_NAV_RELEASE")
	})
	t.Run("KeyReusedForAnotherRequestIsPermanent", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		srv.AddOrder("ORD1", oms.StatePendingNAVRelease)
		srv.AddOrder("ORD2", oms.StatePendingNAVRelease)
		require.NoError(t, c.ReleaseFromNAV(t.Context(), "ORD1", "msg-1"))
		err := c.ReleaseFromNAV(t.Context(), "ORD2", "msg-1")
		require.ErrorIs(t, err, fault.ErrPermanent)
		require.ErrorContains(t, err, oms.CodeIdempotencyKeyReused)
		require.Equal(t, oms.StatePendingNAVRelease, srv.State("ORD2"))
	})
	t.Run("ABatchIsAllOrNothing", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		srv.AddOrder("ORD1", oms.StateExportedToTPL)
		srv.AddOrder("ORD2", oms.StateWaitingFulfillmentConfirmation)
		err := c.FulfillOrders(t.Context(), []oms.Fulfillment{fulfillment("ORD1"), fulfillment("ORD2")}, "msg-1")
		require.ErrorIs(t, err, fault.ErrPermanent)
		require.Equal(t, oms.StateExportedToTPL, srv.State("ORD1"))
	})
	t.Run("ABatchSkipsShippedOrders", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		srv.AddOrder("ORD1", oms.StateShipped)
		srv.AddOrder("ORD2", oms.StateExportedToTPL)
		require.NoError(t, c.FulfillOrders(t.Context(), []oms.Fulfillment{fulfillment("ORD1"), fulfillment("ORD2")}, "msg-1"))
		require.Empty(t, srv.Effects("ORD1"))
		require.Len(t, srv.Effects("ORD2"), 1)
		require.Equal(t, []string{oms.StateExportedToTPL, oms.StateShipped}, states(srv.Journey("ORD2")))
	})
}

func states(steps []omstest.Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.State
	}
	return out
}

func TestFailuresAreClassified(t *testing.T) {
	t.Parallel()
	for _, op := range operations {
		for _, tc := range []struct {
			name      string
			prepare   func(*omstest.Server)
			config    func(*oms.Config)
			class     error
			retry     time.Duration
			message   string
			forbidden string
		}{
			{name: "ServerErrorIsTransient", prepare: func(s *omstest.Server) { s.FailNext(500, 1) }, class: fault.ErrTransient, message: "OMS answered 500"},
			{name: "TooManyRequestsIsTransientWithRetryAfter", prepare: func(s *omstest.Server) { s.FailNext(429, 1) }, class: fault.ErrTransient, retry: time.Second},
			{name: "UnavailableKeepsRetryAfter", prepare: func(s *omstest.Server) { s.FailNext(503, 1) }, class: fault.ErrTransient, retry: time.Second},
			{name: "WrongTokenIsTransientCredentialsRefused", config: func(c *oms.Config) { c.Token = "rotated-away" },
				class: fault.ErrTransient, message: "credentials refused", forbidden: "rotated-away"},
			{name: "ForbiddenIsTransientCredentialsRefused", prepare: func(s *omstest.Server) { s.RejectNext(403, `{"code":"forbidden"}`) },
				class: fault.ErrTransient, message: "credentials refused"},
			{name: "ValidationIsPermanentWithOMSMessage", prepare: func(s *omstest.Server) {
				s.RejectNext(422, `{"code":"validation_failed","message":"carrier is not known"}`)
			}, class: fault.ErrPermanent, message: "carrier is not known"},
			{name: "BadRequestIsPermanent", prepare: func(s *omstest.Server) { s.RejectNext(400, `not json`) }, class: fault.ErrPermanent, message: "OMS answered 400"},
			{name: "TimeoutIsTransient", prepare: func(s *omstest.Server) { s.Delay(time.Minute) },
				config: func(c *oms.Config) { c.Timeout = 50 * time.Millisecond }, class: fault.ErrTransient, message: "did not answer within 50ms"},
		} {
			t.Run(op.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				c, srv := setup(t, tc.config)
				srv.AddOrder("ORD1", op.ready)
				if tc.prepare != nil {
					tc.prepare(srv)
				}
				err := op.call(t.Context(), c, "ORD1", "msg-1")
				require.ErrorIs(t, err, tc.class)
				require.Equal(t, op.ready, srv.State("ORD1"), "a failure has no effect")
				if tc.message != "" {
					require.ErrorContains(t, err, tc.message)
				}
				if tc.forbidden != "" {
					require.NotContains(t, err.Error(), tc.forbidden)
				}
				got, ok := fault.RetryAfter(err)
				require.Equal(t, tc.retry > 0, ok)
				require.Equal(t, tc.retry, got)
			})
		}
	}
}

func TestTransportFailures(t *testing.T) {
	t.Parallel()
	t.Run("ConnectionRefusedIsTransient", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := l.Addr().String()
		require.NoError(t, l.Close())
		c, err := oms.New(oms.Config{BaseURL: "http://" + addr, Token: "secret-token"})
		require.NoError(t, err)
		err = c.ReleaseFromNAV(t.Context(), "ORD1", "k")
		require.ErrorIs(t, err, fault.ErrTransient)
		require.ErrorContains(t, err, "reaching OMS")
		require.NotContains(t, err.Error(), "secret-token")
	})
	t.Run("CallerCancellationIsTransient", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		srv.AddOrder("ORD1", oms.StatePendingNAVRelease)
		srv.Delay(time.Minute)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := c.ReleaseFromNAV(ctx, "ORD1", "k")
		require.ErrorIs(t, err, fault.ErrTransient)
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("RetryAfterDateIsRead", func(t *testing.T) {
		t.Parallel()
		now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
		ts := newRawServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat))
			w.WriteHeader(http.StatusTooManyRequests)
		})
		c, err := oms.New(oms.Config{BaseURL: ts, Token: "t", Now: func() time.Time { return now }})
		require.NoError(t, err)
		d, ok := fault.RetryAfter(c.ReleaseFromNAV(t.Context(), "ORD1", "k"))
		require.True(t, ok)
		require.Equal(t, 90*time.Second, d)
	})
	t.Run("LongPartnerMessageIsCutToOneLine", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		long := strings.Repeat("x", 1000)
		b, _ := json.Marshal(oms.WireError{Code: "validation_failed", Message: "first line\nsecond " + long})
		srv.RejectNext(422, string(b))
		err := c.ReleaseFromNAV(t.Context(), "ORD1", "k")
		require.ErrorIs(t, err, fault.ErrPermanent)
		require.NotContains(t, err.Error(), "\n")
		require.Less(t, len(err.Error()), 400)
	})
}

func TestArgumentsAreCheckedBeforeIO(t *testing.T) {
	t.Parallel()
	c, srv := setup(t, nil)
	noTracking := fulfillment("ORD1")
	noTracking.TrackingNumbers = nil
	noDate := fulfillment("ORD1")
	noDate.ShippedAt = time.Time{}
	badLine := fulfillment("ORD1")
	badLine.Lines = []oms.ShippedLine{{SKU: "X", Quantity: 0}}
	for name, call := range map[string]func() error{
		"ReleaseWithoutOrder":     func() error { return c.ReleaseFromNAV(t.Context(), "", "k") },
		"ConfirmWithoutOrder":     func() error { return c.ConfirmFulfillment(t.Context(), oms.Confirmation{TPL: "cirro"}, "k") },
		"ConfirmWithoutWarehouse": func() error { return c.ConfirmFulfillment(t.Context(), oms.Confirmation{OrderID: "ORD1"}, "k") },
		"FulfillNothing":          func() error { return c.FulfillOrders(t.Context(), nil, "k") },
		"FulfillWithoutTracking":  func() error { return c.FulfillOrders(t.Context(), []oms.Fulfillment{noTracking}, "k") },
		"FulfillWithoutShipDate":  func() error { return c.FulfillOrders(t.Context(), []oms.Fulfillment{noDate}, "k") },
		"FulfillWithZeroQuantity": func() error { return c.FulfillOrders(t.Context(), []oms.Fulfillment{badLine}, "k") },
	} {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, call(), fault.ErrPermanent)
		})
	}
	require.Empty(t, srv.Calls())
}

func TestAtOrPast(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		state, target string
		want          bool
	}{
		{oms.StateReleasedFromNAV, oms.StateReleasedFromNAV, true},
		{oms.StateShipped, oms.StateReleasedFromNAV, true},
		{oms.StatePendingNAVRelease, oms.StateReleasedFromNAV, false},
		{oms.StateWaitingFulfillmentConfirmation, oms.StateExportedToTPL, false},
		{"CANCELLED", oms.StateShipped, false},
		{oms.StateShipped, "CANCELLED", false},
	} {
		require.Equal(t, tc.want, oms.AtOrPast(tc.state, tc.target), "%s at or past %s", tc.state, tc.target)
	}
}

// newRawServer serves h on a loopback port and returns its URL.
func newRawServer(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestErrorsNeverHoldTheToken(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusUnauthorized, http.StatusUnprocessableEntity, http.StatusBadGateway} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t, nil)
			srv.AddOrder("ORD1", oms.StatePendingNAVRelease)
			srv.EchoCredentialsNext(status, 1)
			err := c.ReleaseFromNAV(t.Context(), "ORD1", "k")
			require.Error(t, err)
			require.NotContains(t, err.Error(), "tok-123456", "OMS echoed the token; the error must not")
			require.Contains(t, err.Error(), `Authorization "Bearer [REDACTED]" is not valid`)
			var e *oms.Error
			require.ErrorAs(t, err, &e)
			require.NotContains(t, e.Message, "tok-123456")
		})
	}
}
