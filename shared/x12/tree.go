package x12

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
)

// Document is a parsed X12 file: interchanges, functional groups and
// transaction sets, plus whatever could not be placed. Parsing never
// drops a readable segment: segments outside their envelope are kept as
// Stray, and unreadable bytes are reported in Problems.
type Document struct {
	Interchanges []*Interchange `json:"interchanges"`
	// Stray holds segments found outside any interchange.
	Stray []Segment `json:"stray,omitempty"`
	// Problems holds reading problems and notices in input order.
	Problems []*Error `json:"problems,omitempty"`
	// Size is the number of input bytes.
	Size int64 `json:"size"`
}

// Interchange is one ISA/IEA envelope.
type Interchange struct {
	ISA Segment `json:"isa"` // zero when the interchange had no ISA
	IEA Segment `json:"iea"` // zero when the IEA is missing
	// TA1 holds interchange acknowledgments at interchange level.
	TA1    []Segment `json:"ta1,omitempty"`
	Groups []*Group  `json:"groups"`
	// Stray holds non-envelope segments between groups.
	Stray []Segment `json:"stray,omitempty"`

	start Segment // segment that opened an interchange without ISA
	end   Segment // segment or end-of-input mark that closed one without IEA
}

// Group is one GS/GE functional group.
type Group struct {
	GS   Segment        `json:"gs"` // zero when the group had no GS
	GE   Segment        `json:"ge"` // zero when the GE is missing
	Sets []*Transaction `json:"sets"`
	// Stray holds non-envelope segments between transaction sets.
	Stray []Segment `json:"stray,omitempty"`

	start Segment
	end   Segment
}

// Transaction is one ST/SE transaction set. Its segments run from ST
// through SE inclusive (SE only when present). They are kept as compact
// records without pointers, so a large document costs the garbage
// collector little; Segment(i) returns a view.
type Transaction struct {
	recs   []segRec
	src    *source
	delims Delimiters

	end Segment // what closed a set without SE
}

// source is the input and element index shared by a document's sets.
// data starts at input offset base (0 for a whole document; a streamed set
// holds only its own bytes).
type source struct {
	data []byte
	seps []int32
	base int64
}

// segRec locates one segment in the source.
type segRec struct {
	off  int64  // offset in data
	n    uint32 // length
	sep  uint32 // first separator index in source.seps
	nsep uint32 // number of separators
	ord  uint32 // ordinal in the input
}

// Len returns the number of segments, ST and SE included.
func (t *Transaction) Len() int { return len(t.recs) }

// Segment returns segment i (0 is the ST).
func (t *Transaction) Segment(i int) Segment {
	r := &t.recs[i]
	start := r.off - t.src.base
	end := start + int64(r.n)
	return Segment{
		raw:     t.src.data[start:end:end],
		seps:    t.src.seps[r.sep : r.sep+r.nsep : r.sep+r.nsep],
		delims:  t.delims,
		Offset:  r.off,
		Ordinal: int(r.ord),
	}
}

// segmentInto makes *s segment i, field by field (see Reader.emit).
func (t *Transaction) segmentInto(i int, s *Segment) {
	r := &t.recs[i]
	start := r.off - t.src.base
	end := start + int64(r.n)
	s.raw = t.src.data[start:end:end]
	s.seps = t.src.seps[r.sep : r.sep+r.nsep : r.sep+r.nsep]
	s.delims = t.delims
	s.Offset, s.Ordinal = r.off, int(r.ord)
}

// Segments returns views of all the set's segments in a new slice.
func (t *Transaction) Segments() []Segment {
	out := make([]Segment, len(t.recs))
	for i := range t.recs {
		out[i] = t.Segment(i)
	}
	return out
}

// MarshalJSON renders the set as its segments.
func (t *Transaction) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Segments []Segment `json:"segments"`
	}{t.Segments()})
}

// Delimiters returns the interchange's delimiters (those of its first segment).
func (ix *Interchange) Delimiters() Delimiters {
	if !ix.ISA.IsZero() {
		return ix.ISA.delims
	}
	return ix.start.delims
}

// Control returns ISA13, the interchange control number.
func (ix *Interchange) Control() string { return ix.ISA.Trimmed(13) }

// FunctionalID returns GS01.
func (g *Group) FunctionalID() string { return g.GS.String(1) }

// Control returns GS06, the group control number.
func (g *Group) Control() string { return g.GS.Trimmed(6) }

// Version returns GS08.
func (g *Group) Version() string { return g.GS.String(8) }

// ST returns the header segment.
func (t *Transaction) ST() Segment { return t.Segment(0) }

// SE returns the trailer, or a zero Segment when it is missing.
func (t *Transaction) SE() Segment {
	if n := len(t.recs); n > 1 {
		if s := t.Segment(n - 1); s.Is("SE") {
			return s
		}
	}
	return Segment{}
}

// ID returns ST01, e.g. "850".
func (t *Transaction) ID() string { return t.Segment(0).String(1) }

// Control returns ST02.
func (t *Transaction) Control() string { return t.Segment(0).Trimmed(2) }

// bodyRange returns the indexes of the segments between ST and SE.
func (t *Transaction) bodyRange() (int, int) {
	end := len(t.recs)
	if !t.SE().IsZero() {
		end--
	}
	return 1, end
}

// Body returns views of the segments between ST and SE in a new slice.
func (t *Transaction) Body() []Segment {
	from, to := t.bodyRange()
	out := make([]Segment, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, t.Segment(i))
	}
	return out
}

// Parse reads all of r and parses it. The error is only for I/O; problems
// in the data are in Document.Problems and in the Report from Validate.
// When r can tell how much it holds (a regular file, bytes.Reader,
// strings.Reader, bytes.Buffer) the input is read straight into one buffer
// of that size, so its bytes are copied once.
func Parse(r io.Reader) (*Document, error) {
	data, err := readInput(r)
	if err != nil {
		return nil, fmt.Errorf("x12: reading input: %w", err)
	}
	return ParseBytes(data), nil
}

// readInput reads r to the end, into a buffer of the size r announces when
// it announces one.
func readInput(r io.Reader) ([]byte, error) {
	size := int64(-1)
	switch v := r.(type) {
	case interface{ Len() int }:
		size = int64(v.Len())
	case interface {
		Stat() (fs.FileInfo, error)
		io.Seeker
	}:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			if pos, err := v.Seek(0, io.SeekCurrent); err == nil && pos <= fi.Size() {
				size = fi.Size() - pos
			}
		}
	}
	if size < 0 || size > math.MaxInt32 {
		return io.ReadAll(r)
	}
	// one spare byte shows the end without a second buffer
	buf := make([]byte, 0, size+1)
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
		if len(buf) == cap(buf) { // the input grew: read the rest as it comes
			rest, err := io.ReadAll(r)
			return append(buf, rest...), err
		}
	}
}

// ParseBytes parses data. The Document's segments alias data, which must
// not be modified while the Document is in use.
func ParseBytes(data []byte) *Document {
	b := &treeBuilder{doc: &Document{Size: int64(len(data))}, src: &source{data: data}}
	segs, seps := estimate(data)
	b.all = make([]segRec, 0, segs)
	b.arena = make([]int32, 0, seps)
	_ = drive(NewBytesReader(data), b) // a bytes reader has no I/O errors
	b.finish()
	return b.doc
}

// estimate sizes the tree from the first ISA's delimiters; counting bytes
// is much cheaper than growing the slices.
func estimate(data []byte) (segs, seps int) {
	segs, seps = len(data)/24+16, len(data)/5+16
	if len(data) >= 106 && string(data[:3]) == "ISA" {
		segs = bytes.Count(data, data[105:106]) + 16
		seps = bytes.Count(data, data[3:4]) + 16
	}
	return segs, seps
}

// Segments calls fn for every segment of the document in envelope order.
func (d *Document) Segments(fn func(Segment) bool) {
	for _, ix := range d.Interchanges {
		if !ix.ISA.IsZero() && !fn(ix.ISA) {
			return
		}
		for _, s := range ix.TA1 {
			if !fn(s) {
				return
			}
		}
		for _, g := range ix.Groups {
			if !g.GS.IsZero() && !fn(g.GS) {
				return
			}
			for _, t := range g.Sets {
				for i := range t.recs {
					if !fn(t.Segment(i)) {
						return
					}
				}
			}
			if !g.GE.IsZero() && !fn(g.GE) {
				return
			}
		}
		if !ix.IEA.IsZero() && !fn(ix.IEA) {
			return
		}
	}
}

// WriteTo writes the document back as it was read: each segment's bytes
// followed by its interchange's terminator. For canonical input (no
// whitespace between segments) the output is byte-identical to the input.
// Stray segments are not written.
func (d *Document) WriteTo(w io.Writer) (int64, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	var n int64
	var err error
	d.Segments(func(s Segment) bool {
		var k int
		k, err = bw.Write(s.raw)
		n += int64(k)
		if err == nil {
			err = bw.WriteByte(s.delims.Segment)
			n++
		}
		return err == nil
	})
	if err == nil {
		err = bw.Flush()
	}
	return n, err
}

// MarshalJSON renders a segment as an array: ID then elements.
func (s Segment) MarshalJSON() ([]byte, error) {
	if s.IsZero() {
		return []byte("null"), nil
	}
	out := make([]string, 0, s.Len()+1)
	out = append(out, s.IDString())
	out = append(out, s.Elements()...)
	return json.Marshal(out)
}

// sink receives the envelope structure of a segment stream. Starts and
// ends marked implicit had no header or trailer; the segment passed is the
// one that revealed it (or an end-of-input mark with no bytes).
type sink interface {
	interchangeStart(isa Segment, implicit bool)
	interchangeEnd(iea Segment, implicit bool)
	groupStart(gs Segment, implicit bool)
	groupEnd(ge Segment, implicit bool)
	setStart(st Segment)
	setSegment(seg *Segment, k uint32) // a view, valid only during the call; k is key(seg.ID())
	setEnd(se Segment, implicit bool)
	loose(seg Segment, level level)
	problem(e *Error)
}

// level says where a loose segment was found.
type level uint8

const (
	levelFile level = iota
	levelInterchange
	levelGroup
)

// structure turns a segment stream into envelope events.
type structure struct {
	s                 sink
	inIx, inGrp, inSt bool
}

func (st *structure) level() level {
	switch {
	case st.inGrp:
		return levelGroup
	case st.inIx:
		return levelInterchange
	}
	return levelFile
}

func (st *structure) closeSet(at Segment) {
	if st.inSt {
		st.s.setEnd(at, true)
		st.inSt = false
	}
}

func (st *structure) closeGroup(at Segment) {
	st.closeSet(at)
	if st.inGrp {
		st.s.groupEnd(at, true)
		st.inGrp = false
	}
}

func (st *structure) closeAll(at Segment) {
	st.closeGroup(at)
	if st.inIx {
		st.s.interchangeEnd(at, true)
		st.inIx = false
	}
}

// Keys of the envelope segment IDs, for feed's switch.
const (
	keyISA = 3<<24 | 'I'<<16 | 'S'<<8 | 'A'
	keyIEA = 3<<24 | 'I'<<16 | 'E'<<8 | 'A'
	keyGS  = 2<<24 | 'G'<<16 | 'S'<<8
	keyGE  = 2<<24 | 'G'<<16 | 'E'<<8
	keyST  = 2<<24 | 'S'<<16 | 'T'<<8
	keySE  = 2<<24 | 'S'<<16 | 'E'<<8
)

// isEnvelopeKey reports whether k is the key of ISA, IEA, GS, GE, ST or SE.
func isEnvelopeKey(k uint32) bool {
	switch k {
	case keyISA, keyIEA, keyGS, keyGE, keyST, keySE:
		return true
	}
	return false
}

func (st *structure) feed(p *Segment) {
	if k := key(p.id()); !isEnvelopeKey(k) {
		if st.inSt {
			st.s.setSegment(p, k)
			return
		}
		st.s.loose(*p, st.level())
		return
	}
	seg := *p
	switch key(seg.ID()) {
	case keyISA:
		st.closeAll(seg)
		st.s.interchangeStart(seg, false)
		st.inIx = true
	case keyIEA:
		st.closeGroup(seg)
		if !st.inIx {
			st.s.loose(seg, levelFile)
			return
		}
		st.s.interchangeEnd(seg, false)
		st.inIx = false
	case keyGS:
		st.closeGroup(seg)
		if !st.inIx {
			st.s.interchangeStart(seg, true)
			st.inIx = true
		}
		st.s.groupStart(seg, false)
		st.inGrp = true
	case keyGE:
		st.closeSet(seg)
		if !st.inGrp {
			st.s.loose(seg, st.level())
			return
		}
		st.s.groupEnd(seg, false)
		st.inGrp = false
	case keyST:
		st.closeSet(seg)
		if !st.inGrp {
			if !st.inIx {
				st.s.interchangeStart(seg, true)
				st.inIx = true
			}
			st.s.groupStart(seg, true)
			st.inGrp = true
		}
		st.s.setStart(seg)
		st.inSt = true
	case keySE:
		if !st.inSt {
			st.s.loose(seg, st.level())
			return
		}
		st.s.setEnd(seg, false)
		st.inSt = false
	}
}

// drive feeds every segment of rd to s. It returns only I/O errors.
func drive(rd *Reader, s sink) error {
	st := structure{s: s}
	var ioErr error
	for {
		err := rd.advance()
		if err == nil {
			st.feed(&rd.cur)
			continue
		}
		if err == io.EOF {
			break
		}
		var xe *Error
		if errors.As(err, &xe) {
			s.problem(xe)
			continue
		}
		ioErr = err
		break
	}
	st.closeAll(Segment{Offset: rd.InputOffset(), Ordinal: rd.Count() + 1})
	for _, n := range rd.Notices() {
		s.problem(n)
	}
	return ioErr
}

// treeBuilder builds a Document from envelope events. Segment bytes alias
// the input; element indexes are copied into one growing arena.
type treeBuilder struct {
	doc   *Document
	src   *source
	ix    *Interchange
	grp   *Group
	set   *Transaction
	start int // index in all where the current set begins
	all   []segRec
	arena []int32
	// ranges records each transaction's records in all, resolved by finish.
	ranges []setRange
}

type setRange struct {
	t          *Transaction
	start, end int
}

// keep copies an envelope or stray segment's element index into the arena.
func (b *treeBuilder) keep(s Segment) Segment {
	if s.raw == nil {
		return s
	}
	a := len(b.arena)
	b.arena = append(b.arena, s.seps...)
	s.seps = b.arena[a:len(b.arena):len(b.arena)]
	return s
}

// record adds a set segment as a compact record.
func (b *treeBuilder) record(s *Segment) {
	a := len(b.arena)
	b.arena = append(b.arena, s.seps...)
	b.all = append(b.all, segRec{off: s.Offset, n: uint32(len(s.raw)), sep: uint32(a), nsep: uint32(len(s.seps)), ord: uint32(s.Ordinal)})
}

func (b *treeBuilder) interchangeStart(isa Segment, implicit bool) {
	b.ix = &Interchange{}
	if implicit {
		b.ix.start = b.keep(isa)
	} else {
		b.ix.ISA = b.keep(isa)
	}
	b.doc.Interchanges = append(b.doc.Interchanges, b.ix)
}

func (b *treeBuilder) interchangeEnd(iea Segment, implicit bool) {
	if implicit {
		b.ix.end = b.keep(iea)
	} else {
		b.ix.IEA = b.keep(iea)
	}
	b.ix = nil
}

func (b *treeBuilder) groupStart(gs Segment, implicit bool) {
	b.grp = &Group{}
	if implicit {
		b.grp.start = b.keep(gs)
	} else {
		b.grp.GS = b.keep(gs)
	}
	b.ix.Groups = append(b.ix.Groups, b.grp)
}

func (b *treeBuilder) groupEnd(ge Segment, implicit bool) {
	if implicit {
		b.grp.end = b.keep(ge)
	} else {
		b.grp.GE = b.keep(ge)
	}
	b.grp = nil
}

func (b *treeBuilder) setStart(st Segment) {
	b.set = &Transaction{src: b.src, delims: st.delims}
	b.start = len(b.all)
	b.record(&st)
	b.grp.Sets = append(b.grp.Sets, b.set)
}

func (b *treeBuilder) setSegment(seg *Segment, _ uint32) { b.record(seg) }

func (b *treeBuilder) setEnd(se Segment, implicit bool) {
	if implicit {
		b.set.end = b.keep(se)
	} else {
		b.record(&se)
	}
	b.ranges = append(b.ranges, setRange{b.set, b.start, len(b.all)})
	b.set = nil
}

func (b *treeBuilder) loose(seg Segment, l level) {
	seg = b.keep(seg)
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

func (b *treeBuilder) problem(e *Error) { b.doc.Problems = append(b.doc.Problems, e) }

// finish points every transaction at its records and the final arena.
func (b *treeBuilder) finish() {
	b.src.seps = b.arena
	for _, r := range b.ranges {
		r.t.recs = b.all[r.start:r.end:r.end]
	}
	b.ranges = nil
}

// replay sends the document's structure to s as if it were being read.
func (d *Document) replay(s sink) {
	var seg Segment
	for _, p := range d.Problems {
		s.problem(p)
	}
	for _, ix := range d.Interchanges {
		if ix.ISA.IsZero() {
			s.interchangeStart(ix.start, true)
		} else {
			s.interchangeStart(ix.ISA, false)
		}
		for _, t := range ix.TA1 {
			s.loose(t, levelInterchange)
		}
		for _, g := range ix.Groups {
			if g.GS.IsZero() {
				s.groupStart(g.start, true)
			} else {
				s.groupStart(g.GS, false)
			}
			for _, t := range g.Sets {
				s.setStart(t.Segment(0))
				from, to := t.bodyRange()
				for i := from; i < to; i++ {
					t.segmentInto(i, &seg)
					s.setSegment(&seg, key(seg.id()))
				}
				if se := t.SE(); se.IsZero() {
					s.setEnd(t.end, true)
				} else {
					s.setEnd(se, false)
				}
			}
			for _, seg := range g.Stray {
				s.loose(seg, levelGroup)
			}
			if g.GE.IsZero() {
				s.groupEnd(g.end, true)
			} else {
				s.groupEnd(g.GE, false)
			}
		}
		for _, seg := range ix.Stray {
			s.loose(seg, levelInterchange)
		}
		if ix.IEA.IsZero() {
			s.interchangeEnd(ix.end, true)
		} else {
			s.interchangeEnd(ix.IEA, false)
		}
	}
	for _, seg := range d.Stray {
		s.loose(seg, levelFile)
	}
}
