package x12

import (
	"bytes"
	"strings"
)

// Segment is a read-only view of one segment. A Segment returned by
// Reader.Next points into the reader's buffer and is valid only until the
// next call to Next; call Clone to keep it. Segments held by a Document stay
// valid as long as the Document.
//
// Elements are numbered from 1 as in X12 (BEG01 is Element(1)); Element(0)
// is the segment ID.
type Segment struct {
	raw    []byte  // segment bytes without the terminator
	seps   []int32 // offsets of the element separators in raw
	delims Delimiters

	// Offset is the byte offset of the segment's first byte in the input.
	Offset int64
	// Ordinal is the 1-based position of the segment in the input.
	Ordinal int
}

// IsZero reports whether s holds no segment (for example a missing trailer).
func (s Segment) IsZero() bool { return s.raw == nil }

// ID returns the segment identifier, e.g. "ST". It aliases the segment's bytes.
func (s Segment) ID() []byte {
	if len(s.seps) == 0 {
		return s.raw
	}
	return s.raw[:s.seps[0]]
}

// id is ID for the hot paths: a pointer receiver, so that no copy of the
// segment is made to call it.
func (s *Segment) id() []byte {
	if len(s.seps) == 0 {
		return s.raw
	}
	return s.raw[:s.seps[0]]
}

// elem is Element(i) for i >= 1, with a pointer receiver (see id).
func (s *Segment) elem(i int) []byte {
	if i <= 0 || i > len(s.seps) {
		return nil
	}
	start := int(s.seps[i-1]) + 1
	end := len(s.raw)
	if i < len(s.seps) {
		end = int(s.seps[i])
	}
	return s.raw[start:end]
}

// Is reports whether the segment's ID is id. It does not allocate.
func (s Segment) Is(id string) bool { return string(s.ID()) == id }

// IDString returns the segment identifier as a string.
func (s Segment) IDString() string { return string(s.ID()) }

// Len returns the number of data elements after the ID, counting empty
// ones up to the last separator.
func (s Segment) Len() int { return len(s.seps) }

// Element returns data element i (1-based), or nil when the segment has
// fewer elements. The slice aliases the segment's bytes.
func (s Segment) Element(i int) []byte {
	if i <= 0 {
		if i == 0 {
			return s.ID()
		}
		return nil
	}
	if i > len(s.seps) {
		return nil
	}
	start := int(s.seps[i-1]) + 1
	end := len(s.raw)
	if i < len(s.seps) {
		end = int(s.seps[i])
	}
	return s.raw[start:end]
}

// String returns element i as a string ("" when absent).
func (s Segment) String(i int) string { return string(s.Element(i)) }

// Trimmed returns element i as a string with surrounding spaces removed,
// useful for fixed-width ISA fields.
func (s Segment) Trimmed(i int) string { return strings.TrimSpace(string(s.Element(i))) }

// Component returns component j (1-based) of element i, or nil.
func (s Segment) Component(i, j int) []byte {
	e := s.Element(i)
	if e == nil || j <= 0 {
		return nil
	}
	c := s.delims.Component
	for k := 1; ; k++ {
		n := bytes.IndexByte(e, c)
		if k == j {
			if n < 0 {
				return e
			}
			return e[:n]
		}
		if n < 0 {
			return nil
		}
		e = e[n+1:]
	}
}

// Components returns the number of components in element i (0 if absent).
func (s Segment) Components(i int) int {
	e := s.Element(i)
	if len(e) == 0 {
		return 0
	}
	return bytes.Count(e, []byte{s.delims.Component}) + 1
}

// Raw returns the segment's bytes without the terminator, delimited as read.
func (s Segment) Raw() []byte { return s.raw }

// Delimiters returns the delimiters of the interchange the segment was read in.
func (s Segment) Delimiters() Delimiters { return s.delims }

// Clone returns a copy that does not share memory with the reader.
func (s Segment) Clone() Segment {
	c := s
	c.raw = make([]byte, len(s.raw))
	copy(c.raw, s.raw)
	c.seps = make([]int32, len(s.seps))
	copy(c.seps, s.seps)
	return c
}

// Elements returns copies of the data elements as strings (without the ID).
func (s Segment) Elements() []string {
	out := make([]string, s.Len())
	for i := range out {
		out[i] = s.String(i + 1)
	}
	return out
}

// Text renders the segment with its own delimiters, without terminator.
func (s Segment) Text() string { return string(s.raw) }

// NewSegment builds a Segment from an ID and elements, delimited by d. It is
// meant for tests and for callers that construct documents by hand.
func NewSegment(d Delimiters, id string, elems ...string) Segment {
	n := len(id)
	for _, e := range elems {
		n += 1 + len(e)
	}
	raw := make([]byte, 0, n)
	raw = append(raw, id...)
	seps := make([]int32, 0, len(elems))
	for _, e := range elems {
		seps = append(seps, int32(len(raw)))
		raw = append(raw, d.Element)
		raw = append(raw, e...)
	}
	return Segment{raw: raw, seps: seps, delims: d}
}

// validID reports whether id looks like an X12 segment identifier: two or
// three upper-case letters or digits, starting with a letter.
func validID(id []byte) bool {
	if len(id) < 2 || len(id) > 3 {
		return false
	}
	if id[0] < 'A' || id[0] > 'Z' {
		return false
	}
	for _, c := range id[1:] {
		if !((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}

// key packs a segment ID of two or three bytes, and its length, into an
// integer for fast comparison; distinct IDs get distinct keys. Other
// lengths map to 0.
func key(id []byte) uint32 {
	if len(id) < 2 || len(id) > 3 {
		return 0
	}
	k := uint32(len(id))<<24 | uint32(id[0])<<16 | uint32(id[1])<<8
	if len(id) == 3 {
		k |= uint32(id[2])
	}
	return k
}

func keyString(id string) uint32 { return key([]byte(id)) }
