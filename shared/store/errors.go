package store

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/popsockets/integration/shared/fault"
)

// Classify marks database errors that retrying cannot fix as permanent:
// data exceptions (SQLSTATE class 22: a NUL or invalid UTF-8 in text, a
// value out of range) and program limits (class 54: an index row too large
// for an over-long key). Handlers validate input before it reaches the
// database; this is the second line, so bad data is parked rather than
// retried forever. Every other error keeps its class (unclassified is
// transient: the database may be away).
func Classify(err error) error {
	var pe *pgconn.PgError
	if err == nil || !errors.As(err, &pe) {
		return err
	}
	if strings.HasPrefix(pe.Code, "22") || strings.HasPrefix(pe.Code, "54") {
		return fault.Permanent(fmt.Errorf("the database refused the data (SQLSTATE %s): %w", pe.Code, err))
	}
	return err
}

// Text makes s safe for a text column: invalid UTF-8 and NUL bytes, which
// PostgreSQL refuses, are replaced, and it is cut to at most max bytes
// (max <= 0: no limit) on a rune boundary, with a note of what was cut.
func Text(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", `\0`)
	}
	if max > 0 && len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = fmt.Sprintf("%s...(%d bytes cut)", s[:cut], len(s)-cut)
	}
	return s
}
