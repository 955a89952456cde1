package oms_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/oms"
)

func newKey(t *testing.T) string {
	t.Helper()
	k := make([]byte, 32)
	_, err := rand.Read(k)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(k)
}

func keyring(t *testing.T, curID, cur, prevID, prev string) *oms.Keyring {
	t.Helper()
	r, err := oms.NewKeyring(curID, cur, prevID, prev)
	require.NoError(t, err)
	return r
}

var customer = oms.Customer{
	Name: "Avery Lindqvist", Email: "avery.lindqvist@example.com", Phone: "+1 303-555-0142",
	Address: oms.Address{Line1: "12 Maple Ave", City: "Boulder", Region: "CO", PostalCode: "80302", Country: "US"},
}

func TestSealed(t *testing.T) {
	t.Parallel()
	k1, k2 := newKey(t), newKey(t)

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		r := keyring(t, "k1", k1, "", "")
		s, err := r.Seal("ORD1", customer)
		require.NoError(t, err)
		require.Equal(t, "k1", s.KeyID)
		require.NotContains(t, string(s.Ciphertext), "Lindqvist")
		var got oms.Customer
		require.NoError(t, r.Open("ORD1", s, &got))
		require.Equal(t, customer, got)
	})
	t.Run("EachSealHasItsOwnNonce", func(t *testing.T) {
		t.Parallel()
		r := keyring(t, "k1", k1, "", "")
		a, err := r.Seal("ORD1", customer)
		require.NoError(t, err)
		b, err := r.Seal("ORD1", customer)
		require.NoError(t, err)
		require.False(t, bytes.Equal(a.Nonce, b.Nonce))
	})
	t.Run("UnknownKeyIDIsPermanent", func(t *testing.T) {
		t.Parallel()
		s, err := keyring(t, "k2", k2, "", "").Seal("ORD1", customer)
		require.NoError(t, err)
		err = keyring(t, "k1", k1, "", "").Open("ORD1", s, &oms.Customer{})
		require.ErrorIs(t, err, fault.ErrPermanent)
		require.ErrorContains(t, err, `unknown key id "k2"`)
	})
	t.Run("SameKeyIDWithAnotherKeyIsPermanent", func(t *testing.T) {
		t.Parallel()
		s, err := keyring(t, "k1", k2, "", "").Seal("ORD1", customer)
		require.NoError(t, err)
		require.ErrorIs(t, keyring(t, "k1", k1, "", "").Open("ORD1", s, &oms.Customer{}), fault.ErrPermanent)
	})
	t.Run("TamperedCiphertextIsPermanent", func(t *testing.T) {
		t.Parallel()
		r := keyring(t, "k1", k1, "", "")
		s, err := r.Seal("ORD1", customer)
		require.NoError(t, err)
		s.Ciphertext[3] ^= 0x01
		err = r.Open("ORD1", s, &oms.Customer{})
		require.ErrorIs(t, err, fault.ErrPermanent)
		require.ErrorContains(t, err, "does not decrypt")
	})
	t.Run("ShortNonceIsPermanent", func(t *testing.T) {
		t.Parallel()
		r := keyring(t, "k1", k1, "", "")
		s, err := r.Seal("ORD1", customer)
		require.NoError(t, err)
		s.Nonce = s.Nonce[:4]
		require.ErrorIs(t, r.Open("ORD1", s, &oms.Customer{}), fault.ErrPermanent)
	})
	t.Run("SealedForAnotherOrderIsPermanent", func(t *testing.T) {
		t.Parallel()
		r := keyring(t, "k1", k1, "", "")
		s, err := r.Seal("ORD1", customer)
		require.NoError(t, err)
		err = r.Open("ORD2", s, &oms.Customer{})
		require.ErrorIs(t, err, fault.ErrPermanent)
		require.NotContains(t, err.Error(), "Lindqvist")
	})
	t.Run("NotTheExpectedJSONIsPermanent", func(t *testing.T) {
		t.Parallel()
		r := keyring(t, "k1", k1, "", "")
		s, err := r.Seal("ORD1", []int{1, 2})
		require.NoError(t, err)
		require.ErrorIs(t, r.Open("ORD1", s, &oms.Customer{}), fault.ErrPermanent)
	})
	t.Run("RotationPreviousKeyStillOpens", func(t *testing.T) {
		t.Parallel()
		old := keyring(t, "k1", k1, "", "")
		rotated := keyring(t, "k2", k2, "k1", k1)
		before, err := old.Seal("ORD1", customer)
		require.NoError(t, err)
		var got oms.Customer
		require.NoError(t, rotated.Open("ORD1", before, &got), "what OMS sealed before the rotation still opens")
		require.Equal(t, customer, got)

		after, err := rotated.Seal("ORD1", customer)
		require.NoError(t, err)
		require.Equal(t, "k2", after.KeyID, "the new current key seals")
		require.ErrorIs(t, old.Open("ORD1", after, &got), fault.ErrPermanent)
	})
}

func TestNewKeyringNamesTheSetting(t *testing.T) {
	t.Parallel()
	k1, k2 := newKey(t), newKey(t)
	short := base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	for _, tc := range []struct {
		name                    string
		curID, cur, prevID, prv string
		want                    string
	}{
		{"NoCurrentKey", "", "", "", "", "OMS_AES_KEY_ID and OMS_AES_KEY are required"},
		{"CurrentKeyNotBase64", "k1", "%%%", "", "", "OMS_AES_KEY must be base64 of 32 bytes"},
		{"CurrentKeyTooShort", "k1", short, "", "", "OMS_AES_KEY must be base64 of 32 bytes"},
		{"PreviousKeyWithoutID", "k1", k1, "", k2, "OMS_AES_PREVIOUS_KEY_ID and OMS_AES_PREVIOUS_KEY go together"},
		{"PreviousKeyWithTheCurrentID", "k1", k1, "k1", k2, "need their own id"},
		{"PreviousKeyTooShort", "k1", k1, "k0", short, "OMS_AES_PREVIOUS_KEY must be base64 of 32 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := oms.NewKeyring(tc.curID, tc.cur, tc.prevID, tc.prv)
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), k1)
		})
	}
}
