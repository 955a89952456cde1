package oms

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/popsockets/integration/shared/fault"
)

// Sealed is data encrypted with AES-256-GCM under a named key. The order id
// is the additional authenticated data, so a sealed value cannot be moved
// from one order to another.
type Sealed struct {
	KeyID      string `json:"kid"`
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
}

// Key is one AES-256 key and its id.
type Key struct {
	ID  string
	Key []byte
}

// Keyring opens sealed data with the current key or the one being retired,
// so OMS can rotate keys without a failed request.
type Keyring struct {
	current Key
	keys    map[string]cipher.AEAD
}

// NewKeyring builds a keyring; previous may be zero. Keys are base64 of 32 bytes.
func NewKeyring(currentID, currentKey, previousID, previousKey string) (*Keyring, error) {
	r := &Keyring{keys: map[string]cipher.AEAD{}}
	add := func(setting, id, b64 string) error {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil || len(raw) != 32 {
			return fmt.Errorf("%s must be base64 of 32 bytes (AES-256)", setting)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return err
		}
		gcm, err := cipher.NewGCM(block)
		if err != nil {
			return err
		}
		r.keys[id] = gcm
		if r.current.ID == "" {
			r.current = Key{ID: id, Key: raw}
		}
		return nil
	}
	if currentID == "" || currentKey == "" {
		return nil, errors.New("OMS_AES_KEY_ID and OMS_AES_KEY are required")
	}
	if err := add("OMS_AES_KEY", currentID, currentKey); err != nil {
		return nil, err
	}
	if previousID != "" || previousKey != "" {
		if previousID == "" || previousKey == "" || previousID == currentID {
			return nil, errors.New("OMS_AES_PREVIOUS_KEY_ID and OMS_AES_PREVIOUS_KEY go together and need their own id")
		}
		if err := add("OMS_AES_PREVIOUS_KEY", previousID, previousKey); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Open decrypts s for orderID into v. A failure is permanent: the same bytes
// will never decrypt, and the message is parked.
func (r *Keyring) Open(orderID string, s Sealed, v any) error {
	gcm, ok := r.keys[s.KeyID]
	if !ok {
		return fault.Permanentf("sealed data of order %s uses unknown key id %q", orderID, s.KeyID)
	}
	if len(s.Nonce) != gcm.NonceSize() {
		return fault.Permanentf("sealed data of order %s has a %d-byte nonce, want %d", orderID, len(s.Nonce), gcm.NonceSize())
	}
	plain, err := gcm.Open(nil, s.Nonce, s.Ciphertext, []byte(orderID))
	if err != nil {
		return fault.Permanentf("sealed data of order %s does not decrypt with key %q (tampered, or sealed for another order)", orderID, s.KeyID)
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return fault.Permanentf("sealed data of order %s is not the expected JSON", orderID)
	}
	return nil
}

// Seal encrypts v for orderID with the current key (OMS does this; the fake
// and the tests use it).
func (r *Keyring) Seal(orderID string, v any) (Sealed, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return Sealed{}, fmt.Errorf("encoding sealed data: %w", err)
	}
	gcm := r.keys[r.current.ID]
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return Sealed{}, err
	}
	return Sealed{KeyID: r.current.ID, Nonce: nonce, Ciphertext: gcm.Seal(nil, nonce, plain, []byte(orderID))}, nil
}
