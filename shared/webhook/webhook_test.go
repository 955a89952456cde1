package webhook_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/webhook"
)

const (
	current  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	previous = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
	stranger = "whsec_dGhpcyBpcyBub3Qgb3VyIHNlY3JldCBhdCBhbGw="
)

func signed(t *testing.T, secret, id string, at time.Time, body string) http.Header {
	t.Helper()
	s, err := webhook.NewSigner(secret)
	require.NoError(t, err)
	h := http.Header{}
	require.NoError(t, s.Sign(h, id, at, []byte(body)))
	return h
}

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	v, err := webhook.NewVerifier("oms", webhook.ParseSecrets(current+" "+previous), func() time.Time { return now })
	require.NoError(t, err)
	body := `{"order_id":"ORD-1"}`

	got, err := v.Verify(signed(t, current, "msg_1", now, body), []byte(body))
	require.NoError(t, err)
	require.Equal(t, "msg_1", got.ID)
	require.Equal(t, now, got.Timestamp.UTC())

	_, err = v.Verify(signed(t, previous, "msg_2", now.Add(-4*time.Minute), body), []byte(body))
	require.NoError(t, err, "the retiring secret still works during a rotation")

	// Several signatures in one header: any match passes.
	h := signed(t, stranger, "msg_3", now, body)
	h2 := signed(t, current, "msg_3", now, body)
	h.Set(webhook.HeaderSignature, h.Get(webhook.HeaderSignature)+" "+h2.Get(webhook.HeaderSignature))
	_, err = v.Verify(h, []byte(body))
	require.NoError(t, err)

	refusals := map[string]struct {
		headers http.Header
		body    string
		want    string
	}{
		"TamperedBody":   {signed(t, current, "m", now, body), `{"order_id":"ORD-2"}`, "no signature matches"},
		"WrongSecret":    {signed(t, stranger, "m", now, body), body, "no signature matches"},
		"StaleTimestamp": {signed(t, current, "m", now.Add(-6*time.Minute), body), body, "old, over the 5m0s tolerance"},
		"FutureStamp":    {signed(t, current, "m", now.Add(6*time.Minute), body), body, "in the future"},
		"MissingHeaders": {http.Header{}, body, "missing webhook-id"},
		"TimestampEdited": {func() http.Header {
			h := signed(t, current, "m", now, body)
			h.Set(webhook.HeaderTimestamp, "1795629700")
			return h
		}(), body, "no signature matches"},
		"NotANumber": {func() http.Header {
			h := signed(t, current, "m", now, body)
			h.Set(webhook.HeaderTimestamp, "yesterday")
			return h
		}(), body, "not a Unix timestamp"},
	}
	for name, tc := range refusals {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := v.Verify(tc.headers, []byte(tc.body))
			require.ErrorContains(t, err, tc.want)
			require.Equal(t, fault.ClassUnauthorized, fault.ClassOf(err))
		})
	}
}

func TestNewVerifierRejectsBadSecrets(t *testing.T) {
	t.Parallel()
	_, err := webhook.NewVerifier("cirro", nil, nil)
	require.ErrorContains(t, err, "not configured")
	_, err = webhook.NewVerifier("cirro", []string{"whsec_not base64!"}, nil)
	require.ErrorContains(t, err, "secret 1 for cirro")
	require.NotContains(t, err.Error(), "not base64!")
	require.Equal(t, []string{"a", "b", "c"}, webhook.ParseSecrets("a b,c\n"))
}
