package jackyun

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// StringToSign is what a Qimen signature covers: every parameter except
// sign with a non-empty value, sorted by name, written name then value
// (contract.go).
func StringToSign(params url.Values) string {
	names := make([]string, 0, len(params))
	for k, v := range params {
		if k == ParamSign || len(v) == 0 || v[0] == "" {
			continue
		}
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k)
		b.WriteString(params.Get(k))
	}
	return b.String()
}

// Sign returns the signature of params with secret by method (SignMD5 or
// SignHMACSHA256), in upper-case hex.
func Sign(method, secret string, params url.Values) (string, error) {
	s := StringToSign(params)
	switch method {
	case SignMD5:
		sum := md5.Sum([]byte(secret + s + secret))
		return strings.ToUpper(hex.EncodeToString(sum[:])), nil
	case SignHMACSHA256:
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(s))
		return strings.ToUpper(hex.EncodeToString(m.Sum(nil))), nil
	default:
		return "", fmt.Errorf("sign method %q is not %s or %s", method, SignMD5, SignHMACSHA256)
	}
}

// Verify checks params' sign against secret, by the method params name, in
// constant time. It is for the fake and for tests.
func Verify(secret string, params url.Values) error {
	got := params.Get(ParamSign)
	if got == "" {
		return fmt.Errorf("no %s parameter", ParamSign)
	}
	want, err := Sign(params.Get(ParamSignMethod), secret, params)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(strings.ToUpper(got)), []byte(want)) {
		return fmt.Errorf("signature does not match")
	}
	return nil
}
