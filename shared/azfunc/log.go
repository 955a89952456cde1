package azfunc

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
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

// Logging is the process's log output: one JSON object per line, Info and
// Warn on stdout, Error on stderr (the host records stderr lines as errors).
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
func (l *Logging) Logger() *slog.Logger { return slog.New(l.handler(nil)) }

func (l *Logging) redact(line []byte) []byte {
	for _, s := range l.secrets {
		if bytes.Contains(line, s) {
			line = bytes.ReplaceAll(line, s, []byte(Redacted))
		}
	}
	return line
}

func (l *Logging) write(toStderr bool, line []byte, capture *captured) {
	line = l.redact(line)
	l.mu.Lock()
	w := l.stdout
	if toStderr {
		w = l.stderr
	}
	_, _ = w.Write(line)
	l.mu.Unlock()
	if capture != nil {
		capture.add(string(bytes.TrimRight(line, "\n")))
	}
}

// captured collects an invocation's lines for the reply's Logs.
type captured struct {
	mu    sync.Mutex
	lines []string
}

func (c *captured) add(s string) {
	c.mu.Lock()
	c.lines = append(c.lines, s)
	c.mu.Unlock()
}

func (c *captured) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

func (l *Logging) handler(capture *captured) slog.Handler {
	opts := &slog.HandlerOptions{Level: l.level, ReplaceAttr: replaceAttr}
	return &lineHandler{
		out: slog.NewJSONHandler(&sink{l: l, capture: capture}, opts),
		err: slog.NewJSONHandler(&sink{l: l, capture: capture, stderr: true}, opts),
	}
}

// replaceAttr hides personal and credential fields by key and flattens
// errors to their message.
func replaceAttr(_ []string, a slog.Attr) slog.Attr {
	if personalKeys[strings.ToLower(a.Key)] {
		return slog.String(a.Key, Redacted)
	}
	if err, ok := a.Value.Any().(error); ok {
		return slog.String(a.Key, err.Error())
	}
	return a
}

// sink is where a JSON handler writes: slog writes each record with one Write.
type sink struct {
	l       *Logging
	capture *captured
	stderr  bool
}

func (s *sink) Write(p []byte) (int, error) {
	s.l.write(s.stderr, append([]byte(nil), p...), s.capture)
	return len(p), nil
}

// lineHandler sends Error records to stderr and the rest to stdout.
type lineHandler struct {
	out, err slog.Handler
}

func (h *lineHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.out.Enabled(ctx, level)
}

func (h *lineHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		return h.err.Handle(ctx, r)
	}
	return h.out.Handle(ctx, r)
}

func (h *lineHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &lineHandler{out: h.out.WithAttrs(attrs), err: h.err.WithAttrs(attrs)}
}

func (h *lineHandler) WithGroup(name string) slog.Handler {
	return &lineHandler{out: h.out.WithGroup(name), err: h.err.WithGroup(name)}
}
