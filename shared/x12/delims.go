package x12

import (
	"errors"
	"fmt"
)

// Delimiters are the separators of one interchange. Readers take them from
// each ISA; writers take them from the caller.
type Delimiters struct {
	Element    byte `json:"element"`
	Component  byte `json:"component"`
	Segment    byte `json:"segment"`
	Repetition byte `json:"repetition,omitempty"` // 0 when the interchange has none (004010)
}

// DefaultDelimiters is a common choice for outbound files. Nothing in the
// reader assumes it.
var DefaultDelimiters = Delimiters{Element: '*', Component: '>', Segment: '~'}

// Validate reports delimiters that cannot work: zero, alphanumeric, a space
// or not distinct.
func (d Delimiters) Validate() error {
	set := []struct {
		name string
		b    byte
	}{{"element", d.Element}, {"component", d.Component}, {"segment", d.Segment}}
	if d.Repetition != 0 {
		set = append(set, struct {
			name string
			b    byte
		}{"repetition", d.Repetition})
	}
	for i, x := range set {
		if x.b == 0 {
			return fmt.Errorf("%s separator is not set", x.name)
		}
		if isAlnum(x.b) {
			return fmt.Errorf("%s separator %q is alphanumeric", x.name, x.b)
		}
		if x.b == ' ' {
			return fmt.Errorf("%s separator is a space", x.name)
		}
		for _, y := range set[:i] {
			if x.b == y.b {
				return fmt.Errorf("%s and %s separators are both %q", y.name, x.name, x.b)
			}
		}
	}
	return nil
}

// isDelimiter reports whether c is one of d's separators.
func (d Delimiters) isDelimiter(c byte) bool {
	return c == d.Element || c == d.Component || c == d.Segment || (d.Repetition != 0 && c == d.Repetition)
}

// errDelimitersUnset is returned by writers given zero delimiters.
var errDelimitersUnset = errors.New("x12: delimiters not set")

func isAlnum(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
