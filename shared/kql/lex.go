package kql

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tInt
	tReal
	tSpan
	tOp
)

type token struct {
	kind tokKind
	text string // identifier, operator or the decoded string
	i    int64
	f    float64
	d    time.Duration
	pos  int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of query"
	case tString:
		return strconv.Quote(t.text)
	default:
		return fmt.Sprintf("%q", t.text)
	}
}

// ops are the operators, longest first so that "==" wins over "=".
var ops = []string{"!contains", "!has", "!in", "==", "!=", "<=", ">=", "=~", "!~", "|", "(", ")", ",", "=", "<", ">", "+", "-", "*", "/", "%", ".", "[", "]", ";"}

var spanUnits = []struct {
	suffix string
	unit   time.Duration
}{
	{"ms", time.Millisecond}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second},
}

func lex(src string) ([]token, error) {
	var out []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'':
			s, n, err := lexString(src[i:])
			if err != nil {
				return nil, fmt.Errorf("at %d: %w", i, err)
			}
			out = append(out, token{kind: tString, text: s, pos: i})
			i += n
		case c >= '0' && c <= '9':
			t, n, err := lexNumber(src[i:])
			if err != nil {
				return nil, fmt.Errorf("at %d: %w", i, err)
			}
			t.pos = i
			out = append(out, t)
			i += n
		case c == '_' || c == '$' || unicode.IsLetter(rune(c)):
			j := i + 1
			for j < len(src) && (isWordByte(src[j]) || src[j] == '$') {
				j++
			}
			// project-away lexes as one word.
			if src[i:j] == "project" && j+1 < len(src) && src[j] == '-' && isIdentStart(src, j+1) {
				j++
				for j < len(src) && isWordByte(src[j]) {
					j++
				}
			}
			out = append(out, token{kind: tIdent, text: src[i:j], pos: i})
			i = j
		default:
			matched := false
			for _, op := range ops {
				if strings.HasPrefix(src[i:], op) {
					// "!in" and "!has" are operators only when a word does not continue them.
					if op[0] == '!' && len(op) > 2 && i+len(op) < len(src) && isWordByte(src[i+len(op)]) {
						continue
					}
					out = append(out, token{kind: tOp, text: op, pos: i})
					i += len(op)
					matched = true
					break
				}
			}
			if !matched {
				return nil, fmt.Errorf("at %d: unexpected character %q", i, c)
			}
		}
	}
	return append(out, token{kind: tEOF, pos: len(src)}), nil
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentStart(src string, j int) bool {
	return j < len(src) && (src[j] == '_' || unicode.IsLetter(rune(src[j])))
}

func lexString(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q:
			return b.String(), i + 1, nil
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("unterminated string")
}

func lexNumber(s string) (token, int, error) {
	j := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	real := false
	if j+1 < len(s) && s[j] == '.' && s[j+1] >= '0' && s[j+1] <= '9' {
		real = true
		j++
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
	}
	num := s[:j]
	for _, u := range spanUnits {
		if strings.HasPrefix(s[j:], u.suffix) && (j+len(u.suffix) == len(s) || !isWordByte(s[j+len(u.suffix)])) {
			f, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return token{}, 0, err
			}
			return token{kind: tSpan, text: s[:j+len(u.suffix)], d: time.Duration(f * float64(u.unit))}, j + len(u.suffix), nil
		}
	}
	if j < len(s) && isWordByte(s[j]) {
		return token{}, 0, fmt.Errorf("malformed number %q", s[:j+1])
	}
	if real {
		f, err := strconv.ParseFloat(num, 64)
		return token{kind: tReal, text: num, f: f}, j, err
	}
	n, err := strconv.ParseInt(num, 10, 64)
	return token{kind: tInt, text: num, i: n}, j, err
}
