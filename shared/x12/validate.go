package x12

import (
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// Validator checks X12 against envelope rules and transaction set layouts.
// The zero value uses DefaultSchema and checks everything.
type Validator struct {
	// Schema holds the layouts; nil means DefaultSchema().
	Schema *Schema
	// EnvelopeOnly checks ISA/GS/ST envelopes, counts and control numbers
	// but not the transaction set layouts.
	EnvelopeOnly bool
}

// Validate checks a parsed document with the default schema.
func Validate(doc *Document) *Report { return Validator{}.Validate(doc) }

// Validate checks a parsed document.
func (v Validator) Validate(doc *Document) *Report {
	c := v.newChecker()
	doc.replay(c)
	return c.finish()
}

// ValidateReader checks X12 read from r as a stream, without building a
// Document: memory use depends on the largest segment and the number of
// sets, not on the size of the input. The error is only for I/O.
func (v Validator) ValidateReader(r io.Reader) (*Report, error) {
	c := v.newChecker()
	err := drive(NewReader(r), c)
	return c.finish(), err
}

func (v Validator) newChecker() *checker {
	s := v.Schema
	if s == nil {
		s = DefaultSchema()
	}
	return &checker{schema: s, envOnly: v.EnvelopeOnly, rep: &Report{}, isaSeen: map[string]bool{}}
}

// checker is the sink that validates envelopes and drives the layout walker.
type checker struct {
	schema  *Schema
	envOnly bool
	rep     *Report

	ix  *InterchangeReport
	grp *GroupReport
	set *SetReport
	cs  *compiledSet
	w   walker

	count   int // segments in the current set, ST included
	nGroups int
	isaSeen map[string]bool
	gsSeen  map[string]bool
	stSeen  map[string]bool
	gsCtl   string
}

// finish closes the report. Input with no segment and no problem at all
// (nothing, or only whitespace) is reported as empty: there is no
// interchange to accept.
func (c *checker) finish() *Report {
	if len(c.rep.Interchanges) == 0 && len(c.rep.Errors) == 0 {
		c.rep.Errors = append(c.rep.Errors, &Error{Code: CodeEmpty, Severity: SeverityError, Offset: 0})
	}
	return c.rep
}

func (c *checker) problem(e *Error) {
	c.rep.Errors = append(c.rep.Errors, e)
}

func (c *checker) interchangeStart(isa Segment, implicit bool) {
	ix := &InterchangeReport{Offset: isa.Offset, Groups: []*GroupReport{}}
	c.rep.Interchanges = append(c.rep.Interchanges, ix)
	c.ix = ix
	c.nGroups = 0
	c.gsSeen = map[string]bool{}
	if implicit {
		ix.Implicit = true
		ix.Errors = append(ix.Errors, newError(CodeMissingISA, &isa))
		return
	}
	ix.SenderQualifier = isa.Trimmed(5)
	ix.SenderID = isa.Trimmed(6)
	ix.ReceiverQualifier = isa.Trimmed(7)
	ix.ReceiverID = isa.Trimmed(8)
	ix.Date = isa.Trimmed(9)
	ix.Time = isa.Trimmed(10)
	ix.Version = isa.Trimmed(12)
	ix.Control = isa.Trimmed(13)
	ix.AckRequested = isa.Trimmed(14) == "1"
	ix.Usage = isa.Trimmed(15)
	ix.Delimiters = isa.delims
	isaCheck().check(&isa, true, 0, "", &ix.Errors)
	if ix.Version < "00402" && isa.Trimmed(11) != "U" && isa.Trimmed(11) != "" {
		e := newError(CodeInvalidCode, &isa)
		e.Element, e.Value, e.Detail = 11, isa.String(11), "ISA11 is U before version 00402"
		ix.Errors = append(ix.Errors, e)
	}
	k := ix.SenderQualifier + ":" + ix.SenderID + "|" + ix.ReceiverQualifier + ":" + ix.ReceiverID + "|" + ix.Control
	if c.isaSeen[k] {
		e := newError(CodeDuplicateISA, &isa)
		e.Element, e.Value = 13, ix.Control
		ix.Errors = append(ix.Errors, e)
	}
	c.isaSeen[k] = true
}

func (c *checker) interchangeEnd(iea Segment, implicit bool) {
	ix := c.ix
	if ix == nil {
		return
	}
	c.ix = nil
	if implicit {
		if !ix.Implicit { // no ISA, no IEA expected: missing-isa says it all
			ix.Errors = append(ix.Errors, missingTrailer(CodeMissingIEA, &iea))
		}
		return
	}
	c.spec("IEA").check(&iea, false, 0, "", &ix.Errors)
	if n, ok := atoi(iea.Element(1)); ok && n != c.nGroups {
		e := newError(CodeIEACount, &iea)
		e.Element, e.Value, e.Detail = 1, iea.String(1), fmt.Sprintf("IEA01 %d, groups %d", n, c.nGroups)
		ix.Errors = append(ix.Errors, e)
	}
	if !ix.Implicit && !sameControl(iea.Element(2), []byte(ix.Control)) {
		e := newError(CodeIEAControl, &iea)
		e.Element, e.Value, e.Detail = 2, iea.String(2), "ISA13 "+ix.Control
		ix.Errors = append(ix.Errors, e)
	}
}

func (c *checker) groupStart(gs Segment, implicit bool) {
	g := &GroupReport{Offset: gs.Offset, Sets: []*SetReport{}}
	c.ix.Groups = append(c.ix.Groups, g)
	c.grp = g
	c.nGroups++
	c.stSeen = map[string]bool{}
	c.gsCtl = ""
	if implicit {
		g.Implicit = true
		g.Errors = append(g.Errors, newError(CodeMissingGS, &gs))
		return
	}
	g.FunctionalID = gs.String(1)
	g.Sender = gs.Trimmed(2)
	g.Receiver = gs.Trimmed(3)
	g.Date = gs.String(4)
	g.Time = gs.String(5)
	g.Control = gs.Trimmed(6)
	g.Version = gs.String(8)
	c.gsCtl = g.Control
	c.spec("GS").check(&gs, false, 0, "", &g.Errors)
	if !c.schema.funcIDs[g.FunctionalID] && !c.envOnly {
		e := newError(CodeGroupNotSupported, &gs)
		e.Element, e.Value = 1, g.FunctionalID
		g.Errors = append(g.Errors, e)
	}
	if !strings.HasPrefix(g.Version, "00401") {
		e := newError(CodeVersionNotSupported, &gs)
		e.Element, e.Value = 8, g.Version
		g.Errors = append(g.Errors, e)
	}
	if c.gsSeen[g.Control] {
		e := newError(CodeDuplicateGS, &gs)
		e.Element, e.Value = 6, g.Control
		g.Errors = append(g.Errors, e)
	}
	c.gsSeen[g.Control] = true
}

func (c *checker) groupEnd(ge Segment, implicit bool) {
	g := c.grp
	if g == nil {
		return
	}
	c.grp = nil
	g.Included = len(g.Sets)
	defer func() { g.Status = groupStatus(g) }()
	if implicit {
		if !g.Implicit { // no GS, no GE expected: missing-gs says it all
			g.Errors = append(g.Errors, missingTrailer(CodeMissingGE, &ge))
		}
		return
	}
	c.spec("GE").check(&ge, false, 0, "", &g.Errors)
	if n, ok := atoi(ge.Element(1)); ok {
		g.Included = n
		if n != len(g.Sets) {
			e := newError(CodeGECount, &ge)
			e.Element, e.Value, e.Detail = 1, ge.String(1), fmt.Sprintf("GE01 %d, sets %d", n, len(g.Sets))
			g.Errors = append(g.Errors, e)
		}
	}
	if !g.Implicit && !sameControl(ge.Element(2), []byte(c.gsCtl)) {
		e := newError(CodeGEControl, &ge)
		e.Element, e.Value, e.Detail = 2, ge.String(2), "GS06 "+c.gsCtl
		g.Errors = append(g.Errors, e)
	}
}

func (c *checker) setStart(st Segment) {
	s := &SetReport{ID: st.String(1), Control: st.String(2), Offset: st.Offset, Ordinal: st.Ordinal}
	c.grp.Sets = append(c.grp.Sets, s)
	c.set = s
	c.count = 1
	c.cs = nil
	c.spec("ST").check(&st, false, 1, "", &s.Errors)
	if c.stSeen[s.Control] {
		e := newError(CodeDuplicateST, &st)
		e.Element, e.Value, e.Position = 2, s.Control, 1
		s.Errors = append(s.Errors, e)
	}
	c.stSeen[s.Control] = true
	if c.envOnly {
		return
	}
	cs, ok := c.schema.sets[s.ID]
	if !ok {
		e := newError(CodeSetNotSupported, &st)
		e.Element, e.Value, e.Position = 1, s.ID, 1
		s.Errors = append(s.Errors, e)
		return
	}
	if !c.grp.Implicit && cs.spec.FunctionalID != c.grp.FunctionalID {
		e := newError(CodeSetGroupMatch, &st)
		e.Element, e.Value, e.Position = 1, s.ID, 1
		e.Detail = fmt.Sprintf("GS01 %s, expected %s", c.grp.FunctionalID, cs.spec.FunctionalID)
		s.Errors = append(s.Errors, e)
	}
	c.cs = cs
	c.w.reset(c, cs)
}

func (c *checker) setSegment(seg *Segment, k uint32) {
	c.count++
	if c.cs != nil {
		c.w.segment(seg, k, c.count)
	}
}

func (c *checker) setEnd(se Segment, implicit bool) {
	s := c.set
	if s == nil {
		return
	}
	defer func() { c.set = nil }()
	if !implicit {
		c.count++
	}
	s.Segments = c.count
	if c.cs != nil {
		c.w.end(&se, c.count)
	}
	if implicit {
		s.Errors = append(s.Errors, missingTrailer(CodeMissingSE, &se))
	} else {
		c.spec("SE").check(&se, false, c.count, "", &s.Errors)
		if n, ok := atoi(se.Element(1)); ok && n != c.count {
			e := newError(CodeSECount, &se)
			e.Element, e.Value, e.Position = 1, se.String(1), c.count
			e.Detail = fmt.Sprintf("SE01 %d, counted %d", n, c.count)
			s.Errors = append(s.Errors, e)
		}
		if !sameControl(se.Element(2), []byte(s.Control)) {
			e := newError(CodeSEControl, &se)
			e.Element, e.Value, e.Position = 2, se.String(2), c.count
			e.Detail = "ST02 " + s.Control
			s.Errors = append(s.Errors, e)
		}
	}
	s.Status = setStatus(s)
}

func (c *checker) loose(seg Segment, l level) {
	id := seg.ID()
	if string(id) == "TA1" && l != levelFile && c.ix != nil {
		c.ix.TA1++
		c.spec("TA1").check(&seg, false, 0, "", &c.ix.Errors)
		if l == levelGroup {
			c.ix.Errors = append(c.ix.Errors, newError(CodeTA1Placement, &seg))
		}
		return
	}
	code := CodeOutsideInterchange
	switch {
	case string(id) == "SE" || string(id) == "GE" || string(id) == "IEA":
		code = CodeStrayTrailer
	case l == levelGroup:
		code = CodeOutsideSet
	case l == levelInterchange:
		code = CodeOutsideGroup
	}
	e := newError(code, &seg)
	e.Value = clip(seg.raw)
	switch {
	case l == levelGroup && c.grp != nil:
		c.grp.Errors = append(c.grp.Errors, e)
	case l != levelFile && c.ix != nil:
		c.ix.Errors = append(c.ix.Errors, e)
	default:
		c.rep.Errors = append(c.rep.Errors, e)
	}
}

// missingTrailer reports a missing trailer at the segment that revealed it.
func missingTrailer(code Code, at *Segment) *Error {
	e := newError(code, at)
	if !at.IsZero() {
		e.Detail = "before " + e.SegmentID
	}
	return e
}

func (c *checker) spec(id string) *segCheck { return c.schema.checks[id] }

// sameControl compares control numbers ignoring padding: surrounding
// spaces, and leading zeros when both are numeric.
func sameControl(a, b []byte) bool {
	a = trimSpace(a)
	b = trimSpace(b)
	if string(a) == string(b) {
		return true
	}
	x, ok1 := atoi64(a)
	y, ok2 := atoi64(b)
	return ok1 && ok2 && x == y
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

func atoi(b []byte) (int, bool) {
	n, ok := atoi64(b)
	return int(n), ok && n <= 1<<31
}

func atoi64(b []byte) (int64, bool) {
	// the common case, digits without padding, in a form that inlines
	if n := len(b); n > 0 && n <= 18 && b[0] != ' ' && b[n-1] != ' ' {
		var v int64
		for _, c := range b {
			if c-'0' > 9 {
				return 0, false
			}
			v = v*10 + int64(c-'0')
		}
		return v, true
	}
	return atoi64Padded(b)
}

func atoi64Padded(b []byte) (int64, bool) {
	b = trimSpace(b)
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func has(present uint64, e int) bool { return e >= 1 && e <= 64 && present&(1<<uint(e-1)) != 0 }

func checkNote(nt SyntaxNote, present uint64, seg *Segment, sp *SegmentSpec, pos int, loop string, dst *[]*Error) {
	ref := func(e int) int {
		if e >= 1 && e <= len(sp.Elements) {
			return sp.Elements[e-1].Ref
		}
		return 0
	}
	count := 0
	for _, e := range nt.Elems {
		if has(present, e) {
			count++
		}
	}
	switch nt.Kind {
	case Paired:
		if count > 0 && count < len(nt.Elems) {
			for _, e := range nt.Elems {
				if !has(present, e) {
					addElemErr(dst, CodeConditionalMissing, seg, pos, loop, e, ref(e), nil, noteText(nt))
					return
				}
			}
		}
	case Required:
		if count == 0 {
			e := nt.Elems[0]
			addElemErr(dst, CodeConditionalMissing, seg, pos, loop, e, ref(e), nil, noteText(nt))
		}
	case Exclusion:
		if count > 1 {
			seen := 0
			for _, e := range nt.Elems {
				if has(present, e) {
					seen++
					if seen == 2 {
						addElemErr(dst, CodeExclusion, seg, pos, loop, e, ref(e), seg.Element(e), noteText(nt))
						return
					}
				}
			}
		}
	case Conditional:
		if has(present, nt.Elems[0]) {
			for _, e := range nt.Elems[1:] {
				if !has(present, e) {
					addElemErr(dst, CodeConditionalMissing, seg, pos, loop, e, ref(e), nil, noteText(nt))
					return
				}
			}
		}
	case ListConditional:
		if has(present, nt.Elems[0]) && count == 1 {
			e := nt.Elems[1]
			addElemErr(dst, CodeConditionalMissing, seg, pos, loop, e, ref(e), nil, noteText(nt))
		}
	}
}

func noteText(nt SyntaxNote) string {
	var b strings.Builder
	b.WriteByte("?PRECL"[nt.Kind])
	for _, e := range nt.Elems {
		fmt.Fprintf(&b, "%02d", e)
	}
	return b.String()
}

func addElemErr(dst *[]*Error, code Code, seg *Segment, pos int, loop string, elem, ref int, v []byte, detail string) {
	e := newError(code, seg)
	e.Position, e.Loop, e.Element, e.Ref, e.Detail = pos, loop, elem, ref, detail
	if v != nil {
		e.Value = clip(v)
	}
	*dst = append(*dst, e)
}

// checkValue returns the problem with one non-empty simple element value.
func checkValue(es *ElementSpec, v []byte) Code {
	switch es.Type {
	case N0, N2:
		digits := 0
		for i, c := range v {
			if c >= '0' && c <= '9' {
				digits++
			} else if !(c == '-' && i == 0) {
				return CodeInvalidCharacter
			}
		}
		if digits == 0 {
			return CodeInvalidCharacter
		}
		return checkLen(es, digits)
	case R:
		digits, dots := 0, 0
		for i, c := range v {
			switch {
			case c >= '0' && c <= '9':
				digits++
			case c == '.':
				dots++
			case c == '-' && i == 0:
			default:
				return CodeInvalidCharacter
			}
		}
		if digits == 0 || dots > 1 {
			return CodeInvalidCharacter
		}
		return checkLen(es, digits)
	case DT:
		if code := checkLen(es, len(v)); code != "" {
			return code
		}
		if !validDate(v) {
			return CodeInvalidDate
		}
		return ""
	case TM:
		if code := checkLen(es, len(v)); code != "" {
			return code
		}
		if !validTime(v) {
			return CodeInvalidTime
		}
		return ""
	}
	if code := checkLen(es, len(v)); code != "" {
		return code
	}
	for _, c := range v {
		if c < 0x20 || c == 0x7f {
			return CodeInvalidCharacter
		}
	}
	if es.Codes != nil {
		for _, code := range es.Codes {
			if string(v) == code {
				return ""
			}
		}
		return CodeInvalidCode
	}
	return ""
}

func checkLen(es *ElementSpec, n int) Code {
	if n < es.Min {
		return CodeTooShort
	}
	if es.Max > 0 && n > es.Max {
		return CodeTooLong
	}
	return ""
}

// validDate accepts CCYYMMDD or YYMMDD.
func validDate(v []byte) bool {
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	var y, m, d int
	switch len(v) {
	case 8:
		y = num(v[0:4])
		m, d = num(v[4:6]), num(v[6:8])
	case 6:
		y = 2000 + num(v[0:2])
		m, d = num(v[2:4]), num(v[4:6])
	default:
		return false
	}
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
	if m == 2 && (y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
		days = 29
	}
	return d <= days
}

// validTime accepts HHMM, HHMMSS and HHMMSSd[d].
func validTime(v []byte) bool {
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	switch len(v) {
	case 4, 6, 7, 8:
	default:
		return false
	}
	if num(v[0:2]) > 23 || num(v[2:4]) > 59 {
		return false
	}
	return len(v) < 6 || num(v[4:6]) <= 59
}

func num(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

// frame is one open loop in the layout walk.
type frame struct {
	loop *compiledLoop
	pos  int // index of the last matched entry; -1 before the first
	off  int // offset of this frame's use counters in walker.counts
}

// walker follows a transaction set through its layout one segment at a
// time, so it works on streams as well as on parsed documents.
type walker struct {
	c      *checker
	cs     *compiledSet
	stack  []frame
	counts []int32

	rules []ruleState
}

type ruleState struct {
	// what every segment the rule looks at needs comes first, in one
	// cache line
	kind      RuleKind
	hasCur    bool
	curSeen   uint8
	key       uint32
	countOf   uint32
	structKey uint32
	required  []uint32
	rule      *Rule
	n         int64

	sum    decAcc
	seen   bool
	target mark
	// hierarchy
	structure map[string][]string
	hl        []hlNode
	last      int64
	cur       hlNode
	curOffset int64 // where the current HL is, for hl-content errors
	curOrd    int
	curPos    int
	reqIDs    []string
	// levels caches, per HL03 value, what the structure and Requires say
	// about it; emptied when the structure changes.
	levels []levelInfo
	letter [26]uint8 // 1 + index in levels of the one-letter levels, 0 for none
	spare  levelInfo // for a level too long to cache
	hit    int       // 1 + index in hl of the last parent found, 0 for none
}

// levelInfo is what the hierarchy rule knows about one HL03 value.
type levelInfo struct {
	key      uint32   // levelKey of the level
	known    bool     // the structure names the level
	parents  []uint32 // levelKey of each allowed parent level
	allowed  []string // parent levels the structure allows
	reqIDs   []string // segments the level requires
	required []uint32 // their keys
}

// levelKey packs a level code of up to two bytes and its length into an
// integer; longer codes get noLevel, which no packed code equals.
func levelKey(b []byte) uint32 {
	switch len(b) {
	case 0:
		return 0
	case 1:
		return 1<<16 | uint32(b[0])<<8
	case 2:
		return 2<<16 | uint32(b[0])<<8 | uint32(b[1])
	}
	return noLevel
}

const noLevel = 1<<32 - 1

// level returns what the rule knows about HL03 value lvl.
func (rs *ruleState) level(h *HierarchySpec, lvl []byte) *levelInfo {
	if len(lvl) == 1 && lvl[0]-'A' < 26 {
		if j := rs.letter[lvl[0]-'A']; j > 0 {
			return &rs.levels[j-1]
		}
	}
	k := levelKey(lvl)
	if k != noLevel {
		for i := range rs.levels {
			if li := &rs.levels[i]; li.key == k {
				return li
			}
		}
	}
	li := levelInfo{key: k, reqIDs: h.Requires[string(lvl)]}
	li.allowed, li.known = rs.structure[string(lvl)]
	for _, a := range li.allowed {
		li.parents = append(li.parents, levelKey([]byte(a)))
	}
	for _, id := range li.reqIDs {
		li.required = append(li.required, keyString(id))
	}
	if k == noLevel {
		rs.spare = li
		return &rs.spare
	}
	rs.levels = append(rs.levels, li)
	if len(lvl) == 1 && lvl[0]-'A' < 26 && len(rs.levels) < 256 {
		rs.letter[lvl[0]-'A'] = uint8(len(rs.levels))
	}
	return &rs.levels[len(rs.levels)-1]
}

type hlNode struct {
	id    int64
	index int32 // in ruleState.hl
	level [2]byte
	n     uint8
}

func (h *hlNode) levelString() string { return string(h.level[:h.n]) }

// mark remembers where a segment was, for errors reported later.
type mark struct {
	offset   int64
	ordinal  int
	position int
	id       string
	value    string
}

func (w *walker) reset(c *checker, cs *compiledSet) {
	w.c = c
	w.cs = cs
	w.stack = w.stack[:0]
	w.counts = w.counts[:0]
	w.push(cs.root)
	w.stack[0].pos = -1
	if cap(w.rules) < len(cs.rules) {
		w.rules = make([]ruleState, len(cs.rules))
	}
	w.rules = w.rules[:len(cs.rules)]
	for i := range cs.rules {
		r := &cs.rules[i]
		old := &w.rules[i]
		st := ruleState{rule: r, kind: r.Kind, key: keyString(r.Segment), countOf: keyString(r.CountOf),
			hl: old.hl[:0], levels: old.levels[:0]}
		if r.Hierarchy != nil {
			st.structKey = keyString(r.Hierarchy.StructureSegment)
		}
		*old = st
	}
}

func (w *walker) push(l *compiledLoop) {
	off := len(w.counts)
	w.counts = slices.Grow(w.counts, len(l.entries))[:off+len(l.entries)]
	clear(w.counts[off:])
	w.stack = append(w.stack, frame{loop: l, off: off})
}

func (w *walker) pop(at *Segment, pos int) {
	f := &w.stack[len(w.stack)-1]
	w.missing(f, f.pos+1, len(f.loop.entries), at, pos)
	w.counts = w.counts[:f.off]
	w.stack = w.stack[:len(w.stack)-1]
}

func (w *walker) missing(f *frame, from, to int, at *Segment, pos int) {
	for _, j := range f.loop.mandatory {
		if j < from || j >= to {
			continue
		}
		e := &f.loop.entries[j]
		if w.counts[f.off+j] != 0 {
			continue
		}
		err := newError(CodeMissingSegment, at)
		err.SegmentID = e.id
		err.Position = pos
		err.Loop = f.loop.id
		if e.loop != nil {
			err.Loop = e.loop.id
		}
		if at.IsZero() || at.Is("SE") {
			err.Detail = e.id + " at end of set"
		} else {
			err.Detail = e.id + " before " + at.IDString()
		}
		w.c.set.Errors = append(w.c.set.Errors, err)
	}
}

func (w *walker) find(k uint32) (int, int, bool) {
	for d := len(w.stack) - 1; d >= 0; d-- {
		f := &w.stack[d]
		start := f.pos
		if start < 0 {
			start = 0
		}
		if l := f.loop; l.index != nil {
			if d > 0 && start == 0 {
				start = 1 // a loop is re-entered by its first segment only from outside
			}
			if m := l.positions(k) >> uint(start); m != 0 {
				return d, start + bits.TrailingZeros64(m), true
			}
			continue
		}
		keys := f.loop.keys
		for i := start; i < len(keys); i++ {
			if keys[i] == k && (d == 0 || i > 0) {
				return d, i, true
			}
		}
	}
	return 0, 0, false
}

func (w *walker) segment(seg *Segment, k uint32, pos int) {
	// rules first, then the layout: their problems are listed in that order
	d, i, ok := w.find(k)
	if !ok {
		if idx := w.cs.rulesFor(k); idx != nil {
			w.applyRules(idx, seg, k, pos)
		}
		w.unplaced(seg, k, pos)
		return
	}
	if idx := w.stack[d].loop.entries[i].rules; idx != nil {
		w.applyRules(idx, seg, k, pos)
	}
	for len(w.stack)-1 > d {
		w.pop(seg, pos)
	}
	f := &w.stack[d]
	e := &f.loop.entries[i]
	cnt := &w.counts[f.off+i]
	if i == f.pos {
		*cnt++
		if e.max > 0 && int(*cnt) > e.max {
			code := CodeSegmentOverMax
			if e.loop != nil {
				code = CodeLoopOverMax
			}
			err := newError(code, seg)
			err.Position, err.Loop = pos, f.loop.id
			if e.loop != nil {
				err.Loop = e.loop.id
			}
			err.Detail = fmt.Sprintf("maximum %d", e.max)
			w.c.set.Errors = append(w.c.set.Errors, err)
		}
	} else {
		w.missing(f, f.pos+1, i, seg, pos)
		f.pos = i
		*cnt = 1
	}
	chk := e.chk
	loopID := f.loop.id
	if e.loop != nil {
		w.push(e.loop)
		top := &w.stack[len(w.stack)-1]
		w.counts[top.off] = 1
		chk = e.loop.entries[0].chk
		loopID = e.loop.id
	}
	chk.check(seg, false, pos, loopID, &w.c.set.Errors)
}

func (w *walker) unplaced(seg *Segment, k uint32, pos int) {
	id := seg.ID()
	code := CodeSegmentNotInSet
	if _, known := w.c.schema.segments[string(id)]; !known || !validID(id) {
		code = CodeUnrecognizedSegment
	} else if w.cs.used[k] {
		code = CodeSegmentOutOfOrder
	}
	err := newError(code, seg)
	err.Position = pos
	err.Loop = w.stack[len(w.stack)-1].loop.id
	w.c.set.Errors = append(w.c.set.Errors, err)
}

func (w *walker) end(at *Segment, pos int) {
	for len(w.stack) > 0 {
		w.pop(at, pos)
	}
	w.finishRules(at, pos)
}

// markOf remembers a segment and one element's value; it allocates, so it
// is used only for segments that occur once per set or for errors.
func markOf(seg *Segment, pos int, elem int) mark {
	return mark{offset: seg.Offset, ordinal: seg.Ordinal, position: pos, id: seg.IDString(), value: clip(seg.Element(elem))}
}

func (m mark) err(code Code, elem int) *Error {
	e := &Error{Code: code, Severity: severityOf(code), Offset: m.offset, Segment: m.ordinal, SegmentID: m.id,
		Position: m.position, Element: elem, Value: m.value}
	return e
}

// applyRules runs the rules at indexes idx, those that look at key k.
func (w *walker) applyRules(idx []int, seg *Segment, k uint32, pos int) {
	for _, i := range idx {
		rs := &w.rules[i]
		switch rs.kind {
		case RuleCount:
			if k == rs.countOf {
				rs.n++
			}
			if k == rs.key {
				rs.seen, rs.target = true, markOf(seg, pos, rs.rule.Element)
			}
		case RuleHash:
			if k == rs.countOf {
				rs.sum.add(seg.elem(rs.rule.SumElement))
			}
			if k == rs.key {
				rs.seen, rs.target = true, markOf(seg, pos, rs.rule.Element)
			}
		case RuleCheckDigit:
			if k != rs.key {
				continue
			}
			r := rs.rule
			q := seg.elem(r.QualifierElement)
			for _, want := range r.Qualifiers {
				if string(q) == want {
					if v := seg.elem(r.Element); len(v) > 0 && !validSSCC(v) {
						e := markOf(seg, pos, r.Element).err(CodeCheckDigit, r.Element)
						e.Ref = 87
						e.Detail = "SSCC-18"
						w.c.set.Errors = append(w.c.set.Errors, e)
					}
				}
			}
		case RuleHierarchy:
			w.hierarchy(rs, seg, k, pos)
		}
	}
}

func (w *walker) hierarchy(rs *ruleState, seg *Segment, k uint32, pos int) {
	if k != rs.key && k != rs.structKey {
		if rs.hasCur {
			for j, rk := range rs.required {
				if rk == k {
					rs.curSeen |= 1 << uint(j)
				}
			}
		}
		return
	}
	h := rs.rule.Hierarchy
	if k == rs.structKey {
		rs.structure = h.Structures[string(seg.elem(h.StructureElement))]
		if rs.structure == nil {
			rs.structure = h.Default
		}
		rs.levels = rs.levels[:0]
		rs.letter = [26]uint8{}
		return
	}
	w.closeHL(rs)
	errs := &w.c.set.Errors
	id, ok := atoi64(seg.elem(1))
	if !ok || id <= rs.last {
		e := markOf(seg, pos, 1).err(CodeHLSequence, 1)
		e.Ref = 628
		if ok {
			e.Detail = fmt.Sprintf("after %d", rs.last)
		} else {
			e.Detail = "not a number"
		}
		*errs = append(*errs, e)
	}
	lvl := seg.elem(3)
	node := hlNode{id: id}
	node.n = uint8(copy(node.level[:], lvl))
	// the parent's level (at most two bytes, a copy of its HL03) and
	// whether the level check is skipped: unknown parent, or level "?"
	var parent *hlNode
	skipLevel := false
	if p := seg.elem(2); len(p) > 0 {
		pid, pok := atoi64(p)
		parent = rs.lookup(pid)
		if !pok || parent == nil {
			e := markOf(seg, pos, 2).err(CodeHLParent, 2)
			e.Ref = 734
			*errs = append(*errs, e)
			parent, skipLevel = nil, true
		} else {
			skipLevel = parent.n == 1 && parent.level[0] == '?'
		}
	} else if len(rs.hl) > 0 && rs.structure == nil {
		// Without a structure only the first HL may be a root.
		e := markOf(seg, pos, 2).err(CodeHLParent, 2)
		e.Ref, e.Detail = 734, "only the first HL may omit HL02"
		*errs = append(*errs, e)
	}
	li := rs.level(h, lvl)
	if rs.structure != nil && !skipLevel && len(lvl) > 0 {
		known := li.known
		okParent := false
		var pk uint32 // the root's
		if parent != nil {
			pk = levelKey(parent.level[:parent.n])
		}
		for _, a := range li.parents {
			if a == pk {
				okParent = true
			}
		}
		if !known || !okParent {
			e := markOf(seg, pos, 3).err(CodeHLLevel, 3)
			e.Ref = 735
			if parent == nil || parent.n == 0 {
				e.Detail = fmt.Sprintf("%s at the root", lvl)
			} else {
				e.Detail = fmt.Sprintf("%s under %s", lvl, parent.levelString())
			}
			*errs = append(*errs, e)
		}
	}
	if ok && id > rs.last {
		rs.last = id
		node.index = int32(len(rs.hl))
		rs.hl = append(rs.hl, node)
	}
	rs.cur, rs.hasCur = node, true
	rs.curOffset, rs.curOrd, rs.curPos = seg.Offset, seg.Ordinal, pos
	rs.curSeen = 0
	rs.reqIDs, rs.required = li.reqIDs, li.required
}

func (rs *ruleState) lookup(id int64) *hlNode {
	// siblings name the same parent: try the last one found first
	if i := rs.hit - 1; i >= 0 && rs.hl[i].id == id {
		return &rs.hl[i]
	}
	n := rs.find(id)
	if n != nil {
		rs.hit = int(n.index) + 1
	}
	return n
}

func (rs *ruleState) find(id int64) *hlNode {
	// a parent is usually one of the last few HLs
	for i, stop := len(rs.hl)-1, max(0, len(rs.hl)-8); i >= stop; i-- {
		switch n := &rs.hl[i]; {
		case n.id == id:
			return n
		case n.id < id:
			return nil
		}
	}
	lo, hi := 0, len(rs.hl)
	for lo < hi {
		m := (lo + hi) / 2
		if rs.hl[m].id < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(rs.hl) && rs.hl[lo].id == id {
		return &rs.hl[lo]
	}
	return nil
}

// closeHL checks that the HL level just finished had its required segments.
func (w *walker) closeHL(rs *ruleState) {
	if !rs.hasCur {
		return
	}
	for j, id := range rs.reqIDs {
		if rs.curSeen&(1<<uint(j)) == 0 {
			cur := mark{offset: rs.curOffset, ordinal: rs.curOrd, position: rs.curPos, id: rs.rule.Segment}
			e := cur.err(CodeHLContent, 0)
			e.SegmentID = id
			e.Value = ""
			e.Detail = fmt.Sprintf("%s in HL level %s", id, rs.cur.levelString())
			w.c.set.Errors = append(w.c.set.Errors, e)
		}
	}
	rs.hasCur = false
}

func (w *walker) finishRules(at *Segment, pos int) {
	for i := range w.rules {
		rs := &w.rules[i]
		r := rs.rule
		switch r.Kind {
		case RuleCount:
			if !rs.seen {
				continue
			}
			got, ok := atoi64([]byte(rs.target.value))
			if ok && got != rs.n {
				e := rs.target.err(CodeCount, r.Element)
				e.Ref = 354
				e.Detail = fmt.Sprintf("%s%02d %d, %s segments %d", r.Segment, r.Element, got, r.CountOf, rs.n)
				w.c.set.Errors = append(w.c.set.Errors, e)
			}
		case RuleHash:
			if !rs.seen || rs.target.value == "" || rs.sum.overflow {
				continue
			}
			var want decAcc
			want.add([]byte(rs.target.value))
			if !want.overflow && !want.equal(&rs.sum) {
				e := rs.target.err(CodeHashTotal, r.Element)
				e.Ref = 347
				e.Detail = "sum of " + r.CountOf + strconv.Itoa(100 + r.SumElement)[1:] + " is " + rs.sum.String()
				w.c.set.Errors = append(w.c.set.Errors, e)
			}
		case RuleHierarchy:
			w.closeHL(rs)
			rs.structure = nil
			rs.last = 0
		}
	}
}
