package x12

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Seg is a segment to be written: an ID and element values. Trailing empty
// elements are dropped when written. A composite element is built with
// Composite.
type Seg struct {
	ID       string
	Elements []string
}

// NewSeg returns a Seg.
func NewSeg(id string, elems ...string) Seg { return Seg{ID: id, Elements: elems} }

// componentMark stands for the component separator inside Seg values until
// the Writer knows which byte it is.
const componentMark = '\x1f'

// Composite joins components into one element value.
func Composite(parts ...string) string { return strings.Join(parts, string(componentMark)) }

// Writer writes segments with caller-chosen delimiters. A value that
// contains a delimiter is an error (X12 004010 has no escape character).
type Writer struct {
	w      *bufio.Writer
	d      Delimiters
	suffix string
	n      int
	buf    []byte
}

// NewWriter returns a Writer. suffix is written after every terminator,
// e.g. "\n" for one segment per line, or "" for canonical output.
func NewWriter(w io.Writer, d Delimiters, suffix string) (*Writer, error) {
	if d == (Delimiters{}) {
		return nil, errDelimitersUnset
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("x12: writer delimiters: %w", err)
	}
	for i := 0; i < len(suffix); i++ {
		if c := suffix[i]; c != '\r' && c != '\n' {
			return nil, fmt.Errorf("x12: writer suffix may hold only CR and LF")
		}
	}
	return &Writer{w: bufio.NewWriterSize(w, 32<<10), d: d, suffix: suffix}, nil
}

// Count returns the number of segments written.
func (w *Writer) Count() int { return w.n }

// Delimiters returns the writer's delimiters.
func (w *Writer) Delimiters() Delimiters { return w.d }

// Write writes one segment.
func (w *Writer) Write(s Seg) error {
	b, err := appendSeg(w.buf[:0], s, w.d)
	w.buf = b
	if err != nil {
		return err
	}
	return w.put(b)
}

// WriteSegment writes a segment read from X12, converting it to the
// writer's delimiters. With the same delimiters the bytes are copied as read.
func (w *Writer) WriteSegment(seg Segment) error {
	if seg.IsZero() {
		return nil
	}
	if seg.delims == w.d {
		return w.put(seg.raw)
	}
	b, err := redelimit(w.buf[:0], seg, w.d)
	w.buf = b
	if err != nil {
		return err
	}
	return w.put(b)
}

func (w *Writer) put(b []byte) error {
	if _, err := w.w.Write(b); err != nil {
		return err
	}
	if err := w.w.WriteByte(w.d.Segment); err != nil {
		return err
	}
	if w.suffix != "" {
		if _, err := w.w.WriteString(w.suffix); err != nil {
			return err
		}
	}
	w.n++
	return nil
}

// Flush writes buffered data to the underlying writer.
func (w *Writer) Flush() error { return w.w.Flush() }

// appendSeg renders s with delimiters d.
func appendSeg(b []byte, s Seg, d Delimiters) ([]byte, error) {
	if !validID([]byte(s.ID)) {
		return b, &Error{Code: CodeUnrecognizedSegment, Offset: -1, SegmentID: s.ID, Detail: "invalid segment ID"}
	}
	elems := s.Elements
	isa := s.ID == "ISA"
	if !isa {
		for len(elems) > 0 && elems[len(elems)-1] == "" {
			elems = elems[:len(elems)-1]
		}
	}
	b = append(b, s.ID...)
	for i, v := range elems {
		b = append(b, d.Element)
		if isa && (i == 10 || i == 15) {
			b = append(b, v...) // ISA11 and ISA16 carry delimiters by design
			continue
		}
		for k := 0; k < len(v); k++ {
			c := v[k]
			if c == componentMark {
				c = d.Component
			} else if d.isDelimiter(c) {
				return b, &Error{Code: CodeDelimiterUse, Offset: -1, SegmentID: s.ID, Element: i + 1,
					Value: v, Detail: fmt.Sprintf("%q", c)}
			}
			b = append(b, c)
		}
	}
	return b, nil
}

// redelimit renders a read segment with other delimiters.
func redelimit(b []byte, seg Segment, d Delimiters) ([]byte, error) {
	src := seg.delims
	isa := seg.Is("ISA")
	elem := 0
	for k, c := range seg.raw {
		switch {
		case c == src.Element:
			elem++
			c = d.Element
		case isa && elem == 16:
			c = d.Component
		case isa && elem == 11:
			if d.Repetition != 0 && c == src.Repetition && src.Repetition != 0 {
				c = d.Repetition
			}
		case c == src.Component:
			c = d.Component
		case src.Repetition != 0 && c == src.Repetition && d.Repetition != 0:
			c = d.Repetition
		case d.isDelimiter(c):
			return b, &Error{Code: CodeDelimiterUse, Offset: seg.Offset + int64(k), Segment: seg.Ordinal,
				SegmentID: seg.IDString(), Element: elem, Detail: fmt.Sprintf("%q", c)}
		}
		b = append(b, c)
	}
	return b, nil
}

// Encode writes the document with other delimiters and an optional suffix
// after each terminator. Stray segments are not written.
func (d *Document) Encode(w io.Writer, delims Delimiters, suffix string) error {
	wr, err := NewWriter(w, delims, suffix)
	if err != nil {
		return err
	}
	d.Segments(func(s Segment) bool {
		err = wr.WriteSegment(s)
		return err == nil
	})
	if err != nil {
		return err
	}
	return wr.Flush()
}
