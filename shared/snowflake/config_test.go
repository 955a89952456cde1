package snowflake

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snowflakedb/gosnowflake"
	"github.com/stretchr/testify/require"
)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func pkcs8DER(t *testing.T) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(testKey())
	require.NoError(t, err)
	return der
}

func pkcs8PEM(t *testing.T) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8DER(t)}))
}

// encryptedDER is the shape of an encrypted PKCS#8 key (RFC 5208
// EncryptedPrivateKeyInfo, PBES2): Go cannot make a real one, and the
// package must only recognise and refuse it.
func encryptedDER(t *testing.T) []byte {
	t.Helper()
	blob := make([]byte, 1200)
	_, _ = rand.Read(blob)
	der, err := asn1.Marshal(struct {
		Algorithm pkix.AlgorithmIdentifier
		Data      []byte
	}{pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}}, blob})
	require.NoError(t, err)
	return der
}

func validConfig(t *testing.T) Config {
	return Config{
		Account: "myorg-myaccount", User: "INTEGRATION_LOADER", Role: "LOADER", Warehouse: "LOAD_WH",
		Database: "ANALYTICS", Schema: "INTEGRATION", PrivateKey: pkcs8PEM(t), Stage: "INT_STAGING",
		LoginTimeout: 30 * time.Second,
	}
}

func TestDriverConfigUsesKeyPairLogin(t *testing.T) {
	c := validConfig(t)
	cfg, err := c.Driver()
	require.NoError(t, err)
	require.Equal(t, gosnowflake.AuthTypeJwt, cfg.Authenticator)
	require.True(t, testKey().Equal(cfg.PrivateKey))
	require.Equal(t, "myorg-myaccount", cfg.Account)
	require.Equal(t, "INTEGRATION_LOADER", cfg.User)
	require.Equal(t, "LOADER", cfg.Role)
	require.Equal(t, "LOAD_WH", cfg.Warehouse)
	require.Equal(t, "ANALYTICS", cfg.Database)
	require.Equal(t, "INTEGRATION", cfg.Schema)
	require.Equal(t, 30*time.Second, cfg.LoginTimeout)
	require.Empty(t, cfg.Password)

	dsn, err := gosnowflake.DSN(cfg)
	require.NoError(t, err)
	require.Contains(t, strings.ToUpper(dsn), "AUTHENTICATOR=SNOWFLAKE_JWT")
	require.Contains(t, dsn, "privateKey=")
	require.Contains(t, dsn, "myorg-myaccount.snowflakecomputing.com")

	back, err := gosnowflake.ParseDSN(dsn)
	require.NoError(t, err)
	require.Equal(t, gosnowflake.AuthTypeJwt, back.Authenticator)
	require.True(t, testKey().Equal(back.PrivateKey))
}

func TestEachMissingSettingIsNamed(t *testing.T) {
	for _, tc := range []struct {
		setting string
		clear   func(*Config)
	}{
		{"SNOWFLAKE_ACCOUNT", func(c *Config) { c.Account = "" }},
		{"SNOWFLAKE_USER", func(c *Config) { c.User = "" }},
		{"SNOWFLAKE_ROLE", func(c *Config) { c.Role = "" }},
		{"SNOWFLAKE_WAREHOUSE", func(c *Config) { c.Warehouse = " " }},
		{"SNOWFLAKE_DATABASE", func(c *Config) { c.Database = "" }},
		{"SNOWFLAKE_SCHEMA", func(c *Config) { c.Schema = "" }},
		{"SNOWFLAKE_PRIVATE_KEY", func(c *Config) { c.PrivateKey = "" }},
		{"SNOWFLAKE_STAGE", func(c *Config) { c.Stage = "" }},
	} {
		t.Run(tc.setting, func(t *testing.T) {
			c := validConfig(t)
			tc.clear(&c)
			_, err := c.Driver()
			require.EqualError(t, err, tc.setting+" is not set")
			_, err = Open(c)
			require.ErrorContains(t, err, tc.setting+" is not set")
		})
	}
}

func TestStageNameMustBeAnIdentifier(t *testing.T) {
	for _, s := range []string{"INT_STAGING", "DB.SCHEMA.INT_STAGING", "int_staging"} {
		c := validConfig(t)
		c.Stage = s
		_, err := c.Driver()
		require.NoError(t, err, s)
	}
	for _, s := range []string{"INT STAGING", "X;DROP TABLE Y", "@INT_STAGING", "A.B.C.D", "stage/path", "'x'"} {
		c := validConfig(t)
		c.Stage = s
		_, err := c.Driver()
		require.ErrorContains(t, err, "SNOWFLAKE_STAGE", s)
	}
}

func TestKeyFormsAreAccepted(t *testing.T) {
	der := pkcs8DER(t)
	pemText := pkcs8PEM(t)
	for name, s := range map[string]string{
		"PEM":                pemText,
		"PEMWithLiteralNL":   strings.ReplaceAll(pemText, "\n", `\n`),
		"Base64DER":          base64.StdEncoding.EncodeToString(der),
		"Base64URLDER":       base64.URLEncoding.EncodeToString(der),
		"Base64DERUnpadded":  base64.RawStdEncoding.EncodeToString(der),
		"Base64DERWrapped":   wrap(base64.StdEncoding.EncodeToString(der), 64),
		"PKCS1PEM":           string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(testKey())})),
		"PEMWithSurrounding": "\n  " + pemText + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			k, err := ParsePrivateKey(s)
			require.NoError(t, err)
			require.True(t, testKey().Equal(k))
		})
	}
}

func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}

func TestEncryptedKeyIsRefused(t *testing.T) {
	enc := encryptedDER(t)
	//nolint:staticcheck // legacy PEM encryption, only to produce a key the package must refuse
	legacy, err := x509.EncryptPEMBlock(rand.Reader, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(testKey()), []byte("pw"), x509.PEMCipherAES256)
	require.NoError(t, err)
	for name, s := range map[string]string{
		"PKCS8PEM":    string(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: enc})),
		"PKCS8Base64": base64.StdEncoding.EncodeToString(enc),
		"LegacyPEM":   string(pem.EncodeToMemory(legacy)),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePrivateKey(s)
			require.ErrorContains(t, err, "encrypted")
			c := validConfig(t)
			c.PrivateKey = s
			_, err = c.Driver()
			require.ErrorContains(t, err, "SNOWFLAKE_PRIVATE_KEY")
			require.ErrorContains(t, err, "Go cannot decrypt PKCS#8")
		})
	}
}

func TestBadKeysAreRefused(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	smallDER, err := x509.MarshalPKCS8PrivateKey(small)
	require.NoError(t, err)
	for name, s := range map[string]string{
		"NotAKey":    "hello world",
		"BadPEM":     "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n",
		"PublicKey":  string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}})),
		"Base64Junk": base64.StdEncoding.EncodeToString([]byte("not DER at all")),
		"TooSmall":   base64.StdEncoding.EncodeToString(smallDER),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePrivateKey(s)
			require.Error(t, err)
		})
	}
}

func TestOpenDoesNoNetworkIO(t *testing.T) {
	db, err := Open(validConfig(t))
	require.NoError(t, err)
	require.NotNil(t, db)
	require.NoError(t, db.Close())
}

func TestPublicKeyIsTheSPKIOfThePrivateKey(t *testing.T) {
	spki, err := PublicKey(pkcs8PEM(t))
	require.NoError(t, err)
	der, err := base64.StdEncoding.DecodeString(spki)
	require.NoError(t, err)
	pub, err := x509.ParsePKIXPublicKey(der)
	require.NoError(t, err)
	require.True(t, testKey().PublicKey.Equal(pub))

	fp, err := PublicKeyFingerprint(base64.StdEncoding.EncodeToString(pkcs8DER(t)))
	require.NoError(t, err)
	sum := sha256.Sum256(der)
	require.Equal(t, "SHA256:"+base64.StdEncoding.EncodeToString(sum[:]), fp)

	_, err = PublicKey("")
	require.Error(t, err)
}
