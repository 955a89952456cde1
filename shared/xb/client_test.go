package xb_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/xb"
	"github.com/popsockets/integration/shared/xb/xbtest"
)

func setup(t *testing.T, mod func(*xb.Config)) (*xb.Client, *xbtest.Server) {
	t.Helper()
	srv := xbtest.NewServer(xbtest.Config{APIKey: "xb-key-123456"})
	t.Cleanup(srv.Close)
	cfg := xb.Config{BaseURL: srv.URL(), APIKey: "xb-key-123456", Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := xb.New(cfg)
	require.NoError(t, err)
	return c, srv
}

func order(no string) xb.Order {
	return xb.Order{
		OrderNo: no,
		ShipTo: xb.ShipTo{
			Name: "Wen Li", Phone: "+86 21 5555 0188", Email: "wen.li@example.com",
			Line1: "88 Century Avenue", Line2: "Floor 12", City: "Shanghai", Region: "SH", PostalCode: "200120", Country: "CN",
		},
		Lines:      []xb.Line{{SKU: "PS-GRIP-BLK", Qty: 2}, {SKU: "PS-MAGSAFE-SAGE", Qty: 1}},
		ShipMethod: xb.ShipMethodStandard,
		Reference:  "#10452",
	}
}

func TestNewNamesTheMissingSetting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  xb.Config
		want string
	}{
		{"NoBaseURL", xb.Config{APIKey: "k"}, "XB_BASE_URL is not set"},
		{"RelativeBaseURL", xb.Config{BaseURL: "/orders", APIKey: "k"}, "XB_BASE_URL is not an absolute"},
		{"NoAPIKey", xb.Config{BaseURL: "https://xb.example.com"}, "XB_API_KEY is not set"},
		{"NegativeTimeout", xb.Config{BaseURL: "https://xb.example.com", APIKey: "k", Timeout: -1}, "timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := xb.New(tc.cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestCreateOrder(t *testing.T) {
	t.Parallel()
	t.Run("NewOrderIsCreatedWithTheContract", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		got, err := c.CreateOrder(t.Context(), order("ORD1"), "msg-1")
		require.NoError(t, err)
		require.Equal(t, xb.Created{OrderNo: "ORD1"}, got)
		require.Equal(t, []xbtest.Received{{Order: order("ORD1"), IdempotencyKey: "msg-1"}}, srv.Orders())
		calls := srv.Calls()
		require.Len(t, calls, 1)
		require.Equal(t, "POST /orders msg-1 201", calls[0].Method+" "+calls[0].Path+" "+calls[0].IdempotencyKey+" "+itoa(calls[0].Status))
		require.JSONEq(t, `{"orderNo":"ORD1","shipTo":{"name":"Wen Li","phone":"+86 21 5555 0188","email":"wen.li@example.com",
			"line1":"88 Century Avenue","line2":"Floor 12","city":"Shanghai","region":"SH","postalCode":"200120","country":"CN"},
			"lines":[{"sku":"PS-GRIP-BLK","qty":2},{"sku":"PS-MAGSAFE-SAGE","qty":1}],"shipMethod":"STANDARD","reference":"#10452"}`,
			string(calls[0].Body))
	})
	t.Run("ReplayOfTheKeyIsADuplicateWithOneOrder", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		_, err := c.CreateOrder(t.Context(), order("ORD1"), "msg-1")
		require.NoError(t, err)
		got, err := c.CreateOrder(t.Context(), order("ORD1"), "msg-1")
		require.NoError(t, err)
		require.Equal(t, xb.Created{OrderNo: "ORD1", Duplicate: true}, got)
		require.Len(t, srv.Orders(), 1)
		require.Equal(t, http.StatusOK, srv.Calls()[1].Status)
	})
	t.Run("OrderNoUnderAnotherKeyIsADuplicate", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		_, err := c.CreateOrder(t.Context(), order("ORD1"), "msg-1")
		require.NoError(t, err)
		got, err := c.CreateOrder(t.Context(), order("ORD1"), "msg-2")
		require.NoError(t, err)
		require.Equal(t, xb.Created{OrderNo: "ORD1", Duplicate: true}, got)
		require.Len(t, srv.Orders(), 1)
		require.Equal(t, http.StatusConflict, srv.Calls()[1].Status)
	})
	t.Run("KeyReusedForAnotherOrderIsPermanent", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		_, err := c.CreateOrder(t.Context(), order("ORD1"), "msg-1")
		require.NoError(t, err)
		_, err = c.CreateOrder(t.Context(), order("ORD2"), "msg-1")
		require.ErrorIs(t, err, fault.ErrPermanent)
		require.ErrorContains(t, err, xb.CodeIdempotencyKeyReused)
		require.Len(t, srv.Orders(), 1)
	})
	t.Run("UnknownShipMethodIsPermanent", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		o := order("ORD1")
		o.ShipMethod = "2DAY"
		_, err := c.CreateOrder(t.Context(), o, "msg-1")
		require.ErrorIs(t, err, fault.ErrPermanent)
		var xe *xb.Error
		require.ErrorAs(t, err, &xe)
		require.Equal(t, xb.CodeInvalidShipMethod, xe.Code)
		require.Contains(t, xe.Message, `"2DAY"`)
		require.Empty(t, srv.Orders())
	})
	t.Run("RetryAfterAToldFailureCreatesOnce", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, nil)
		srv.FailNext(http.StatusInternalServerError, 2)
		for range 2 {
			_, err := c.CreateOrder(t.Context(), order("ORD1"), "msg-1")
			require.ErrorIs(t, err, fault.ErrTransient)
		}
		got, err := c.CreateOrder(t.Context(), order("ORD1"), "msg-1")
		require.NoError(t, err)
		require.False(t, got.Duplicate)
		require.Len(t, srv.Orders(), 1)
	})
}

func TestFailuresAreClassified(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		prepare   func(*xbtest.Server)
		config    func(*xb.Config)
		class     error
		retry     time.Duration
		message   string
		forbidden []string
	}{
		{name: "ServerErrorIsTransient", prepare: func(s *xbtest.Server) { s.FailNext(502, 1) }, class: fault.ErrTransient, message: "XB answered 502"},
		{name: "TooManyRequestsIsTransientWithRetryAfter", prepare: func(s *xbtest.Server) { s.FailNext(429, 1) }, class: fault.ErrTransient, retry: time.Second},
		{name: "WrongKeyIsTransientCredentialsRefused", config: func(c *xb.Config) { c.APIKey = "old-key-rotated" },
			class: fault.ErrTransient, message: "credentials refused", forbidden: []string{"old-key-rotated"}},
		{name: "ForbiddenIsTransientCredentialsRefused", prepare: func(s *xbtest.Server) { s.RejectNext(403, `{}`) }, class: fault.ErrTransient, message: "credentials refused"},
		{name: "ValidationIsPermanentWithoutPersonalData", prepare: func(s *xbtest.Server) {
			s.RejectNext(422, `{"code":"validation_failed","message":"postalCode 200120 does not match city Shanghai for Wen Li","details":["line1 88 Century Avenue unknown"]}`)
		}, class: fault.ErrPermanent, message: "does not match city Shanghai", forbidden: []string{"200120", "Wen Li", "88 Century Avenue"}},
		{name: "BadRequestIsPermanent", prepare: func(s *xbtest.Server) { s.RejectNext(400, `oops`) }, class: fault.ErrPermanent, message: "XB answered 400"},
		{name: "OtherConflictIsPermanent", prepare: func(s *xbtest.Server) {
			s.RejectNext(409, `{"code":"order_cancelled","message":"order was cancelled"}`)
		},
			class: fault.ErrPermanent, message: "order was cancelled"},
		{name: "TimeoutIsTransient", prepare: func(s *xbtest.Server) { s.Delay(time.Minute) },
			config: func(c *xb.Config) { c.Timeout = 50 * time.Millisecond }, class: fault.ErrTransient, message: "did not answer within 50ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t, tc.config)
			if tc.prepare != nil {
				tc.prepare(srv)
			}
			_, err := c.CreateOrder(t.Context(), order("ORD1"), "msg-1")
			require.ErrorIs(t, err, tc.class)
			require.Empty(t, srv.Orders())
			if tc.message != "" {
				require.ErrorContains(t, err, tc.message)
			}
			for _, f := range tc.forbidden {
				require.NotContains(t, err.Error(), f)
			}
			got, ok := fault.RetryAfter(err)
			require.Equal(t, tc.retry > 0, ok)
			require.Equal(t, tc.retry, got)
		})
	}
	t.Run("ConnectionRefusedIsTransient", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := l.Addr().String()
		require.NoError(t, l.Close())
		c, err := xb.New(xb.Config{BaseURL: "http://" + addr, APIKey: "k"})
		require.NoError(t, err)
		_, err = c.CreateOrder(t.Context(), order("ORD1"), "msg-1")
		require.ErrorIs(t, err, fault.ErrTransient)
	})
	t.Run("CallerCancellationIsTransient", func(t *testing.T) {
		t.Parallel()
		c, _ := setup(t, nil)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := c.CreateOrder(ctx, order("ORD1"), "msg-1")
		require.ErrorIs(t, err, fault.ErrTransient)
	})
	t.Run("ConflictWithoutCodeIsADuplicate", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusConflict)
		}))
		t.Cleanup(srv.Close)
		c, err := xb.New(xb.Config{BaseURL: srv.URL, APIKey: "k"})
		require.NoError(t, err)
		got, err := c.CreateOrder(t.Context(), order("ORD1"), "msg-1")
		require.NoError(t, err)
		require.Equal(t, xb.Created{OrderNo: "ORD1", Duplicate: true}, got)
	})
}

func TestOrderIsCheckedBeforeIO(t *testing.T) {
	t.Parallel()
	c, srv := setup(t, nil)
	for name, mod := range map[string]func(*xb.Order){
		"NoOrderNo":    func(o *xb.Order) { o.OrderNo = "" },
		"NoName":       func(o *xb.Order) { o.ShipTo.Name = "" },
		"NoCountry":    func(o *xb.Order) { o.ShipTo.Country = "" },
		"NoShipMethod": func(o *xb.Order) { o.ShipMethod = "" },
		"NoLines":      func(o *xb.Order) { o.Lines = nil },
		"ZeroQuantity": func(o *xb.Order) { o.Lines[0].Qty = 0 },
	} {
		t.Run(name, func(t *testing.T) {
			o := order("ORD1")
			mod(&o)
			_, err := c.CreateOrder(t.Context(), o, "msg-1")
			require.ErrorIs(t, err, fault.ErrPermanent)
			require.NotContains(t, err.Error(), "Wen Li")
		})
	}
	t.Run("NoIdempotencyKey", func(t *testing.T) {
		_, err := c.CreateOrder(t.Context(), order("ORD1"), "")
		require.ErrorIs(t, err, fault.ErrPermanent)
		require.ErrorContains(t, err, "idempotency key")
	})
	require.Empty(t, srv.Calls())
}

func TestFakeValidates(t *testing.T) {
	t.Parallel()
	srv := xbtest.NewServer(xbtest.Config{ShipMethods: []string{"SF-EXPRESS"}})
	t.Cleanup(srv.Close)
	post := func(key, apiKey, body string) int {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL()+xb.PathOrders, stringsReader(body))
		require.NoError(t, err)
		req.Header.Set(xb.HeaderAPIKey, apiKey)
		if key != "" {
			req.Header.Set(xb.HeaderIdempotencyKey, key)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		return resp.StatusCode
	}
	require.Equal(t, http.StatusUnauthorized, post("k", "wrong", `{}`))
	require.Equal(t, http.StatusBadRequest, post("", srv.APIKey(), `{}`))
	require.Equal(t, http.StatusUnprocessableEntity, post("k1", srv.APIKey(), `{"orderNo":"A"}`))
	ok := `{"orderNo":"A","shipTo":{"name":"n","line1":"l","city":"c","country":"CN"},"lines":[{"sku":"s","qty":1}],"shipMethod":"SF-EXPRESS"}`
	require.Equal(t, http.StatusCreated, post("k2", srv.APIKey(), ok))
	require.Equal(t, http.StatusOK, post("k2", srv.APIKey(), ok))
	require.Len(t, srv.Orders(), 1)
}

func itoa(i int) string { return strconv.Itoa(i) }

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

func TestErrorsNeverHoldTheAPIKey(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusUnauthorized, http.StatusUnprocessableEntity, http.StatusBadGateway} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t, nil)
			srv.EchoCredentialsNext(status, 1)
			_, err := c.CreateOrder(t.Context(), order("ORD1"), "msg-1")
			require.Error(t, err)
			require.NotContains(t, err.Error(), "xb-key-123456", "XB echoed the key; the error must not")
			require.Contains(t, err.Error(), `X-Api-Key "[REDACTED]" is not valid`)
			require.Empty(t, srv.Orders())
		})
	}
}
