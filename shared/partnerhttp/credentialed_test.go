package partnerhttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/partnerhttp"
)

func TestNewCredentialed(t *testing.T) {
	t.Parallel()
	good := partnerhttp.Credentialed{Partner: "Acme", BaseSetting: "ACME_BASE_URL", BaseURL: "https://acme.example",
		CredentialSetting: "ACME_TOKEN", Credential: " s3cret-token ", Header: "Authorization", Prefix: "Bearer "}

	t.Run("SettingsAreCheckedByName", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name string
			edit func(*partnerhttp.Credentialed)
			err  string
		}{
			{"NoBaseURL", func(c *partnerhttp.Credentialed) { c.BaseURL = "" }, "ACME_BASE_URL is not set"},
			{"BadBaseURL", func(c *partnerhttp.Credentialed) { c.BaseURL = "acme.example" }, "ACME_BASE_URL is not an absolute http(s) URL"},
			{"NoCredential", func(c *partnerhttp.Credentialed) { c.Credential = "  " }, "ACME_TOKEN is not set"},
			{"NegativeTimeout", func(c *partnerhttp.Credentialed) { c.Timeout = -1 }, "Acme timeout must not be negative"},
		} {
			c := good
			tc.edit(&c)
			_, err := partnerhttp.NewCredentialed(c)
			require.EqualError(t, err, tc.err, tc.name)
		}
	})
	t.Run("TheCredentialIsSentAndNeverRepeated", func(t *testing.T) {
		t.Parallel()
		var got string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = r.Header.Get("Authorization")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error": "token s3cret-token is not allowed here"}`))
		}))
		t.Cleanup(srv.Close)
		c := good
		c.BaseURL = srv.URL
		cl, err := partnerhttp.NewCredentialed(c)
		require.NoError(t, err)
		a, err := cl.Do(context.Background(), partnerhttp.Request{Method: http.MethodGet, Path: "/x"})
		require.NoError(t, err)
		require.Equal(t, "Bearer s3cret-token", got, "trimmed, after its prefix")
		require.Equal(t, http.StatusBadRequest, a.Status)
		require.NotContains(t, cl.Clean(string(a.Body)), "s3cret-token")
	})
}
