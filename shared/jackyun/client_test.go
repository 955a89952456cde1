package jackyun_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/jackyun"
	"github.com/popsockets/integration/shared/jackyun/jackyuntest"
)

var chinaNoon = time.Date(2026, 3, 2, 4, 0, 0, 0, time.UTC) // 12:00 in China

func setup(t *testing.T, cfg jackyuntest.Config, method string) (*jackyuntest.Server, *jackyun.Client) {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return chinaNoon }
	}
	f := jackyuntest.NewServer(cfg)
	t.Cleanup(f.Close)
	c, err := jackyun.New(jackyun.Config{URL: f.URL(), AppKey: f.AppKey(), Secret: f.Secret(), SignMethod: method, Now: cfg.Now})
	require.NoError(t, err)
	return f, c
}

func listAll(t *testing.T, c *jackyun.Client, q jackyun.TradeQuery) ([]jackyun.RawTrade, int) {
	t.Helper()
	var all []jackyun.RawTrade
	pages := 0
	for {
		page, err := c.ListTrades(context.Background(), q)
		require.NoError(t, err)
		pages++
		all = append(all, page.Trades...)
		if len(page.Trades) < q.PageSize || len(page.Trades) == 0 {
			return all, pages
		}
		q.ScrollID = page.ScrollID
	}
}

func TestListTrades(t *testing.T) {
	t.Parallel()
	for _, method := range []string{jackyun.SignHMACSHA256, jackyun.SignMD5} {
		t.Run("PagesWithTheScrollIDUntilAShortPage/"+method, func(t *testing.T) {
			t.Parallel()
			f, c := setup(t, jackyuntest.Config{Data: jackyuntest.DataAlternate, SignMethod: method}, method)
			samples := jackyuntest.SampleOrders(450, 1, chinaNoon.Add(-50*time.Minute), 5*time.Second, 30)
			f.AddSamples(samples)
			from, to := chinaNoon.Add(-time.Hour), chinaNoon.Add(-time.Minute)
			got, pages := listAll(t, c, jackyun.TradeQuery{From: from, To: to, PageSize: 200})
			require.Equal(t, 3, pages, "200 + 200 + 50")
			require.Len(t, got, 450)
			for i, tr := range got {
				require.Equal(t, samples[i].TradeNo, tr.TradeNo, "in modification order, PascalCase or not")
				require.JSONEq(t, string(samples[i].Raw), string(tr.Raw), "the order is returned as sent")
			}
			w := f.Windows()
			require.Len(t, w, 1)
			require.Equal(t, "2026-03-02 11:00:00", w[0].Start, "the window is written in China time")
			require.Equal(t, "2026-03-02 11:59:00", w[0].End)
		})
	}
	t.Run("DataAsAJSONStringReadsLikeAnObject", func(t *testing.T) {
		t.Parallel()
		f, c := setup(t, jackyuntest.Config{Data: jackyuntest.DataString}, "")
		f.AddSamples(jackyuntest.SampleOrders(3, 2, chinaNoon.Add(-10*time.Minute), time.Second, 50))
		page, err := c.ListTrades(context.Background(), jackyun.TradeQuery{From: chinaNoon.Add(-time.Hour), To: chinaNoon.Add(-time.Minute)})
		require.NoError(t, err)
		require.Len(t, page.Trades, 3)
		require.Equal(t, 3, page.Total)
	})
	t.Run("ARefusalInsideHTTP200IsAnErrorNeverAnEmptyPage", func(t *testing.T) {
		t.Parallel()
		f, c := setup(t, jackyuntest.Config{}, "")
		f.AddSamples(jackyuntest.SampleOrders(3, 3, chinaNoon.Add(-10*time.Minute), time.Second, 50))
		q := jackyun.TradeQuery{From: chinaNoon.Add(-time.Hour), To: chinaNoon.Add(-time.Minute)}

		f.RefuseNext(500, "isp.service-busy", "system busy", 1)
		_, err := c.ListTrades(context.Background(), q)
		var je *jackyun.Error
		require.ErrorAs(t, err, &je)
		require.Equal(t, "500", je.Code)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err), "a busy service is worth a retry")

		f.RefuseNext(400, "isv.invalid-parameter", "fields has an unknown field", 1)
		_, err = c.ListTrades(context.Background(), q)
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err), "a refused parameter stays refused")
		require.ErrorContains(t, err, "fields has an unknown field")

		f.RouterErrorNext("7", "isp.call-limited", "App Call Limited")
		_, err = c.ListTrades(context.Background(), q)
		require.ErrorAs(t, err, &je)
		require.True(t, je.Router)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))

		page, err := c.ListTrades(context.Background(), q)
		require.NoError(t, err, "the next call succeeds")
		require.Len(t, page.Trades, 3)
	})
	t.Run("HTTPFailuresAreTransient", func(t *testing.T) {
		t.Parallel()
		f, c := setup(t, jackyuntest.Config{}, "")
		f.FailNext(http.StatusBadGateway, 1)
		_, err := c.ListTrades(context.Background(), jackyun.TradeQuery{From: chinaNoon.Add(-time.Hour), To: chinaNoon.Add(-time.Minute)})
		require.Error(t, err)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	})
	t.Run("AWrongSecretIsRefusedAsCredentialsAndNeverRepeated", func(t *testing.T) {
		t.Parallel()
		f, _ := setup(t, jackyuntest.Config{}, "")
		c, err := jackyun.New(jackyun.Config{URL: f.URL(), AppKey: f.AppKey(), Secret: "not-the-secret-at-all", Now: func() time.Time { return chinaNoon }})
		require.NoError(t, err)
		_, err = c.ListTrades(context.Background(), jackyun.TradeQuery{From: chinaNoon.Add(-time.Hour), To: chinaNoon.Add(-time.Minute)})
		require.ErrorContains(t, err, "credentials refused")
		require.ErrorContains(t, err, "invalid signature")
		require.NotContains(t, err.Error(), "not-the-secret-at-all")
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	})
	t.Run("TheSignMethodTheRouterExpectsIsTheOneSent", func(t *testing.T) {
		t.Parallel()
		f, _ := setup(t, jackyuntest.Config{SignMethod: jackyun.SignHMACSHA256}, "")
		c, err := jackyun.New(jackyun.Config{URL: f.URL(), AppKey: f.AppKey(), Secret: f.Secret(), SignMethod: jackyun.SignMD5,
			Now: func() time.Time { return chinaNoon }})
		require.NoError(t, err)
		_, err = c.ListTrades(context.Background(), jackyun.TradeQuery{From: chinaNoon.Add(-time.Hour), To: chinaNoon.Add(-time.Minute)})
		require.ErrorContains(t, err, "sign_method must be hmac-sha256")
	})
	t.Run("ATimestampFarFromChinaTimeIsRefused", func(t *testing.T) {
		t.Parallel()
		f, _ := setup(t, jackyuntest.Config{}, "")
		skewed := func() time.Time { return chinaNoon.Add(20 * time.Minute) }
		c, err := jackyun.New(jackyun.Config{URL: f.URL(), AppKey: f.AppKey(), Secret: f.Secret(), Now: skewed})
		require.NoError(t, err)
		_, err = c.ListTrades(context.Background(), jackyun.TradeQuery{From: chinaNoon.Add(-time.Hour), To: chinaNoon.Add(-time.Minute)})
		require.ErrorContains(t, err, "timestamp")
	})
	t.Run("AWindowInTheFutureIsRefusedByTheFake", func(t *testing.T) {
		t.Parallel()
		_, c := setup(t, jackyuntest.Config{}, "")
		_, err := c.ListTrades(context.Background(), jackyun.TradeQuery{From: chinaNoon.Add(-time.Hour), To: chinaNoon.Add(time.Hour)})
		require.ErrorContains(t, err, "is in the future")
	})
	t.Run("BadQueriesAreRefusedBeforeAnyCall", func(t *testing.T) {
		t.Parallel()
		f, c := setup(t, jackyuntest.Config{}, "")
		_, err := c.ListTrades(context.Background(), jackyun.TradeQuery{From: chinaNoon, To: chinaNoon.Add(-time.Hour)})
		require.ErrorContains(t, err, "empty or inverted")
		_, err = c.ListTrades(context.Background(), jackyun.TradeQuery{From: chinaNoon.Add(-time.Hour), To: chinaNoon, PageSize: 201})
		require.ErrorContains(t, err, "over its limit")
		require.Empty(t, f.Calls())
	})
	t.Run("GetTradeFindsOneOrderOrSaysItIsNotThere", func(t *testing.T) {
		t.Parallel()
		f, c := setup(t, jackyuntest.Config{}, "")
		s := jackyuntest.SampleOrders(2, 4, chinaNoon.Add(-10*time.Minute), time.Second, 100)
		f.AddSamples(s)
		got, err := c.GetTrade(context.Background(), s[1].TradeNo)
		require.NoError(t, err)
		require.Equal(t, s[1].TradeNo, got.TradeNo)
		_, err = c.GetTrade(context.Background(), "JY-NOPE")
		require.ErrorIs(t, err, jackyun.ErrTradeNotFound)
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
	})
}

func TestSyncGoods(t *testing.T) {
	t.Parallel()
	f, c := setup(t, jackyuntest.Config{}, "")
	g := jackyun.Goods{GoodsNo: "PS-GRIP-BLK", GoodsName: "Grip, Black", Category: "Grips", Unit: "each", Revision: "B",
		Attributes: map[string]string{"color": "black"}}
	got, err := c.SyncGoods(context.Background(), g)
	require.NoError(t, err)
	require.True(t, got.Created)
	got, err = c.SyncGoods(context.Background(), g)
	require.NoError(t, err)
	require.False(t, got.Created, "an upsert: the second call updates")
	held, ok := f.Goods("PS-GRIP-BLK")
	require.True(t, ok)
	require.Equal(t, "B", held.Revision)
	require.Equal(t, map[string]string{"color": "black"}, held.Attributes)

	f.RefuseGoods("PS-GRIP-BLK", "goods category Grips is not set up for KH")
	_, err = c.SyncGoods(context.Background(), g)
	require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
	require.ErrorContains(t, err, "not set up for KH")

	_, err = c.SyncGoods(context.Background(), jackyun.Goods{GoodsNo: "X"})
	require.ErrorContains(t, err, "no name")
}

func TestNewNamesWhatIsMissing(t *testing.T) {
	t.Parallel()
	_, err := jackyun.New(jackyun.Config{SignMethod: "sha1"})
	for _, want := range []string{"JACKYUN_URL is not set", "JACKYUN_APP_KEY is not set", "JACKYUN_APP_SECRET is not set", "JACKYUN_SIGN_METHOD"} {
		require.ErrorContains(t, err, want)
	}
	_, err = jackyun.New(jackyun.Config{Setting: "PRODUCT_JACKYUN_APP_SECRET"})
	require.ErrorContains(t, err, "PRODUCT_JACKYUN_URL is not set")
	require.ErrorContains(t, err, "PRODUCT_JACKYUN_APP_SECRET is not set")
}

func TestDecodeTrade(t *testing.T) {
	t.Parallel()
	s := jackyuntest.SampleOrders(7, 5, chinaNoon, time.Second, 100)
	for _, smp := range s {
		tr, err := jackyun.DecodeTrade(smp.Raw)
		require.NoError(t, err)
		require.Equal(t, smp.TradeNo, tr.TradeNo, "camelCase and PascalCase keys")
		require.Equal(t, smp.OrderNo, tr.OrderNo)
		require.Len(t, tr.GoodsDetail, smp.Lines)
	}
	_, err := jackyun.DecodeTrade([]byte(`{"orderNo":"X"}`))
	require.ErrorIs(t, err, jackyun.ErrNoTradeNo)
	require.Equal(t, fault.ClassMalformed, fault.ClassOf(err))
	_, err = jackyun.DecodeTrade([]byte(`{"tradeNo":"JY1","goodsDetail":[{"sellCount":{}}]}`))
	require.Equal(t, fault.ClassMalformed, fault.ClassOf(err))
}

func TestNum(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in       jackyun.Num
		whole    int
		minor    int64
		wholeErr bool
		minorErr bool
	}{
		{in: "", whole: 0, minor: 0},
		{in: "3", whole: 3, minor: 300},
		{in: "3.0", whole: 3, minor: 300},
		{in: "12.5", wholeErr: true, minor: 1250},
		{in: "12.50", wholeErr: true, minor: 1250},
		{in: "0.05", wholeErr: true, minor: 5},
		{in: ".5", wholeErr: true, minor: 50},
		{in: "1.2300", wholeErr: true, minor: 123},
		{in: "1.234", wholeErr: true, minorErr: true},
		{in: "-2.10", wholeErr: true, minor: -210},
		{in: "abc", wholeErr: true, minorErr: true},
	}
	for _, c := range cases {
		w, err := c.in.Int()
		if c.wholeErr {
			require.Error(t, err, string(c.in))
		} else {
			require.NoError(t, err, string(c.in))
			require.Equal(t, c.whole, w, string(c.in))
		}
		m, err := c.in.Minor()
		if c.minorErr {
			require.Error(t, err, string(c.in))
		} else {
			require.NoError(t, err, string(c.in))
			require.Equal(t, c.minor, m, string(c.in))
		}
	}
}

func TestErrorsNeverHoldTheSecret(t *testing.T) {
	t.Parallel()
	f, c := setup(t, jackyuntest.Config{}, "")
	f.RefuseNext(400, "isv.x", "you sent "+f.Secret(), 1)
	_, err := c.ListTrades(context.Background(), jackyun.TradeQuery{From: chinaNoon.Add(-time.Hour), To: chinaNoon.Add(-time.Minute)})
	require.Error(t, err)
	require.False(t, strings.Contains(err.Error(), f.Secret()), err.Error())
	require.True(t, errors.Is(err, fault.ErrPermanent))
}
