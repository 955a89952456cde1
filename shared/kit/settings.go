package kit

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Setting declares one app setting.
type Setting struct {
	Name        string
	Description string
	// Default is used when the setting is empty; it is also the value
	// local.settings.sample.json carries.
	Default string
	// Secret settings come from Key Vault in Azure, never appear in the
	// sample, and are redacted from every log line.
	Secret bool
	// Local settings exist only on a developer's machine (the local run
	// sets them); Azure never declares them.
	Local bool
	// Optional settings may be empty; the functions that read them work
	// without them.
	Optional bool
	// Host settings are read by the Functions host, not by the handler: a
	// function.json refers to them (%SETTING%), such as a timer's schedule.
	Host bool
	// Functions are the functions that need the setting. The flow's
	// functions read it through Parts.Setting; a test holds the two lists
	// equal. Empty for settings the platform's parts read (DATABASE_URL and
	// the like) and for host settings.
	Functions []string
	// Check validates a non-empty value; its error says what is wrong
	// without echoing the value.
	Check func(v string) error
}

// problem is what is wrong with a setting's value, or nil.
func (s Setting) problem(v string) error {
	if v == "" {
		if s.Optional {
			return nil
		}
		return fmt.Errorf("%s is not set", s.Name)
	}
	if s.Check != nil {
		if err := s.Check(v); err != nil {
			return fmt.Errorf("%s: %w", s.Name, err)
		}
	}
	return nil
}

// PositiveInt checks a whole number above zero.
func PositiveInt(v string) error {
	if n, err := strconv.Atoi(v); err != nil || n <= 0 {
		return fmt.Errorf("is not a positive whole number")
	}
	return nil
}

// OneOf checks one of the listed values (case-insensitive).
func OneOf(values ...string) func(string) error {
	return func(v string) error {
		for _, ok := range values {
			if strings.EqualFold(v, ok) {
				return nil
			}
		}
		return fmt.Errorf("is not one of %s", strings.Join(values, ", "))
	}
}

// HTTPSURL checks an absolute http(s) URL.
func HTTPSURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("is not an absolute http(s) URL")
	}
	return nil
}

// secretParts returns a secret value and the parts of it that are secret
// on their own: a URL's password or signature, a connection string's keys,
// each of several rotated secrets.
func secretParts(v string) []string {
	if v == "" {
		return nil
	}
	out := []string{v}
	// Several secrets in one setting (a rotation): each one alone.
	if fields := strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' }); len(fields) > 1 {
		for _, f := range fields {
			out = append(out, secretParts(f)...)
		}
	}
	if u, err := url.Parse(v); err == nil {
		if u.User != nil {
			if pw, ok := u.User.Password(); ok {
				out = append(out, pw, url.QueryEscape(pw))
			}
		}
		// Signed URLs (Teams workflows, SAS) carry their credential in the query.
		for k, vals := range u.Query() {
			switch strings.ToLower(k) {
			case "sig", "code", "key", "token", "signature", "password":
				for _, q := range vals {
					out = append(out, q, url.QueryEscape(q))
				}
			}
		}
	}
	for _, kv := range strings.Split(v, ";") {
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		for _, word := range []string{"key", "password", "secret", "signature", "token"} {
			if strings.Contains(k, word) {
				out = append(out, strings.TrimSpace(val))
				break
			}
		}
	}
	// libpq keyword form: password=...
	for _, f := range strings.Fields(v) {
		if k, val, ok := strings.Cut(f, "="); ok && strings.EqualFold(k, "password") {
			out = append(out, strings.Trim(val, "'"))
		}
	}
	sort.Strings(out)
	return out
}
