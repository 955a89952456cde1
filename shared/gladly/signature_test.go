package gladly_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/gladly"
)

var at = time.Date(2026, 11, 25, 18, 4, 5, 0, time.UTC)

const body = `{"lookupLevel":"BASIC","query":{"emails":["avery@example.com"]},"uniqueMatchRequired":false}`

// signed is a lookup signed by Gladly's rules with key, as it arrives.
func signed(t *testing.T, key string, mutate func(*http.Request)) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://func.example/api/gladly/lookup", strings.NewReader(body))
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(gladly.HeaderCorrelationID, "0f8b6d4e-1c1d-4a7a-9b3e-2f1e8c7a6b5d")
	(&gladly.Signer{Key: []byte(key)}).SignRequest(r, []byte(body), at)
	if mutate != nil {
		mutate(r)
	}
	return r
}

// TestCanonicalRequestIsGladlysFormat pins the canonical request and the
// derivation to the steps Gladly documents, computed here independently.
func TestCanonicalRequestIsGladlysFormat(t *testing.T) {
	t.Parallel()
	r := signed(t, "k", nil)
	sum := sha256.Sum256([]byte(body))
	want := "POST\n/api/gladly/lookup\n\n" +
		"accept:application/json\ncontent-type:application/json\ngladly-correlation-id:0f8b6d4e-1c1d-4a7a-9b3e-2f1e8c7a6b5d\ngladly-time:20261125T180405Z\n" +
		"\naccept;content-type;gladly-correlation-id;gladly-time\n" + hex.EncodeToString(sum[:])
	require.Equal(t, want, gladly.CanonicalRequest(r, gladly.DefaultSignedHeaders, []byte(body)))

	creq := sha256.Sum256([]byte(want))
	sts := "hmac-sha256\n20261125T180405Z\n" + hex.EncodeToString(creq[:])
	day := hmac.New(sha256.New, []byte("k"))
	day.Write([]byte("20261125"))
	mac := hmac.New(sha256.New, day.Sum(nil))
	mac.Write([]byte(sts))
	require.Equal(t, "SigningAlgorithm=hmac-sha256, SignedHeaders=accept;content-type;gladly-correlation-id;gladly-time, Signature="+
		hex.EncodeToString(mac.Sum(nil)), r.Header.Get(gladly.HeaderAuthorization))

	q := httptest.NewRequest(http.MethodPost, "/api/gladly/lookup?b=2&a=3&a=1&c=x%20y", nil)
	require.True(t, strings.HasPrefix(gladly.CanonicalRequest(q, nil, nil), "POST\n/api/gladly/lookup\na=1&a=3&b=2&c=x+y\n"),
		"the query is sorted by name, then value")
}

func TestVerify(t *testing.T) {
	t.Parallel()
	clock := func(d time.Duration) func() time.Time { return func() time.Time { return at.Add(d) } }
	v, err := gladly.NewVerifier([]string{"new-key", "old-key"}, clock(0))
	require.NoError(t, err)
	cases := []struct {
		name   string
		key    string
		mutate func(*http.Request)
		now    time.Duration
		reason string
	}{
		{"SignedLikeGladly", "new-key", nil, 0, ""},
		{"TheKeyBeingRetiredDuringARotation", "old-key", nil, 0, ""},
		{"AnotherKey", "someone-else", nil, 0, gladly.ReasonSignature},
		{"TamperedBody", "new-key", func(r *http.Request) {
			r.Body = httptestBody(strings.Replace(body, "avery", "other", 1))
		}, 0, gladly.ReasonSignature},
		{"TamperedSignedHeader", "new-key", func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, 0, gladly.ReasonSignature},
		{"TamperedPath", "new-key", func(r *http.Request) { r.URL.Path = "/api/gladly/lookup2" }, 0, gladly.ReasonSignature},
		{"TamperedQuery", "new-key", func(r *http.Request) { r.URL.RawQuery = "x=1" }, 0, gladly.ReasonSignature},
		{"AnUnsignedHeaderMayChange", "new-key", func(r *http.Request) { r.Header.Set("User-Agent", "curl") }, 0, ""},
		{"ASignedHeaderDropped", "new-key", func(r *http.Request) {
			r.Header.Set(gladly.HeaderAuthorization, strings.Replace(r.Header.Get(gladly.HeaderAuthorization), "accept;", "", 1))
		}, 0, gladly.ReasonSignature},
		{"TimeMovedAfterSigning", "new-key", func(r *http.Request) { r.Header.Set(gladly.HeaderTime, "20261125T180406Z") }, 0, gladly.ReasonSignature},
		{"StaleBeyondTheWindow", "new-key", nil, gladly.Window + time.Second, gladly.ReasonStale},
		{"JustInsideTheWindow", "new-key", nil, gladly.Window, ""},
		{"FromTheFuture", "new-key", nil, -gladly.Window - time.Second, gladly.ReasonStale},
		{"Unsigned", "new-key", func(r *http.Request) { r.Header.Del(gladly.HeaderAuthorization) }, 0, gladly.ReasonMissing},
		{"NoTime", "new-key", func(r *http.Request) { r.Header.Del(gladly.HeaderTime) }, 0, gladly.ReasonMissing},
		{"TimeNotGladlysFormat", "new-key", func(r *http.Request) { r.Header.Set(gladly.HeaderTime, "2026-11-25T18:04:05Z") }, 0, gladly.ReasonTime},
		{"OtherAlgorithm", "new-key", func(r *http.Request) {
			r.Header.Set(gladly.HeaderAuthorization, strings.Replace(r.Header.Get(gladly.HeaderAuthorization), "hmac-sha256", "hmac-sha1", 1))
		}, 0, gladly.ReasonAlgorithm},
		{"UnsortedHeaders", "new-key", func(r *http.Request) {
			r.Header.Set(gladly.HeaderAuthorization, strings.Replace(r.Header.Get(gladly.HeaderAuthorization), "accept;content-type", "content-type;accept", 1))
		}, 0, gladly.ReasonHeaders},
		{"UpperCaseSignature", "new-key", func(r *http.Request) {
			a := r.Header.Get(gladly.HeaderAuthorization)
			i := strings.Index(a, "Signature=") + len("Signature=")
			r.Header.Set(gladly.HeaderAuthorization, a[:i]+strings.ToUpper(a[i:]))
		}, 0, gladly.ReasonMalformed},
		{"Garbage", "new-key", func(r *http.Request) { r.Header.Set(gladly.HeaderAuthorization, "Bearer x") }, 0, gladly.ReasonMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := signed(t, tc.key, tc.mutate)
			b := readAll(t, r)
			vv, err := gladly.NewVerifier([]string{"new-key", "old-key"}, clock(tc.now))
			require.NoError(t, err)
			err = vv.Verify(r, b)
			if tc.reason == "" {
				require.NoError(t, err)
				return
			}
			require.Equal(t, fault.ClassUnauthorized, fault.ClassOf(err), "every failure is a 401")
			require.Equal(t, tc.reason, gladly.Reason(err))
		})
	}
	t.Run("ExtraSignedHeadersOfActionRequestsAreRead", func(t *testing.T) {
		t.Parallel()
		r := httptest.NewRequest(http.MethodPost, "/api/gladly/lookup", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Gladly-Action", "refresh")
		(&gladly.Signer{Key: []byte("new-key"), SignedHeaders: []string{"gladly-time", "gladly-action", "content-type"}}).SignRequest(r, []byte(body), at)
		require.NoError(t, v.Verify(r, []byte(body)))
		r.Header.Set("Gladly-Action", "delete")
		require.Equal(t, gladly.ReasonSignature, gladly.Reason(v.Verify(r, []byte(body))))
	})
	t.Run("ErrorsNeverRepeatWhatTheCallerSent", func(t *testing.T) {
		t.Parallel()
		const marker = "INJECTED\n{\"level\":\"ERROR\"}<script>"
		for _, h := range []string{gladly.HeaderAuthorization, gladly.HeaderTime} {
			r := signed(t, "new-key", func(r *http.Request) { r.Header.Set(h, marker) })
			err := v.Verify(r, []byte(body))
			require.Error(t, err)
			require.NotContains(t, err.Error(), "INJECTED")
			require.NotContains(t, err.Error(), "<script>")
		}
		r := signed(t, "someone-else", nil)
		err := v.Verify(r, []byte(body))
		require.NotContains(t, err.Error(), r.Header.Get(gladly.HeaderAuthorization)[len("SigningAlgorithm=hmac-sha256, SignedHeaders=accept;content-type;gladly-correlation-id;gladly-time, Signature="):],
			"the signature sent is not repeated")
	})
	_, err = gladly.NewVerifier([]string{" "}, nil)
	require.ErrorContains(t, err, "GLADLY_SIGNING_KEYS")
}

func httptestBody(s string) *readCloser { return &readCloser{bytes.NewReader([]byte(s))} }

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func readAll(t *testing.T, r *http.Request) []byte {
	t.Helper()
	var b bytes.Buffer
	_, err := b.ReadFrom(r.Body)
	require.NoError(t, err)
	return b.Bytes()
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("SigningAlgorithm=hmac-sha256, SignedHeaders=accept;content-type;gladly-time, Signature=" + strings.Repeat("ab", 32))
	f.Add("SigningAlgorithm=hmac-sha256,SignedHeaders=a,Signature=00")
	f.Add("Signature=,,,")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := gladly.ParseAuthorization(s)
		if err != nil {
			require.Equal(t, fault.ClassUnauthorized, fault.ClassOf(err))
			require.NotEmpty(t, gladly.Reason(err))
			return
		}
		require.Equal(t, gladly.Algorithm, a.Algorithm)
		require.Len(t, a.Signature, sha256.Size)
		again, err := gladly.ParseAuthorization("SigningAlgorithm=" + a.Algorithm + ", SignedHeaders=" + strings.Join(a.SignedHeaders, ";") +
			", Signature=" + hex.EncodeToString(a.Signature))
		require.NoError(t, err)
		require.Equal(t, a, again)
	})
}
