package blob

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"
)

// maxNameLen is Azure's limit on a blob name; maxMetadataSize its limit on
// all metadata keys and values together.
const (
	maxNameLen      = 1024
	maxMetadataSize = 8 << 10
)

// validateContainer applies Azure's container naming rules: 3 to 63
// characters of lower-case letters, digits and single dashes, starting and
// ending with a letter or digit. Such a name is also a safe directory name.
func validateContainer(c string) error {
	if len(c) < 3 || len(c) > 63 {
		return fmt.Errorf("%w: container %q must be 3 to 63 characters", ErrInvalid, c)
	}
	for i := 0; i < len(c); i++ {
		ch := c[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= '0' && ch <= '9':
		case ch == '-' && i > 0 && i < len(c)-1 && c[i-1] != '-':
		default:
			return fmt.Errorf("%w: container %q may hold only lower-case letters, digits and single inner dashes", ErrInvalid, c)
		}
	}
	return nil
}

// validateName accepts blob names that are safe as relative paths on every
// platform, and applies the same rules to Azure so that a name accepted by
// one Store is accepted by the other: 1 to 1024 bytes of UTF-8 without
// control characters or backslashes, made of non-empty "/"-separated
// segments none of which is "." or ".." or ends in a dot or a space.
func validateName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: blob name is empty", ErrInvalid)
	}
	if len(name) > maxNameLen {
		return fmt.Errorf("%w: blob name is longer than %d bytes", ErrInvalid, maxNameLen)
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("%w: blob name %q is not valid UTF-8", ErrInvalid, name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: blob name %q holds a control character", ErrInvalid, name)
		}
		if r == '\\' {
			return fmt.Errorf("%w: blob name %q holds a backslash", ErrInvalid, name)
		}
	}
	if strings.HasPrefix(name, "/") {
		return fmt.Errorf("%w: blob name %q is absolute", ErrInvalid, name)
	}
	for _, seg := range strings.Split(name, "/") {
		switch seg {
		case "":
			return fmt.Errorf("%w: blob name %q has an empty segment", ErrInvalid, name)
		case ".", "..":
			return fmt.Errorf("%w: blob name %q has a %q segment", ErrInvalid, name, seg)
		}
		// Windows drops these, and Azure advises against them.
		if strings.HasSuffix(seg, ".") || strings.HasSuffix(seg, " ") {
			return fmt.Errorf("%w: blob name %q has a segment ending in a dot or space", ErrInvalid, name)
		}
	}
	// Catches what is special on the host only, such as volume names and
	// reserved device names on Windows.
	if !filepath.IsLocal(filepath.FromSlash(name)) {
		return fmt.Errorf("%w: blob name %q is not a local path on this system", ErrInvalid, name)
	}
	return nil
}

func validateBlob(container, name string) error {
	if err := validateContainer(container); err != nil {
		return err
	}
	return validateName(name)
}

// putSettings are PutOptions checked and normalised for both stores.
type putSettings struct {
	contentType string
	metadata    map[string]string // lower-case keys; nil when empty
	ifNotExists bool
}

func normalizePut(opts *PutOptions) (putSettings, error) {
	var s putSettings
	if opts == nil {
		opts = &PutOptions{}
	}
	s.ifNotExists = opts.IfNotExists
	s.contentType = opts.ContentType
	if s.contentType == "" {
		s.contentType = DefaultContentType
	}
	if !printableASCII(s.contentType) {
		return s, fmt.Errorf("%w: content type %q is not printable ASCII", ErrInvalid, s.contentType)
	}
	size := 0
	for k, v := range opts.Metadata {
		if !isIdentifier(k) {
			return s, fmt.Errorf("%w: metadata key %q is not an identifier", ErrInvalid, k)
		}
		if v == "" || !printableASCII(v) || strings.TrimSpace(v) != v {
			return s, fmt.Errorf("%w: metadata value of %q must be non-empty printable ASCII without surrounding spaces", ErrInvalid, k)
		}
		lk := strings.ToLower(k)
		if s.metadata == nil {
			s.metadata = make(map[string]string, len(opts.Metadata))
		}
		if _, dup := s.metadata[lk]; dup {
			return s, fmt.Errorf("%w: metadata key %q is given twice (keys ignore case)", ErrInvalid, k)
		}
		s.metadata[lk] = v
		size += len(k) + len(v)
	}
	if size > maxMetadataSize {
		return s, fmt.Errorf("%w: metadata is larger than %d bytes", ErrInvalid, maxMetadataSize)
	}
	return s, nil
}

// normalizeTTL truncates ttl to whole seconds, as a lease is granted in
// seconds, and checks it against the lease limits.
func normalizeTTL(ttl time.Duration) (time.Duration, error) {
	t := ttl.Truncate(time.Second)
	if t < MinLockTTL || t > MaxLockTTL {
		return 0, fmt.Errorf("%w: lock ttl %s is outside %s..%s", ErrInvalid, ttl, MinLockTTL, MaxLockTTL)
	}
	return t, nil
}

func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// lowerKeys copies metadata with lower-case keys; nil when empty.
func lowerKeys[V any](m map[string]V, val func(V) string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = val(v)
	}
	return out
}

func cloneMetadata(m map[string]string) map[string]string {
	return lowerKeys(m, func(v string) string { return v })
}
