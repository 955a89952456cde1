package snowflake

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/snowflakedb/gosnowflake"
)

// Config is how the load reaches Snowflake. main.go fills it from the
// SNOWFLAKE_* settings named in the comments.
type Config struct {
	Account   string // SNOWFLAKE_ACCOUNT: account identifier, e.g. myorg-myaccount
	User      string // SNOWFLAKE_USER: the service user the key is registered on
	Role      string // SNOWFLAKE_ROLE
	Warehouse string // SNOWFLAKE_WAREHOUSE
	Database  string // SNOWFLAKE_DATABASE
	Schema    string // SNOWFLAKE_SCHEMA

	// PrivateKey (SNOWFLAKE_PRIVATE_KEY) is the PEM of an unencrypted PKCS#8
	// RSA key, or its DER in base64. Go cannot decrypt an encrypted PKCS#8
	// key, so Key Vault holds it unencrypted.
	PrivateKey string

	// Stage (SNOWFLAKE_STAGE) is the external stage over the staging
	// container, e.g. INT_STAGING or DB.SCHEMA.INT_STAGING.
	Stage string

	// LoginTimeout bounds all login attempts; zero leaves the driver's default.
	LoginTimeout time.Duration
}

// Driver validates c and returns the driver configuration for JWT
// (key-pair) authentication. It does no network I/O.
func (c Config) Driver() (*gosnowflake.Config, error) {
	for _, s := range []struct{ name, value string }{
		{"SNOWFLAKE_ACCOUNT", c.Account},
		{"SNOWFLAKE_USER", c.User},
		{"SNOWFLAKE_ROLE", c.Role},
		{"SNOWFLAKE_WAREHOUSE", c.Warehouse},
		{"SNOWFLAKE_DATABASE", c.Database},
		{"SNOWFLAKE_SCHEMA", c.Schema},
		{"SNOWFLAKE_PRIVATE_KEY", c.PrivateKey},
		{"SNOWFLAKE_STAGE", c.Stage},
	} {
		if strings.TrimSpace(s.value) == "" {
			return nil, fmt.Errorf("%s is not set", s.name)
		}
	}
	if err := checkStage(c.Stage); err != nil {
		return nil, fmt.Errorf("SNOWFLAKE_STAGE: %w", err)
	}
	if c.LoginTimeout < 0 {
		return nil, fmt.Errorf("snowflake login timeout %s is negative", c.LoginTimeout)
	}
	key, err := ParsePrivateKey(c.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("SNOWFLAKE_PRIVATE_KEY: %w", err)
	}
	return &gosnowflake.Config{
		Account:       strings.TrimSpace(c.Account),
		User:          strings.TrimSpace(c.User),
		Role:          strings.TrimSpace(c.Role),
		Warehouse:     strings.TrimSpace(c.Warehouse),
		Database:      strings.TrimSpace(c.Database),
		Schema:        strings.TrimSpace(c.Schema),
		Authenticator: gosnowflake.AuthTypeJwt,
		PrivateKey:    key,
		LoginTimeout:  c.LoginTimeout,
		Application:   "popsockets-integration",
	}, nil
}

// Open validates c and returns a pool of Snowflake connections. It does no
// network I/O: the first query logs in.
func Open(c Config) (*sql.DB, error) {
	cfg, err := c.Driver()
	if err != nil {
		return nil, fmt.Errorf("configuring snowflake: %w", err)
	}
	return sql.OpenDB(gosnowflake.NewConnector(gosnowflake.SnowflakeDriver{}, *cfg)), nil
}

// minKeyBits is the smallest RSA key Snowflake accepts for key-pair login.
const minKeyBits = 2048

// ParsePrivateKey reads an unencrypted RSA private key given as PEM
// (PKCS#8 "PRIVATE KEY", or PKCS#1 "RSA PRIVATE KEY") or as base64 of the
// PKCS#8 DER (standard or URL alphabet). An encrypted key is refused.
func ParsePrivateKey(s string) (*rsa.PrivateKey, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("no private key")
	}
	var der []byte
	if strings.HasPrefix(s, "-----BEGIN") {
		// App settings sometimes carry the PEM on one line with literal \n.
		s = strings.ReplaceAll(s, `\n`, "\n")
		block, _ := pem.Decode([]byte(s))
		if block == nil {
			return nil, errors.New("PEM private key cannot be decoded")
		}
		switch {
		case block.Type == "ENCRYPTED PRIVATE KEY", strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED"):
			return nil, errEncrypted
		case block.Type == "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parsing PKCS#1 RSA key: %w", err)
			}
			return checkKey(k)
		case block.Type == "PRIVATE KEY":
			der = block.Bytes
		default:
			return nil, fmt.Errorf("PEM block %q is not a private key", block.Type)
		}
	} else {
		var err error
		if der, err = decodeBase64(s); err != nil {
			return nil, errors.New("private key is neither PEM nor base64 DER")
		}
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		if isEncryptedPKCS8(der) {
			return nil, errEncrypted
		}
		return nil, fmt.Errorf("parsing PKCS#8 key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("private key is %T, Snowflake needs RSA", k)
	}
	return checkKey(rk)
}

var errEncrypted = errors.New("private key is encrypted; Go cannot decrypt PKCS#8, store it unencrypted (openssl pkcs8 -topk8 -nocrypt)")

func checkKey(k *rsa.PrivateKey) (*rsa.PrivateKey, error) {
	if n := k.N.BitLen(); n < minKeyBits {
		return nil, fmt.Errorf("RSA key has %d bits, Snowflake needs at least %d", n, minKeyBits)
	}
	return k, nil
}

// decodeBase64 accepts the standard and URL alphabets, padded or not, with
// line breaks.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// isEncryptedPKCS8 reports whether der is an EncryptedPrivateKeyInfo
// (RFC 5208: an algorithm and an octet string, with no version first).
func isEncryptedPKCS8(der []byte) bool {
	var info struct {
		Algorithm pkix.AlgorithmIdentifier
		Data      []byte
	}
	rest, err := asn1.Unmarshal(der, &info)
	return err == nil && len(rest) == 0 && len(info.Data) > 0
}

// PublicKey returns the value for the runbook's
// ALTER USER <user> SET RSA_PUBLIC_KEY='<value>': the base64 of the public
// key's SubjectPublicKeyInfo DER, derived from the private key setting.
func PublicKey(privateKey string) (string, error) {
	der, err := publicDER(privateKey)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// PublicKeyFingerprint returns the fingerprint Snowflake shows as
// RSA_PUBLIC_KEY_FP in DESC USER ("SHA256:" and the base64 SHA-256 of the
// SubjectPublicKeyInfo DER), to check the registered key is this one.
func PublicKeyFingerprint(privateKey string) (string, error) {
	der, err := publicDER(privateKey)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + base64.StdEncoding.EncodeToString(sum[:]), nil
}

func publicDER(privateKey string) ([]byte, error) {
	k, err := ParsePrivateKey(privateKey)
	if err != nil {
		return nil, fmt.Errorf("reading snowflake private key: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("encoding snowflake public key: %w", err)
	}
	return der, nil
}
