package x12

import (
	"io"
	"slices"
)

// ValidateOutline validates X12 read from r as a stream, as ValidateReader
// does, and also returns the document's outline: its interchanges and
// groups with their envelope, TA1 and stray segments (copied, so they stay
// valid) and its reading problems, but no transaction sets. Memory depends
// on the number of envelopes and stray segments, not on the size of the
// input; EachSet reads the sets. The error is only for I/O.
func (v Validator) ValidateOutline(r io.Reader) (*Document, *Report, error) {
	c := v.newChecker()
	b := &outlineBuilder{}
	b.doc = &Document{}
	rd := NewReader(r)
	err := drive(rd, tee{c, b})
	b.doc.Size = rd.InputOffset()
	return b.doc, c.finish(), err
}

// EachSet reads r as a stream and calls fn with each transaction set, ST
// through SE, as soon as it ends. The Transaction holds its own copy of
// the set's bytes, which the next set reuses: fn must not keep it (or a
// Segment from it) after returning. Sets are handed over in input order,
// the same sets Parse would place in the document's groups. After an error
// from fn no more sets are handed over and that error is returned; other
// errors are I/O errors.
func EachSet(r io.Reader, fn func(*Transaction) error) error {
	s := &setStreamer{fn: fn}
	err := drive(NewReader(r), s)
	if s.err != nil {
		return s.err
	}
	return err
}

// tee sends every event to two sinks.
type tee struct{ a, b sink }

func (t tee) interchangeStart(isa Segment, implicit bool) {
	t.a.interchangeStart(isa, implicit)
	t.b.interchangeStart(isa, implicit)
}

func (t tee) interchangeEnd(iea Segment, implicit bool) {
	t.a.interchangeEnd(iea, implicit)
	t.b.interchangeEnd(iea, implicit)
}

func (t tee) groupStart(gs Segment, implicit bool) {
	t.a.groupStart(gs, implicit)
	t.b.groupStart(gs, implicit)
}

func (t tee) groupEnd(ge Segment, implicit bool) {
	t.a.groupEnd(ge, implicit)
	t.b.groupEnd(ge, implicit)
}

func (t tee) setStart(st Segment) {
	t.a.setStart(st)
	t.b.setStart(st)
}

func (t tee) setSegment(seg *Segment, k uint32) {
	t.a.setSegment(seg, k)
	t.b.setSegment(seg, k)
}

func (t tee) setEnd(se Segment, implicit bool) {
	t.a.setEnd(se, implicit)
	t.b.setEnd(se, implicit)
}

func (t tee) loose(seg Segment, l level) {
	t.a.loose(seg, l)
	t.b.loose(seg, l)
}

func (t tee) problem(e *Error) {
	t.a.problem(e)
	t.b.problem(e)
}

// outlineBuilder builds a Document without transaction sets from a stream:
// the segments it keeps are cloned, since the reader's buffer moves on.
type outlineBuilder struct {
	doc *Document
	ix  *Interchange
	grp *Group
}

func (b *outlineBuilder) interchangeStart(isa Segment, implicit bool) {
	b.ix = &Interchange{}
	if implicit {
		b.ix.start = isa.Clone()
	} else {
		b.ix.ISA = isa.Clone()
	}
	b.doc.Interchanges = append(b.doc.Interchanges, b.ix)
}

func (b *outlineBuilder) interchangeEnd(iea Segment, implicit bool) {
	if implicit {
		b.ix.end = cloneMark(iea)
	} else {
		b.ix.IEA = iea.Clone()
	}
	b.ix = nil
}

func (b *outlineBuilder) groupStart(gs Segment, implicit bool) {
	b.grp = &Group{}
	if implicit {
		b.grp.start = gs.Clone()
	} else {
		b.grp.GS = gs.Clone()
	}
	b.ix.Groups = append(b.ix.Groups, b.grp)
}

func (b *outlineBuilder) groupEnd(ge Segment, implicit bool) {
	if implicit {
		b.grp.end = cloneMark(ge)
	} else {
		b.grp.GE = ge.Clone()
	}
	b.grp = nil
}

func (b *outlineBuilder) setStart(Segment)            {}
func (b *outlineBuilder) setSegment(*Segment, uint32) {}
func (b *outlineBuilder) setEnd(Segment, bool)        {}

func (b *outlineBuilder) loose(seg Segment, l level) {
	seg = seg.Clone()
	switch {
	case l == levelGroup && b.grp != nil:
		b.grp.Stray = append(b.grp.Stray, seg)
	case l == levelInterchange && b.ix != nil && seg.Is("TA1"):
		b.ix.TA1 = append(b.ix.TA1, seg)
	case l == levelInterchange && b.ix != nil:
		b.ix.Stray = append(b.ix.Stray, seg)
	default:
		b.doc.Stray = append(b.doc.Stray, seg)
	}
}

func (b *outlineBuilder) problem(e *Error) { b.doc.Problems = append(b.doc.Problems, e) }

// cloneMark clones a segment, keeping an end-of-input mark (no bytes) a mark.
func cloneMark(s Segment) Segment {
	if s.IsZero() {
		return s
	}
	return s.Clone()
}

// setStreamer copies each transaction set out of the reader's buffer into
// one reused buffer and hands it to fn when the set ends.
type setStreamer struct {
	fn  func(*Transaction) error
	err error

	data  []byte
	arena []int32
	recs  []segRec
	base  int64 // input offset of data[0]
	src   source
	t     Transaction
}

func (s *setStreamer) interchangeStart(Segment, bool) {}
func (s *setStreamer) interchangeEnd(Segment, bool)   {}
func (s *setStreamer) groupStart(Segment, bool)       {}
func (s *setStreamer) groupEnd(Segment, bool)         {}
func (s *setStreamer) loose(Segment, level)           {}
func (s *setStreamer) problem(*Error)                 {}

func (s *setStreamer) setStart(st Segment) {
	s.data, s.arena, s.recs = s.data[:0], s.arena[:0], s.recs[:0]
	s.base = st.Offset
	s.t = Transaction{delims: st.delims}
	s.add(&st)
}

// add copies seg's bytes and element index. Segments of a set are read in
// order, so their bytes are kept at their input offsets relative to the
// ST (whatever lay between them, such as terminators, is left as zeros).
func (s *setStreamer) add(seg *Segment) {
	at := int(seg.Offset - s.base)
	if at < len(s.data) { // cannot happen for one stream; keep the bytes apart
		at = len(s.data)
	}
	if gap := at - len(s.data); gap > 0 {
		n := len(s.data)
		s.data = slices.Grow(s.data, gap)[:at]
		clear(s.data[n:])
	}
	s.data = append(s.data, seg.raw...)
	a := len(s.arena)
	s.arena = append(s.arena, seg.seps...)
	s.recs = append(s.recs, segRec{off: s.base + int64(at), n: uint32(len(seg.raw)), sep: uint32(a),
		nsep: uint32(len(seg.seps)), ord: uint32(seg.Ordinal)})
}

func (s *setStreamer) setSegment(seg *Segment, _ uint32) { s.add(seg) }

func (s *setStreamer) setEnd(se Segment, implicit bool) {
	if implicit {
		s.t.end = cloneMark(se)
	} else {
		s.add(&se)
	}
	if s.err != nil {
		return
	}
	s.src = source{data: s.data, seps: s.arena, base: s.base}
	s.t.src = &s.src
	s.t.recs = s.recs
	if err := s.fn(&s.t); err != nil {
		s.err = err
	}
}
