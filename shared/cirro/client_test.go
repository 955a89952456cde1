package cirro_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/cirro"
	"github.com/popsockets/integration/shared/cirro/cirrotest"
	"github.com/popsockets/integration/shared/fault"
)

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  cirro.Config
		want []string
	}{
		{"NamesEveryMissingSetting", cirro.Config{}, []string{"CIRRO_BASE_URL is not set", "CIRRO_APP_KEY is not set", "CIRRO_APP_TOKEN is not set"}},
		{"RefusesARelativeURL", cirro.Config{BaseURL: "cirro.example.com", AppKey: "k", AppToken: "t"}, []string{"CIRRO_BASE_URL is not an absolute http(s) URL"}},
		{"RefusesNegativeTimeout", cirro.Config{BaseURL: "https://cirro.example.com", AppKey: "k", AppToken: "t", Timeout: -time.Second}, []string{"timeout -1s is negative"}},
		{"RefusesNegativeRate", cirro.Config{BaseURL: "https://cirro.example.com", AppKey: "k", AppToken: "t", RatePerMinute: -1}, []string{"rate -1/min is negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := cirro.New(tt.cfg)
			require.Nil(t, c)
			for _, w := range tt.want {
				require.ErrorContains(t, err, w)
			}
		})
	}
	t.Run("AcceptsAMinimalConfigWithoutIO", func(t *testing.T) {
		t.Parallel()
		c, err := cirro.New(cirro.Config{BaseURL: "https://cirro.invalid/", AppKey: "k", AppToken: "t"})
		require.NoError(t, err)
		require.NotNil(t, c)
	})
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	a := cirro.RequestID("order/create", "ORD225299")
	require.Len(t, a, 32)
	require.Equal(t, a, cirro.RequestID("order/create", "ORD225299"), "a retry sends the same id")
	require.NotEqual(t, a, cirro.RequestID("order/create", "ORD225300"))
	require.NotEqual(t, a, cirro.RequestID("order/create-b2b", "ORD225299"))
	require.Regexp(t, `^[0-9a-f]{32}$`, a)
}

func TestCreateOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("CreatesB2COrder", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		id := cirro.RequestID("order/create", "ORD-1")
		got, err := c.CreateOrder(ctx, id, b2cOrder("ORD-1"))
		require.NoError(t, err)
		require.False(t, got.Duplicate)
		require.NotEmpty(t, got.OrderNo)
		orders := srv.Orders()
		require.Len(t, orders, 1)
		require.Equal(t, id, orders[0].RequestID)
		require.Equal(t, got.OrderNo, orders[0].OrderNo)
		require.False(t, orders[0].B2B)
		require.Equal(t, b2cOrder("ORD-1"), orders[0].Create)
	})

	t.Run("CreatesB2BOrderWithPOAndLabels", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		o := b2bOrder("ORD-2", "PO-778899")
		got, err := c.CreateB2BOrder(ctx, cirro.RequestID("order/create-b2b", "ORD-2"), o)
		require.NoError(t, err)
		require.False(t, got.Duplicate)
		orders := srv.Orders()
		require.Len(t, orders, 1)
		require.True(t, orders[0].B2B)
		require.Equal(t, "PO-778899", orders[0].PONumber)
		require.Equal(t, o.OrderCreate, orders[0].Create)
		require.JSONEq(t, string(o.LabelTemplate), string(orders[0].LabelTemplate))
		require.JSONEq(t, string(o.CartonList), string(orders[0].CartonList))
	})

	t.Run("ReusedRequestIDIsDuplicate", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		id := cirro.RequestID("order/create", "ORD-3")
		first, err := c.CreateOrder(ctx, id, b2cOrder("ORD-3"))
		require.NoError(t, err)
		again, err := c.CreateOrder(ctx, id, b2cOrder("ORD-3"))
		require.NoError(t, err)
		require.Equal(t, cirro.Created{OrderNo: first.OrderNo, Duplicate: true}, again)
		require.Len(t, srv.Orders(), 1)
		require.Equal(t, 2, srv.CreateCalls())
	})

	t.Run("ExistingReferenceNoIsDuplicate", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		first, err := c.CreateOrder(ctx, "id-a", b2cOrder("ORD-4"))
		require.NoError(t, err)
		again, err := c.CreateOrder(ctx, "id-b", b2cOrder("ORD-4"))
		require.NoError(t, err)
		require.Equal(t, cirro.Created{OrderNo: first.OrderNo, Duplicate: true}, again)
		require.Len(t, srv.Orders(), 1)
	})

	t.Run("LostAnswerRetriedIsDuplicate", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, func(cfg *cirro.Config) { cfg.Timeout = time.Second })
		// Get a token in hand; on a loaded machine the first try may time
		// out, and the test then redelivers as the host would.
		var err error
		for range 5 {
			if _, err = c.CreateOrder(ctx, "warm-up", b2cOrder("ORD-5a")); err == nil {
				break
			}
		}
		require.NoError(t, err)
		srv.Delay(time.Minute)
		began := time.Now()
		_, err = c.CreateOrder(ctx, "id-5", b2cOrder("ORD-5"))
		require.Less(t, time.Since(began), 5*time.Second, "bounded by Timeout, not by the fake's delay")
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		srv.Delay(0)
		got, err := c.CreateOrder(ctx, "id-5", b2cOrder("ORD-5"))
		require.NoError(t, err)
		require.True(t, got.Duplicate, "Cirro created the order before the answer was lost")
		require.Len(t, srv.Orders(), 2)
	})

	t.Run("CallerDeadlineIsTransient", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		srv.Delay(time.Minute)
		cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		_, err := c.CreateOrder(cctx, "id-6", b2cOrder("ORD-6"))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	})

	t.Run("ServerErrorsAreTransientAndNotRetriedByTheClient", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		srv.FailNext(500, 2)
		id := cirro.RequestID("order/create", "ORD-7")
		for i := range 2 {
			_, err := c.CreateOrder(ctx, id, b2cOrder("ORD-7"))
			require.Error(t, err, "call %d", i+1)
			require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
			require.ErrorContains(t, err, "HTTP 500")
			require.Equal(t, i+1, srv.CreateCalls(), "one request per call")
		}
		got, err := c.CreateOrder(ctx, id, b2cOrder("ORD-7"))
		require.NoError(t, err)
		require.False(t, got.Duplicate)
		require.Equal(t, 3, srv.CreateCalls())
		require.Len(t, srv.Orders(), 1)
	})

	t.Run("ThrottleIsTransientWithRetryAfter", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		srv.ThrottleNext(7 * time.Second)
		_, err := c.CreateOrder(ctx, "id-8", b2cOrder("ORD-8"))
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		d, ok := fault.RetryAfter(err)
		require.True(t, ok)
		require.Equal(t, 7*time.Second, d)
		require.Empty(t, srv.Orders())
	})

	t.Run("MalformedAnswerIsTransient", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		srv.MalformNext()
		_, err := c.CreateOrder(ctx, "id-9", b2cOrder("ORD-9"))
		require.ErrorContains(t, err, "not Cirro's JSON envelope")
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	})

	t.Run("UnknownShippingMethodIsPermanentWithCirroMessage", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		o := b2cOrder("ORD-10")
		o.ShippingMethod = "PIGEON_POST"
		_, err := c.CreateOrder(ctx, "id-10", o)
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.ErrorContains(t, err, "shipping method PIGEON_POST is invalid")
		var apiErr *cirro.APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, cirro.CodeInvalidShippingMethod, apiErr.Code)
		require.Empty(t, srv.Orders())
	})

	t.Run("MissingRequiredFieldIsPermanent", func(t *testing.T) {
		t.Parallel()
		c, _, _ := pair(t, cirrotest.Config{}, nil)
		o := b2cOrder("ORD-11")
		o.Consignee.Zipcode = ""
		_, err := c.CreateOrder(ctx, "id-11", o)
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.ErrorContains(t, err, "HTTP 400 code 20001: missing required field: consignee.zipcode")
	})

	t.Run("B2BWithoutPONumberIsPermanent", func(t *testing.T) {
		t.Parallel()
		c, _, _ := pair(t, cirrotest.Config{}, nil)
		_, err := c.CreateB2BOrder(ctx, "id-12", b2bOrder("ORD-12", ""))
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.ErrorContains(t, err, "po_number")
	})

	t.Run("UnknownSKUIsPermanent", func(t *testing.T) {
		t.Parallel()
		c, _, _ := pair(t, cirrotest.Config{SKUs: []string{"PS-GRIP-BLK"}}, nil)
		_, err := c.CreateOrder(ctx, "id-13", b2cOrder("ORD-13"))
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.ErrorContains(t, err, "sku PS-MOUNT-WHT does not exist")
	})

	t.Run("InvalidLabelTemplateIsPermanentAndNotSent", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		o := b2bOrder("ORD-14", "PO-1")
		o.LabelTemplate = []byte(`{"ucc_label":`)
		_, err := c.CreateB2BOrder(ctx, "id-14", o)
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.Zero(t, srv.CreateCalls())
	})

	t.Run("EmptyRequestIDIsPermanent", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		_, err := c.CreateOrder(ctx, " ", b2cOrder("ORD-15"))
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.Zero(t, srv.CreateCalls())
	})

	t.Run("CodesDecideTheClass", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			code int
			want fault.Class
		}{
			{cirro.CodeSystemBusy, fault.ClassTransient},
			{cirro.CodeSystemError, fault.ClassTransient},
			{cirro.CodeRateLimited, fault.ClassTransient},
			{cirro.CodeInvalidParameter, fault.ClassPermanent},
			{cirro.CodeUnknownSKU, fault.ClassPermanent},
			{99999, fault.ClassTransient}, // unknown: retried, dead-lettered if it persists
		}
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		for _, tt := range tests {
			srv.RejectNext(tt.code, fmt.Sprintf("told to answer %d", tt.code))
			_, err := c.CreateOrder(ctx, fmt.Sprint("id-code-", tt.code), b2cOrder(fmt.Sprint("ORD-code-", tt.code)))
			require.Equal(t, tt.want, fault.ClassOf(err), "code %d", tt.code)
			require.ErrorContains(t, err, fmt.Sprintf("code %d: told to answer %d", tt.code, tt.code))
		}
		for _, code := range []int{cirro.CodeDuplicateRequest, cirro.CodeReferenceExists} {
			srv.RejectNext(code, "already have it")
			got, err := c.CreateOrder(ctx, fmt.Sprint("id-dup-", code), b2cOrder(fmt.Sprint("ORD-dup-", code)))
			require.NoError(t, err)
			require.True(t, got.Duplicate, "code %d", code)
		}
	})

	t.Run("ErrorsNeverCarryConsigneeData", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		o := b2cOrder("ORD-16")
		srv.RejectNext(cirro.CodeInvalidParameter,
			"address 1 EXAMPLE WAY, Boulder 80301 for Jane Example (jane@example.com, +1 555 0100) is not deliverable")
		_, err := c.CreateOrder(ctx, "id-16", o)
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		msg := err.Error()
		for _, pii := range []string{"Jane", "jane@", "Example Way", "EXAMPLE WAY", "80301", "555 0100", "Boulder"} {
			require.NotContains(t, msg, pii)
		}
		require.Contains(t, msg, "is not deliverable")
		require.Contains(t, msg, "ORD-16", "the OMS order id is not personal data")
	})
}

func TestToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("FetchedOnceForManyCalls", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		for i := range 20 {
			_, err := c.CreateOrder(ctx, fmt.Sprint("id-", i), b2cOrder(fmt.Sprint("ORD-", i)))
			require.NoError(t, err)
		}
		require.Equal(t, 1, srv.TokenCalls())
	})

	t.Run("RefreshedAMinuteBeforeExpiry", func(t *testing.T) {
		t.Parallel()
		c, srv, clock := pair(t, cirrotest.Config{TokenTTL: time.Hour}, nil)
		create := func(n int) {
			t.Helper()
			_, err := c.CreateOrder(ctx, fmt.Sprint("id-", n), b2cOrder(fmt.Sprint("ORD-", n)))
			require.NoError(t, err)
		}
		create(1)
		clock.Advance(58 * time.Minute)
		create(2)
		require.Equal(t, 1, srv.TokenCalls(), "still fresh")
		clock.Advance(90 * time.Second) // 30 s before expired_at
		create(3)
		require.Equal(t, 2, srv.TokenCalls(), "refreshed ahead of expiry")
		require.Equal(t, 3, srv.CreateCalls(), "no call was refused on the way")
		clock.Advance(2 * time.Hour)
		create(4)
		require.Equal(t, 3, srv.TokenCalls())
	})

	t.Run("RevokedTokenIsRefreshedAndTheCallRetriedOnce", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		_, err := c.CreateOrder(ctx, "id-1", b2cOrder("ORD-1"))
		require.NoError(t, err)
		srv.RevokeTokens()
		got, err := c.CreateOrder(ctx, "id-2", b2cOrder("ORD-2"))
		require.NoError(t, err)
		require.False(t, got.Duplicate)
		require.Equal(t, 2, srv.TokenCalls())
		require.Equal(t, 3, srv.CreateCalls(), "one 401, then the retry")
		require.Len(t, srv.Orders(), 2)
	})

	t.Run("RefusedAgainAfterRefreshIsTransientAndSaysCredentials", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		srv.RejectNext(cirro.CodeTokenInvalid, "token invalid")
		srv.RejectNext(cirro.CodeTokenInvalid, "token invalid")
		_, err := c.CreateOrder(ctx, "id-1", b2cOrder("ORD-1"))
		require.ErrorIs(t, err, cirro.ErrCredentials)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		require.ErrorContains(t, err, "may be being rotated")
		require.Equal(t, 2, srv.TokenCalls())
		require.Equal(t, 2, srv.CreateCalls(), "retried once, not more")
	})

	t.Run("WrongAppTokenIsTransientAndSaysCredentials", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, func(cfg *cirro.Config) { cfg.AppToken = "not-the-token" })
		_, err := c.CreateOrder(ctx, "id-1", b2cOrder("ORD-1"))
		require.ErrorIs(t, err, cirro.ErrCredentials)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		require.NotContains(t, err.Error(), "not-the-token", "the fake repeats the app_token it got; the error must not")
		require.NotContains(t, err.Error(), srv.AppKey())
		require.Contains(t, err.Error(), "app_key [REDACTED] or app_token [REDACTED] is incorrect")
		require.Zero(t, srv.CreateCalls())
	})

	t.Run("EchoedAccessTokenIsScrubbed", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		srv.EchoCredentialsNext(http.StatusBadRequest, 1)
		_, err := c.CreateOrder(ctx, "id-1", b2cOrder("ORD-1"))
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.Contains(t, err.Error(), `Authorization "Bearer [REDACTED]" is not valid`)
		require.NotRegexp(t, `[0-9a-f]{32}`, err.Error(), "no access token")
	})

	t.Run("EchoedTokenOnRefusalAfterRefreshIsScrubbed", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		srv.EchoCredentialsNext(http.StatusUnauthorized, 2)
		_, err := c.CreateOrder(ctx, "id-1", b2cOrder("ORD-1"))
		require.ErrorIs(t, err, cirro.ErrCredentials)
		require.Contains(t, err.Error(), `Authorization "Bearer [REDACTED]" is not valid`)
		require.NotRegexp(t, `[0-9a-f]{32}`, err.Error(), "no access token")
		require.Equal(t, 2, srv.TokenCalls())
	})

	t.Run("SlowTokenFetchIsBoundedByTheCaller", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		srv.Delay(time.Minute)
		cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		_, err := c.CreateOrder(cctx, "id-1", b2cOrder("ORD-1"))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	})
}

func TestConcurrentCreatesShareOneToken(t *testing.T) {
	t.Parallel()
	c, srv, _ := pair(t, cirrotest.Config{}, nil)
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			ref := fmt.Sprintf("ORD-%04d", i)
			if _, err := c.CreateOrder(context.Background(), cirro.RequestID("order/create", ref), b2cOrder(ref)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	orders := srv.Orders()
	require.Len(t, orders, n)
	seen := map[string]bool{}
	for _, o := range orders {
		require.False(t, seen[o.OrderNo], "order_no %s given twice", o.OrderNo)
		seen[o.OrderNo] = true
	}
	require.Equal(t, 1, srv.TokenCalls())
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	c, srv, _ := pair(t, cirrotest.Config{}, func(cfg *cirro.Config) { cfg.RatePerMinute = 1 })
	_, err := c.CreateOrder(context.Background(), "id-1", b2cOrder("ORD-1"))
	require.NoError(t, err)
	// The next slot is a minute away: a caller with one second left is told at once.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = c.CreateOrder(ctx, "id-2", b2cOrder("ORD-2"))
	require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	require.ErrorContains(t, err, "1 requests/min")
	require.Equal(t, 1, srv.CreateCalls())
	// The B2B endpoint has its own budget.
	_, err = c.CreateB2BOrder(context.Background(), "id-3", b2bOrder("ORD-3", "PO-3"))
	require.NoError(t, err)
}

func TestLookupOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("FindsTheOrderCreatedBeforeTheAnswerWasLost", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, func(cfg *cirro.Config) { cfg.Timeout = time.Second })
		var err error
		for range 5 { // a token in hand first, as in LostAnswerRetriedIsDuplicate
			if _, err = c.CreateOrder(ctx, "warm-up", b2cOrder("ORD-0")); err == nil {
				break
			}
		}
		require.NoError(t, err)
		srv.Delay(time.Minute)
		_, err = c.CreateOrder(ctx, cirro.RequestID("order/create", "ORD-1"), b2cOrder("ORD-1"))
		require.ErrorIs(t, err, context.DeadlineExceeded, "the outcome is unknown")
		srv.Delay(0)

		got, found, err := c.LookupOrder(ctx, "ORD-1")
		require.NoError(t, err)
		require.True(t, found)
		orders := srv.Orders()
		require.Len(t, orders, 2)
		require.Equal(t, cirro.Created{OrderNo: orders[1].OrderNo, Duplicate: true}, got, "Cirro's real order number")
		again, found, err := c.LookupOrder(ctx, "ORD-1")
		require.NoError(t, err, "a lookup's request_id is fresh each time")
		require.True(t, found)
		require.Equal(t, got, again)
		require.Equal(t, 2, srv.LookupCalls())
		require.Len(t, srv.Orders(), 2, "a lookup creates nothing")
	})

	t.Run("FindsB2BOrdersToo", func(t *testing.T) {
		t.Parallel()
		c, _, _ := pair(t, cirrotest.Config{}, nil)
		created, err := c.CreateB2BOrder(ctx, "id-b2b", b2bOrder("ORD-2", "PO-2"))
		require.NoError(t, err)
		got, found, err := c.LookupOrder(ctx, "ORD-2")
		require.NoError(t, err)
		require.True(t, found)
		require.Equal(t, created.OrderNo, got.OrderNo)
	})

	t.Run("UnknownReferenceIsNotFoundWithoutError", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		got, found, err := c.LookupOrder(ctx, "ORD-NONE")
		require.NoError(t, err)
		require.False(t, found)
		require.Zero(t, got)
		created, err := c.CreateOrder(ctx, "id-3", b2cOrder("ORD-NONE"))
		require.NoError(t, err, "so the caller creates it")
		require.False(t, created.Duplicate)
		require.Len(t, srv.Orders(), 1)
	})

	t.Run("EmptyReferenceIsPermanentWithoutACall", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		_, _, err := c.LookupOrder(ctx, " ")
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.Zero(t, srv.LookupCalls())
		require.Zero(t, srv.TokenCalls())
	})

	t.Run("FailuresAreClassifiedAsCreatesAre", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)

		srv.FailNext(http.StatusBadGateway, 1)
		_, found, err := c.LookupOrder(ctx, "ORD-4")
		require.False(t, found)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		require.ErrorContains(t, err, "looking up Cirro order ORD-4: cirro answered HTTP 502")

		srv.ThrottleNext(3 * time.Second)
		_, _, err = c.LookupOrder(ctx, "ORD-4")
		d, ok := fault.RetryAfter(err)
		require.True(t, ok)
		require.Equal(t, 3*time.Second, d)

		srv.RejectNext(cirro.CodeInvalidParameter, "reference_no is malformed")
		_, _, err = c.LookupOrder(ctx, "ORD-4")
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.ErrorContains(t, err, "reference_no is malformed")

		srv.RejectNext(cirro.CodeSystemBusy, "system busy")
		_, _, err = c.LookupOrder(ctx, "ORD-4")
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))

		srv.MalformNext()
		_, _, err = c.LookupOrder(ctx, "ORD-4")
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))

		srv.RejectNext(cirro.CodeDuplicateRequest, "request_id has already been used")
		_, found, err = c.LookupOrder(ctx, "ORD-4")
		require.False(t, found)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err), "a random id cannot repeat: retry")

		srv.EchoCredentialsNext(http.StatusBadRequest, 1)
		_, _, err = c.LookupOrder(ctx, "ORD-4")
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.NotRegexp(t, `[0-9a-f]{32}`, err.Error(), "no access token")
	})

	t.Run("RevokedTokenIsRefreshedOnce", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		_, err := c.CreateOrder(ctx, "id-5", b2cOrder("ORD-5"))
		require.NoError(t, err)
		srv.RevokeTokens()
		_, found, err := c.LookupOrder(ctx, "ORD-5")
		require.NoError(t, err)
		require.True(t, found)
		require.Equal(t, 2, srv.TokenCalls())
		require.Equal(t, 2, srv.LookupCalls(), "one 401, then the retry")
	})

	t.Run("ANotFoundAnswerToACreateIsTransient", func(t *testing.T) {
		t.Parallel()
		c, srv, _ := pair(t, cirrotest.Config{}, nil)
		srv.RejectNext(cirro.CodeOrderNotFound, "order does not exist")
		_, err := c.CreateOrder(ctx, "id-6", b2cOrder("ORD-6"))
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		require.ErrorContains(t, err, "code 20006: order does not exist")
	})
}
