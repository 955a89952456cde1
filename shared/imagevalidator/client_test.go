package imagevalidator_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/imagevalidator"
	"github.com/popsockets/integration/shared/imagevalidator/imagevalidatortest"
)

func newClient(t *testing.T, s *imagevalidatortest.Server, secret string) *imagevalidator.Client {
	t.Helper()
	c, err := imagevalidator.New(imagevalidator.Config{BaseURL: s.URL(), TokenURL: s.TokenURL(), ClientID: s.ClientID(), ClientSecret: secret,
		Timeout: 5 * time.Second})
	require.NoError(t, err)
	return c
}

func images(n int, prefix string) []imagevalidator.Image {
	out := make([]imagevalidator.Image, n)
	for i := range out {
		out[i] = imagevalidator.Image{ID: fmt.Sprint(i), URL: fmt.Sprintf("https://i.example/%s-%d.png", prefix, i), ImageType: "CPOD"}
	}
	return out
}

func TestOneTokenServesManyConcurrentCalls(t *testing.T) {
	t.Parallel()
	s := imagevalidatortest.NewServer(imagevalidatortest.Config{})
	t.Cleanup(s.Close)
	c := newClient(t, s, s.ClientSecret())
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vs, err := c.Classify(context.Background(), images(16, "ok"))
			require.NoError(t, err)
			require.Len(t, vs, 16)
		}()
	}
	wg.Wait()
	require.Equal(t, 1, s.TokenGrants(), "the token is cached and shared")
	require.Len(t, s.Classified(), 320)
}

func TestARefusedTokenIsFetchedAgainOnce(t *testing.T) {
	t.Parallel()
	s := imagevalidatortest.NewServer(imagevalidatortest.Config{})
	t.Cleanup(s.Close)
	c := newClient(t, s, s.ClientSecret())
	_, err := c.Classify(context.Background(), images(1, "a"))
	require.NoError(t, err)
	s.RevokeTokens()
	_, err = c.Classify(context.Background(), images(1, "b"))
	require.NoError(t, err)
	require.Equal(t, 2, s.TokenGrants())
}

func TestAnExpiringTokenIsRenewed(t *testing.T) {
	t.Parallel()
	// A token that lives 5 s is within oauth2's refresh margin at once.
	s := imagevalidatortest.NewServer(imagevalidatortest.Config{TokenTTL: 5 * time.Second})
	t.Cleanup(s.Close)
	c := newClient(t, s, s.ClientSecret())
	for range 3 {
		_, err := c.Classify(context.Background(), images(1, "x"))
		require.NoError(t, err)
	}
	require.Equal(t, 3, s.TokenGrants())
}

func TestVerdicts(t *testing.T) {
	t.Parallel()
	s := imagevalidatortest.NewServer(imagevalidatortest.Config{})
	t.Cleanup(s.Close)
	s.Reject("blurry", "resolution below 300 dpi")
	c := newClient(t, s, s.ClientSecret())
	vs, err := c.Classify(context.Background(), []imagevalidator.Image{
		{ID: "a", URL: "https://i.example/fine.png"}, {ID: "b", URL: "https://i.example/blurry.png"}})
	require.NoError(t, err)
	require.True(t, vs[0].Approved)
	require.False(t, vs[1].Approved)
	require.Equal(t, "rejected by the image validator: resolution below 300 dpi", vs[1].Reason)
}

func TestFailuresAreClassified(t *testing.T) {
	t.Parallel()
	s := imagevalidatortest.NewServer(imagevalidatortest.Config{})
	t.Cleanup(s.Close)
	ctx := context.Background()
	t.Run("DownIsTransient", func(t *testing.T) {
		s.SetDown(true)
		defer s.SetDown(false)
		_, err := newClient(t, s, s.ClientSecret()).Classify(ctx, images(2, "d"))
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	})
	t.Run("WrongSecretIsTransientNamesTheSettingAndNeverQuotesIt", func(t *testing.T) {
		_, err := newClient(t, s, "not-the-secret-42").Classify(ctx, images(1, "w"))
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		require.ErrorContains(t, err, "IMAGE_VALIDATOR_CLIENT_SECRET")
		require.NotContains(t, err.Error(), "not-the-secret-42")
	})
	t.Run("TooManyImagesIsRefusedBeforeAnyCall", func(t *testing.T) {
		n := len(s.Calls())
		_, err := newClient(t, s, s.ClientSecret()).Classify(ctx, images(imagevalidator.MaxImagesPerRequest+1, "m"))
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.Len(t, s.Calls(), n)
	})
	t.Run("ServerErrorIsTransient", func(t *testing.T) {
		c := newClient(t, s, s.ClientSecret())
		_, err := c.Classify(ctx, images(1, "warm")) // token first
		require.NoError(t, err)
		s.FailNext(http.StatusInternalServerError, 1)
		_, err = c.Classify(ctx, images(1, "e"))
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	})
}

// A validator that answers outside the contract: an unknown word is not an
// approval; a missing verdict fails the call (transient: nothing is lost).
func TestAnswersOutsideTheContract(t *testing.T) {
	t.Parallel()
	answer := `{"results":[{"id":"0","classification":"needs_review","reasons":["faces"]}]}`
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/token" {
			_, _ = w.Write([]byte(`{"access_token":"t","token_type":"Bearer","expires_in":3600}`))
			return
		}
		mu.Lock()
		defer mu.Unlock()
		_, _ = w.Write([]byte(answer))
	}))
	t.Cleanup(srv.Close)
	c, err := imagevalidator.New(imagevalidator.Config{BaseURL: srv.URL, TokenURL: srv.URL + "/token", ClientID: "c", ClientSecret: "s"})
	require.NoError(t, err)
	vs, err := c.Classify(context.Background(), images(1, "u"))
	require.NoError(t, err)
	require.False(t, vs[0].Approved)
	require.Contains(t, vs[0].Reason, `"needs_review", which is not an approval: faces`)

	mu.Lock()
	answer = `{"results":[]}`
	mu.Unlock()
	_, err = c.Classify(context.Background(), images(1, "v"))
	require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	require.ErrorContains(t, err, "no verdict")
}

func TestNewNamesTheMissingSetting(t *testing.T) {
	for _, tc := range []struct {
		cfg  imagevalidator.Config
		want string
	}{
		{imagevalidator.Config{TokenURL: "https://t", ClientID: "c", ClientSecret: "s"}, "IMAGE_VALIDATOR_BASE_URL is not set"},
		{imagevalidator.Config{BaseURL: "https://b", ClientID: "c", ClientSecret: "s"}, "IMAGE_VALIDATOR_TOKEN_URL is not set"},
		{imagevalidator.Config{BaseURL: "https://b", TokenURL: "https://t", ClientSecret: "s"}, "IMAGE_VALIDATOR_CLIENT_ID is not set"},
		{imagevalidator.Config{BaseURL: "https://b", TokenURL: "https://t", ClientID: "c"}, "IMAGE_VALIDATOR_CLIENT_SECRET is not set"},
	} {
		_, err := imagevalidator.New(tc.cfg)
		require.EqualError(t, err, tc.want)
	}
}
