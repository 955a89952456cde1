package jackyun

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The vectors below were worked out by hand from the published algorithm:
// the string to sign is written out literally (parameters sorted by name,
// name then value, empty ones left out, sign left out), then hashed with
// the standard primitives outside Go (md5sum; openssl dgst -sha256 -hmac),
// and the digests pasted here.
func TestSignMatchesHandWorkedVectors(t *testing.T) {
	t.Parallel()
	list := func(signMethod string) url.Values {
		return url.Values{
			"method": {MethodTradeList}, "timestamp": {"2026-03-02 22:00:00"}, "format": {"json"}, "app_key": {"testkey"},
			"v": {"2.0"}, "sign_method": {signMethod}, "pageSize": {"2"}, "tradeStatus": {"4112"},
			"scrollId": {""},             // empty: neither signed nor sent
			"sign":     {"IGNORED-SIGN"}, // never part of its own input
		}
	}
	goods := func(signMethod string) url.Values {
		return url.Values{
			"method": {MethodGoodsSync}, "timestamp": {"2026-01-01 00:00:00"}, "format": {"json"}, "app_key": {"k"},
			"v": {"2.0"}, "sign_method": {signMethod}, "customerId": {"C1"}, "goodsNo": {"PS-1"}, "goodsName": {"手机支架"},
		}
	}
	cases := []struct {
		name, method string
		params       url.Values
		toSign       string
		want         string
	}{
		{
			name: "MD5OrderListWrapsTheSortedPairsInTheSecret", method: SignMD5, params: list(SignMD5),
			toSign: "app_keytestkeyformatjsonmethodjackyun.tradenotsensitiveinfos.list.getpageSize2sign_methodmd5" +
				"timestamp2026-03-02 22:00:00tradeStatus4112v2.0",
			want: "8F08DDA33DD2C7543B381021692DDE37",
		},
		{
			name: "HMACSHA256OrderListKeysTheSortedPairsWithTheSecret", method: SignHMACSHA256, params: list(SignHMACSHA256),
			toSign: "app_keytestkeyformatjsonmethodjackyun.tradenotsensitiveinfos.list.getpageSize2sign_methodhmac-sha256" +
				"timestamp2026-03-02 22:00:00tradeStatus4112v2.0",
			want: "CDF4D139C2BFDEF58D55179D90B7F8EDC9DA93F879F8C5722B9104338BBEC753",
		},
		{
			// goodsName sorts before goodsNo ('a' < 'o'); Chinese text is hashed as UTF-8 bytes.
			name: "MD5GoodsSyncSortsByBytesAndHashesUTF8", method: SignMD5, params: goods(SignMD5),
			toSign: "app_keykcustomerIdC1formatjsongoodsName手机支架goodsNoPS-1methodjackyun.goods.syncsign_methodmd5" +
				"timestamp2026-01-01 00:00:00v2.0",
			want: "D21B1F2CFAE663D71FA84B179511F7DE",
		},
		{
			name: "HMACSHA256GoodsSyncSortsByBytesAndHashesUTF8", method: SignHMACSHA256, params: goods(SignHMACSHA256),
			toSign: "app_keykcustomerIdC1formatjsongoodsName手机支架goodsNoPS-1methodjackyun.goods.syncsign_methodhmac-sha256" +
				"timestamp2026-01-01 00:00:00v2.0",
			want: "E440AD45A0AD7FFEC6E1D9E8F7AD23F767AE7F79240A4D41098D29E77FEF844A",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, c.toSign, StringToSign(c.params))
			got, err := Sign(c.method, "s3cret", c.params)
			require.NoError(t, err)
			require.Equal(t, c.want, got)

			// The same digest from the primitives, spelled out.
			var again string
			if c.method == SignMD5 {
				sum := md5.Sum([]byte("s3cret" + c.toSign + "s3cret"))
				again = strings.ToUpper(hex.EncodeToString(sum[:]))
			} else {
				m := hmac.New(sha256.New, []byte("s3cret"))
				m.Write([]byte(c.toSign))
				again = strings.ToUpper(hex.EncodeToString(m.Sum(nil)))
			}
			require.Equal(t, c.want, again)

			signed := c.params
			signed.Set(ParamSign, got)
			require.NoError(t, Verify("s3cret", signed))
			signed.Set(ParamSign, strings.ToLower(got))
			require.NoError(t, Verify("s3cret", signed), "hex case does not matter")
		})
	}
}

// The primitives themselves against their published test vectors (RFC 1321
// for MD5, the well-known "quick brown fox" HMAC-SHA256 example), so that a
// vector above can only fail for the string to sign.
func TestSignPrimitivesMatchPublishedVectors(t *testing.T) {
	t.Parallel()
	sum := md5.Sum([]byte("abc"))
	require.Equal(t, "900150983cd24fb0d6963f7d28e17f72", hex.EncodeToString(sum[:]))
	m := hmac.New(sha256.New, []byte("key"))
	m.Write([]byte("The quick brown fox jumps over the lazy dog"))
	require.Equal(t, "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8", hex.EncodeToString(m.Sum(nil)))
}

func TestVerifyRefusesWhatWasNotSignedWithTheSecret(t *testing.T) {
	t.Parallel()
	p := url.Values{"method": {MethodTradeList}, "sign_method": {SignHMACSHA256}, "app_key": {"k"}, "pageSize": {"200"}}
	sign, err := Sign(SignHMACSHA256, "right", p)
	require.NoError(t, err)
	p.Set(ParamSign, sign)
	require.NoError(t, Verify("right", p))
	require.Error(t, Verify("wrong", p), "another secret")

	tampered := url.Values{}
	for k, v := range p {
		tampered[k] = v
	}
	tampered.Set("pageSize", "199")
	require.Error(t, Verify("right", tampered), "a changed parameter")

	md5Claimed := url.Values{}
	for k, v := range p {
		md5Claimed[k] = v
	}
	md5Claimed.Set(ParamSignMethod, SignMD5)
	require.Error(t, Verify("right", md5Claimed), "an HMAC signature presented as md5")

	delete(p, ParamSign)
	require.ErrorContains(t, Verify("right", p), "no sign")
	_, err = Sign("sha1", "right", p)
	require.ErrorContains(t, err, "is not md5 or hmac-sha256")
}

// China time, for the window bounds and the timestamp: the zone database is
// embedded, so the host's zone and zoneinfo never matter, and history is
// honoured (China observed daylight saving from 1986 to 1991; a fixed +8
// offset would get those summers wrong).
func TestChinaTime(t *testing.T) {
	t.Setenv("TZ", "America/New_York") // the host's zone must not leak in
	cases := []struct {
		name string
		at   time.Time
		want string
	}{
		{"UTCAfternoonIsTheNextChinaDay", time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC), "2026-03-02 00:00:00"},
		{"LastSecondOfAChinaDay", time.Date(2026, 3, 1, 15, 59, 59, 0, time.UTC), "2026-03-01 23:59:59"},
		{"NewYearInChinaIsStillTheOldYearInUTC", time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC), "2027-01-01 00:30:00"},
		{"LeapDay", time.Date(2028, 2, 28, 20, 0, 0, 0, time.UTC), "2028-02-29 04:00:00"},
		{"MonthEnd", time.Date(2026, 4, 30, 17, 0, 0, 0, time.UTC), "2026-05-01 01:00:00"},
		{"USSpringForwardDoesNotMoveChinaTime", time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC), "2026-03-08 15:30:00"},
		{"EuropeanFallBackDoesNotMoveChinaTime", time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), "2026-10-25 09:30:00"},
		{"AnInstantInAnotherZoneIsWrittenInChinaTime", time.Date(2026, 3, 1, 11, 0, 0, 0, time.FixedZone("EST", -5*3600)), "2026-03-02 00:00:00"},
		{"ChinaSummerTime1990IsUTCPlusNine", time.Date(1990, 7, 1, 12, 0, 0, 0, time.UTC), "1990-07-01 21:00:00"},
		{"ChinaWinter1990IsUTCPlusEight", time.Date(1990, 12, 1, 12, 0, 0, 0, time.UTC), "1990-12-01 20:00:00"},
		// 1991-04-14 02:00 local: clocks went forward to 03:00.
		{"JustBeforeChinas1991SpringForward", time.Date(1991, 4, 13, 17, 59, 59, 0, time.UTC), "1991-04-14 01:59:59"},
		{"JustAfterChinas1991SpringForward", time.Date(1991, 4, 13, 18, 0, 0, 0, time.UTC), "1991-04-14 03:00:00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := FormatChina(c.at)
			require.Equal(t, c.want, got)
			back, err := ParseChina(got)
			require.NoError(t, err)
			require.True(t, back.Equal(c.at), "parsing %s back gives the same instant (%s != %s)", got, back.UTC(), c.at.UTC())
		})
	}
	t.Run("ParseAcceptsMillisecondsAndRefusesOtherShapes", func(t *testing.T) {
		got, err := ParseChina("2026-03-02 00:00:00.000")
		require.NoError(t, err)
		require.True(t, got.Equal(time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC)))
		for _, bad := range []string{"2026-03-02T00:00:00Z", "02/03/2026 00:00", "", "2026-02-30 00:00:00"} {
			_, err := ParseChina(bad)
			require.Error(t, err, bad)
		}
	})
}
