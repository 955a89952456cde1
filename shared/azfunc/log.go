package azfunc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"unicode/utf8"
)

// Redacted replaces a secret or a personal-data value in a log line.
const Redacted = "[REDACTED]"

// minSecretLen keeps very short values (a "1", a "dev") from redacting half a line.
const minSecretLen = 6

// personalKeys are attribute keys whose values are personal data or
// credentials. Their values never reach a log line, whatever they hold.
var personalKeys = map[string]bool{
	"email": true, "e_mail": true, "phone": true, "telephone": true, "mobile": true,
	"address": true, "address1": true, "address2": true, "address_line1": true, "address_line2": true,
	"street": true, "first_name": true, "last_name": true, "full_name": true, "customer_name": true,
	"recipient": true, "ship_to_name": true, "contact": true,
	"password": true, "secret": true, "token": true, "access_token": true, "authorization": true,
	"signature": true, "api_key": true, "app_token": true, "connection_string": true,
}

// Logging is the process's log output: one JSON object per line, written
// once. Debug and Info go to stdout, Warn and Error to stderr. The Functions
// host turns each line into one Application Insights trace of category
// Host.Function.Console: stdout lines at Information, stderr lines at Error,
// or at Warning when the line contains "warn" (any case). So Warn lines
// (`"level":"WARN"`) are Warnings, and an Error line never contains "warn"
// literally: the letter after its "w" is JSON-escaped, which parse_json
// reads back unchanged. Lines are not mirrored into the reply's Logs: that
// would make every line two rows, one of them always Information.
// Configured secrets are removed from every line before it is written.
type Logging struct {
	mu      sync.Mutex
	stdout  io.Writer
	stderr  io.Writer
	level   slog.Leveler
	secrets [][]byte
}

// NewLogging writes to stdout and stderr at level and redacts secrets.
// Secrets shorter than six bytes are ignored.
func NewLogging(stdout, stderr io.Writer, level slog.Leveler, secrets []string) *Logging {
	if level == nil {
		level = slog.LevelInfo
	}
	l := &Logging{stdout: stdout, stderr: stderr, level: level}
	seen := map[string]bool{}
	for _, s := range secrets {
		if len(s) < minSecretLen {
			continue
		}
		// A secret can appear raw or JSON-escaped, with or without HTML
		// escaping of <, > and & (slog does not escape them; encoding/json does).
		forms := []string{s}
		for _, html := range []bool{false, true} {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(html)
			if enc.Encode(s) == nil {
				esc := bytes.TrimSpace(buf.Bytes())
				forms = append(forms, string(esc[1:len(esc)-1]))
			}
		}
		for _, f := range forms {
			if !seen[f] {
				seen[f] = true
				l.secrets = append(l.secrets, []byte(f))
			}
		}
	}
	return l
}

// Logger returns a process-level logger (start-up, background work).
func (l *Logging) Logger() *slog.Logger { return slog.New(l.handler()) }

// Redact removes the configured secrets from s, for text that leaves the
// process by another way than a log line (an alert card).
func (l *Logging) Redact(s string) string { return string(l.redact([]byte(s))) }

func (l *Logging) redact(line []byte) []byte {
	for _, s := range l.secrets {
		if bytes.Contains(line, s) {
			line = bytes.ReplaceAll(line, s, []byte(Redacted))
		}
	}
	return line
}

func (l *Logging) write(w io.Writer, line []byte) {
	l.mu.Lock()
	_, _ = w.Write(line)
	l.mu.Unlock()
}

// hideWarn escapes the letter after the "w" of every "warn" (any case) in
// an error line, so the host does not downgrade the line to a Warning. The
// line is JSON and every letter in it is inside a string, where \u0061 is
// read back as "a".
func hideWarn(line []byte) []byte {
	lower := bytes.ToLower(line)
	i := bytes.Index(lower, []byte("warn"))
	if i < 0 {
		return line
	}
	var out bytes.Buffer
	out.Grow(len(line) + 16)
	for i >= 0 {
		out.Write(line[:i+1])
		fmt.Fprintf(&out, `\u%04x`, line[i+1])
		line, lower = line[i+2:], lower[i+2:]
		i = bytes.Index(lower, []byte("warn"))
	}
	out.Write(line)
	return out.Bytes()
}

func (l *Logging) handler() slog.Handler {
	opts := &slog.HandlerOptions{Level: l.level, ReplaceAttr: replaceAttr}
	return &lineHandler{
		out:  slog.NewJSONHandler(&sink{l: l, w: l.stdout}, opts),
		warn: slog.NewJSONHandler(&sink{l: l, w: l.stderr}, opts),
		err:  slog.NewJSONHandler(&sink{l: l, w: l.stderr, hideWarn: true}, opts),
	}
}

// MaxAttrLen bounds a string attribute in a log line. Values that echo a
// caller's input (a path, an error quoting a body) are cut, so one request
// cannot write megabytes of log.
const MaxAttrLen = 2048

// replaceAttr hides personal and credential fields by key, flattens errors
// to their message and cuts over-long strings.
func replaceAttr(_ []string, a slog.Attr) slog.Attr {
	if personalKeys[strings.ToLower(a.Key)] {
		return slog.String(a.Key, Redacted)
	}
	if err, ok := a.Value.Any().(error); ok {
		return slog.String(a.Key, Clip(err.Error(), MaxAttrLen))
	}
	if a.Value.Kind() == slog.KindString && len(a.Value.String()) > MaxAttrLen {
		return slog.String(a.Key, Clip(a.Value.String(), MaxAttrLen))
	}
	return a
}

// Clip cuts s to at most n bytes on a rune boundary and says how much was
// cut; use it wherever an error or a log line quotes what a caller sent.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s...(%d bytes cut)", s[:cut], len(s)-cut)
}

// sink is where a JSON handler writes: slog writes each record with one Write.
type sink struct {
	l        *Logging
	w        io.Writer
	hideWarn bool
}

func (s *sink) Write(p []byte) (int, error) {
	// Redact first: a secret holding "warn" must still match.
	line := s.l.redact(append([]byte(nil), p...))
	if s.hideWarn {
		line = hideWarn(line)
	}
	s.l.write(s.w, line)
	return len(p), nil
}

// lineHandler sends Warn and Error records to stderr and the rest to stdout.
type lineHandler struct {
	out, warn, err slog.Handler
}

func (h *lineHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.out.Enabled(ctx, level)
}

func (h *lineHandler) Handle(ctx context.Context, r slog.Record) error {
	switch {
	case r.Level >= slog.LevelError:
		return h.err.Handle(ctx, r)
	case r.Level >= slog.LevelWarn:
		return h.warn.Handle(ctx, r)
	}
	return h.out.Handle(ctx, r)
}

func (h *lineHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &lineHandler{out: h.out.WithAttrs(attrs), warn: h.warn.WithAttrs(attrs), err: h.err.WithAttrs(attrs)}
}

func (h *lineHandler) WithGroup(name string) slog.Handler {
	return &lineHandler{out: h.out.WithGroup(name), warn: h.warn.WithGroup(name), err: h.err.WithGroup(name)}
}
