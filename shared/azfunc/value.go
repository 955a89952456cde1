package azfunc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The Functions host serialises most binding values with JsonConvert before
// putting them in the invocation, so a string arrives quoted twice
// ("\"abc\""), an int or bool arrives as a string ("3", "True"), and a
// DateTime arrives re-parsed with second precision and, for DateTime (not
// DateTimeOffset), no offset. These helpers undo that and accept the plain
// forms too, so the code works with both the host and hand-written payloads.

// maxQuoteDepth bounds unquoting: the host adds at most two levels.
const maxQuoteDepth = 3

// unquote peels JSON string quoting off raw until the value is no longer a
// JSON string literal. It returns the text and whether raw was a string at all.
func unquote(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	for i := 1; i < maxQuoteDepth; i++ {
		t := strings.TrimSpace(s)
		if len(t) < 2 || t[0] != '"' || t[len(t)-1] != '"' {
			break
		}
		var inner string
		if err := json.Unmarshal([]byte(t), &inner); err != nil {
			break
		}
		s = inner
	}
	return s, true
}

// decodeString reads a metadata string. Null or absent is "".
func decodeString(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	if s, ok := unquote(raw); ok {
		return s, nil
	}
	// A number or bool where a string was expected: keep its text.
	if raw[0] != '{' && raw[0] != '[' {
		return string(raw), nil
	}
	return "", fmt.Errorf("want a string, got %.40s", raw)
}

// decodeInt reads an integer that may arrive as a number or a (quoted) string.
func decodeInt(raw json.RawMessage) (int64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return 0, nil
	}
	text := string(raw)
	if s, ok := unquote(raw); ok {
		text = strings.TrimSpace(s)
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("want an integer, got %.40q", text)
	}
	return n, nil
}

// decodeBool reads a bool that may arrive as true, "true", "True" or "\"True\"".
func decodeBool(raw json.RawMessage) (bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return false, nil
	}
	text := string(raw)
	if s, ok := unquote(raw); ok {
		text = strings.TrimSpace(s)
	}
	b, err := strconv.ParseBool(strings.ToLower(text))
	if err != nil {
		return false, fmt.Errorf("want a boolean, got %.40q", text)
	}
	return b, nil
}

// timeLayouts are the shapes the host produces: RFC 3339 with or without
// fractions, and .NET's DateTime.ToString() round-trip without an offset.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.9999999",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"01/02/2006 15:04:05",
}

// decodeTime reads a timestamp. A time without an offset is UTC: the host
// sends the *Utc fields that way, and Functions runs in UTC on Linux.
func decodeTime(raw json.RawMessage) (time.Time, error) {
	s, err := decodeString(raw)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("want a timestamp, got %.40q", s)
}

// decodeObject reads a JSON object that may arrive as an object or as a
// string holding one (older hosts string-encode nested values).
func decodeObject(raw json.RawMessage) (map[string]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if s, ok := unquote(raw); ok {
		raw = []byte(strings.TrimSpace(s))
		if len(raw) == 0 {
			return nil, nil
		}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("want an object: %w", err)
	}
	return m, nil
}

// decodeBody turns a trigger's Data value into the bytes that were sent.
// Text bodies arrive as a JSON string, possibly quoted twice; a body that was
// JSON may also arrive as the JSON value itself. With binary set, the string
// is base64 (function.json "dataType": "binary").
func decodeBody(raw json.RawMessage, binary bool) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	s, isString := unquote(raw)
	if !isString {
		// An object, array or number: the body was JSON and arrived as itself.
		return append([]byte(nil), raw...), nil
	}
	if binary {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("decoding base64 body: %w", err)
		}
		return b, nil
	}
	return []byte(s), nil
}
