package x12

import (
	"encoding/binary"
	"math/bits"
)

// segCheck is a SegmentSpec compiled for the per-segment hot path of
// validation: element rules packed small, the mandatory elements listed,
// and syntax notes turned into bit masks over the present elements. It
// reports exactly what checkElements would, in the same order; the slow
// code runs only to describe a violation.
type segCheck struct {
	spec  *SegmentSpec
	none  bool // no elements described and no limit: nothing to check
	maxEl int
	elems []elemCheck
	// mandatory lists the 0-based indexes of M elements, ascending.
	mandatory []int32
	notes     []noteCheck
	// notesFor[n] lists the notes a segment with n elements can break: a
	// note whose elements all lie past n sees none present, which breaks
	// only a Required note. The last entry serves every larger n.
	notesFor [][]int16
	// mandMask has the bits of the mandatory elements. scan serves only
	// specs of at most 64 elements (fast); others always take report.
	mandMask uint64
	fast     bool
}

// elemCheck is one element's rule.
type elemCheck struct {
	typ       Type
	req       Req
	composite bool
	min, max  int
	spec      *ElementSpec
	// codes packs the allowed values when every one is 1 to 7 bytes long,
	// so a lookup compares integers; nil means use spec.Codes.
	codes    []uint64
	hasCodes bool // spec.Codes is not nil
	// plain marks a string element without a code list: only its length
	// and its characters are checked.
	plain bool
	// fastKind says how scan checks a value itself; the rest go to valid.
	fastKind uint8
}

// How scan checks a value without calling valid.
const (
	fastNone  uint8 = iota // call valid
	fastSkip               // composite: not checked
	fastPlain              // length and characters
	fastCodes              // length, characters and a packed code list
	fastInt                // N0, N2: digits and a leading minus
	fastReal               // R: digits, one dot and a leading minus
)

// packCode packs a value of 1 to 7 bytes and its length into an integer;
// ok is false for other lengths.
func packCode(v []byte) (uint64, bool) {
	if len(v) == 0 || len(v) > 7 {
		return 0, false
	}
	k := uint64(len(v)) << 56
	for i, b := range v {
		k |= uint64(b) << (8 * uint(i))
	}
	return k, true
}

// noteCheck is a syntax note as masks of element bits (bit i-1 for element
// i). slow marks notes the masks cannot express exactly (an element outside
// 1..64, or one listed twice); those always take checkNote.
type noteCheck struct {
	nt    SyntaxNote
	kind  NoteKind
	all   uint64 // every element of the note
	first uint64 // the first element
	rest  uint64 // the others
	slow  bool
}

func compileSegCheck(sp *SegmentSpec) *segCheck {
	if sp == nil {
		return nil
	}
	c := &segCheck{spec: sp, none: len(sp.Elements) == 0 && sp.MaxElements == 0, maxEl: sp.MaxElements}
	if c.maxEl == 0 {
		c.maxEl = len(sp.Elements)
	}
	c.elems = make([]elemCheck, len(sp.Elements))
	c.fast = len(sp.Elements) <= 64
	for i := range sp.Elements {
		es := &sp.Elements[i]
		c.elems[i] = elemCheck{typ: es.Type, req: es.Req, composite: es.Composite, min: es.Min, max: es.Max, spec: es}
		c.elems[i].hasCodes = es.Codes != nil
		switch es.Type {
		case DT, TM, R, N0, N2:
		default:
			c.elems[i].plain = es.Codes == nil
		}
		if es.Codes != nil {
			packed := make([]uint64, 0, len(es.Codes))
			for _, code := range es.Codes {
				k, ok := packCode([]byte(code))
				if !ok {
					packed = nil
					break
				}
				packed = append(packed, k)
			}
			c.elems[i].codes = packed
		}
		ec := &c.elems[i]
		switch {
		case ec.composite:
			ec.fastKind = fastSkip
		case ec.plain:
			ec.fastKind = fastPlain
		case (es.Type == AN || es.Type == ID) && ec.codes != nil:
			ec.fastKind = fastCodes
		case es.Type == N0 || es.Type == N2:
			ec.fastKind = fastInt
		case es.Type == R:
			ec.fastKind = fastReal
		}
		if es.Req == M {
			c.mandatory = append(c.mandatory, int32(i))
			if i < 64 {
				c.mandMask |= 1 << uint(i)
			}
		}
	}
	for _, nt := range sp.Notes {
		nc := noteCheck{nt: nt, kind: nt.Kind}
		for k, e := range nt.Elems {
			if e < 1 || e > 64 {
				nc.slow = true
				continue
			}
			b := uint64(1) << uint(e-1)
			if nc.all&b != 0 {
				nc.slow = true
			}
			nc.all |= b
			if k == 0 {
				nc.first = b
			} else {
				nc.rest |= b
			}
		}
		if len(nt.Elems) == 0 {
			nc.slow = true
		}
		c.notes = append(c.notes, nc)
	}
	if len(c.notes) > 0 {
		top := min(c.maxEl, 64) + 1
		c.notesFor = make([][]int16, top+1)
		for n := 0; n <= top; n++ {
			var idx []int16
			for k, nc := range c.notes {
				low := 65
				for _, e := range nc.nt.Elems {
					low = min(low, e)
				}
				if nc.slow || nc.kind == Required || low <= n {
					idx = append(idx, int16(k))
				}
			}
			c.notesFor[n] = idx
		}
	}
	return c
}

// violated reports whether the note may be broken by present; when it
// returns true checkNote decides and describes.
func (nc *noteCheck) violated(present uint64) bool {
	if nc.slow {
		return true
	}
	p := present & nc.all
	switch nc.kind {
	case Paired:
		return p != 0 && p != nc.all
	case Required:
		return p == 0
	case Exclusion:
		return bits.OnesCount64(p) > 1
	case Conditional:
		return p&nc.first != 0 && p&nc.rest != nc.rest
	case ListConditional:
		return p&nc.first != 0 && p&nc.rest == 0
	}
	return false
}

// check validates seg and appends problems to dst, as checkElements does
// for c.spec. pos and loop locate the segment for the 997; trim compares
// trimmed values (ISA).
func (c *segCheck) check(seg *Segment, trim bool, pos int, loop string, dst *[]*Error) {
	if c == nil || c.none {
		return
	}
	present, ok := c.scan(seg, trim)
	if !ok {
		present = c.report(seg, trim, pos, loop, dst)
	}
	if len(c.notes) > 0 {
		for _, k := range c.notesFor[min(len(seg.seps), len(c.notesFor)-1)] {
			if nc := &c.notes[k]; nc.violated(present) {
				checkNote(nc.nt, present, seg, c.spec, pos, loop, dst)
			}
		}
	}
}

// scan is the path for good segments: it returns the present elements and
// whether every element check passed, leaving the telling to report.
func (c *segCheck) scan(seg *Segment, trim bool) (present uint64, ok bool) {
	raw, seps := seg.raw, seg.seps
	n := len(seps)
	if !c.fast || n > c.maxEl {
		return 0, false
	}
	// one pass over the segment says whether any value can hold a control
	// character; most segments have none, and then no value is scanned
	ctl := hasControl(raw)
	elems := c.elems[:min(n, len(c.elems))]
	for i := range elems {
		start := int(seps[i]) + 1
		end := len(raw)
		if i+1 < n {
			end = int(seps[i+1])
		}
		v := raw[start:end]
		if trim {
			v = trimSpace(v)
		}
		if len(v) == 0 {
			continue
		}
		present |= 1 << uint(i&63)
		ec := &elems[i]
		switch ec.fastKind {
		case fastSkip:
		case fastPlain:
			if len(v) < ec.min || (ec.max > 0 && len(v) > ec.max) || (ctl && hasControl(v)) {
				return 0, false
			}
		case fastCodes:
			if len(v) < ec.min || (ec.max > 0 && len(v) > ec.max) || (ctl && hasControl(v)) {
				return 0, false
			}
			k, _ := packCode(v)
			found := false
			for _, code := range ec.codes {
				if k == code {
					found = true
					break
				}
			}
			if !found {
				return 0, false
			}
		case fastInt, fastReal:
			// digits, a minus first, and for R one dot; the length counts digits
			digits, dots := 0, 0
			for j, b := range v {
				switch {
				case b-'0' <= 9:
					digits++
				case b == '.' && ec.fastKind == fastReal:
					dots++
				case b == '-' && j == 0:
				default:
					return 0, false
				}
			}
			if digits == 0 || dots > 1 || digits < ec.min || (ec.max > 0 && digits > ec.max) {
				return 0, false
			}
		default:
			if !ec.valid(v) {
				return 0, false
			}
		}
	}
	return present, present&c.mandMask == c.mandMask
}

// report checks every element as checkElements does, appending problems to
// dst, and returns the present elements.
func (c *segCheck) report(seg *Segment, trim bool, pos int, loop string, dst *[]*Error) uint64 {
	raw, seps := seg.raw, seg.seps
	n := len(seps)
	if n > c.maxEl {
		for i := c.maxEl + 1; i <= n; i++ {
			if v := seg.Element(i); len(v) > 0 {
				addElemErr(dst, CodeTooManyElements, seg, pos, loop, i, 0, v, "")
				break
			}
		}
	}
	var present uint64
	m := min(n, len(c.elems))
	for i := 0; i < m; i++ {
		start := int(seps[i]) + 1
		end := len(raw)
		if i+1 < n {
			end = int(seps[i+1])
		}
		v := raw[start:end]
		if trim {
			v = trimSpace(v)
		}
		ec := &c.elems[i]
		if len(v) == 0 {
			if ec.req == M {
				addElemErr(dst, CodeMissingElement, seg, pos, loop, i+1, ec.spec.Ref, nil, "")
			}
			continue
		}
		if i < 64 {
			present |= 1 << uint(i)
		}
		if ec.composite {
			continue
		}
		if code := ec.value(v); code != "" {
			addElemErr(dst, code, seg, pos, loop, i+1, ec.spec.Ref, v, "")
		}
	}
	for _, i := range c.mandatory {
		if int(i) >= m {
			addElemErr(dst, CodeMissingElement, seg, pos, loop, int(i)+1, c.elems[i].spec.Ref, nil, "")
		}
	}
	return present
}

const (
	lo7x20 = 0x2020202020202020
	x7f    = 0x7f7f7f7f7f7f7f7f
	hi8    = 0x8080808080808080
)

// hasControl reports whether b holds a byte below 0x20 or 0x7f, the
// characters no value may hold, eight bytes at a time: (x-0x20..)&^x&0x80..
// is non-zero exactly when some byte of x is below 0x20, and the same test
// on x^0x7f.. finds a 0x7f.
func hasControl(b []byte) bool {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		y := x ^ x7f
		if ((x-lo7x20)&^x|(y-ones)&^y)&hi8 != 0 {
			return true
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// valid reports whether value reports nothing for v.
func (ec *elemCheck) valid(v []byte) bool {
	switch ec.typ {
	case AN, ID:
		if len(v) < ec.min || (ec.max > 0 && len(v) > ec.max) {
			return false
		}
		for _, b := range v {
			if b < 0x20 || b == 0x7f {
				return false
			}
		}
		if ec.codes != nil {
			k, _ := packCode(v)
			for _, code := range ec.codes {
				if k == code {
					return true
				}
			}
			return false
		}
		return !ec.hasCodes || ec.value(v) == ""
	}
	return ec.value(v) == ""
}

// value returns the problem with one non-empty simple element value, as
// checkValue does.
func (ec *elemCheck) value(v []byte) Code {
	switch ec.typ {
	case AN, ID:
		if n := len(v); n < ec.min {
			return CodeTooShort
		} else if ec.max > 0 && n > ec.max {
			return CodeTooLong
		}
		for _, b := range v {
			if b < 0x20 || b == 0x7f {
				return CodeInvalidCharacter
			}
		}
		if ec.codes != nil {
			if k, ok := packCode(v); ok {
				for _, code := range ec.codes {
					if k == code {
						return ""
					}
				}
			}
			return CodeInvalidCode
		}
		if codes := ec.spec.Codes; codes != nil {
			for _, code := range codes {
				if string(v) == code {
					return ""
				}
			}
			return CodeInvalidCode
		}
		return ""
	case N0, N2:
		digits := 0
		for i, b := range v {
			if b-'0' <= 9 {
				digits++
			} else if b != '-' || i != 0 {
				return CodeInvalidCharacter
			}
		}
		if digits == 0 {
			return CodeInvalidCharacter
		}
		return ec.length(digits)
	case R:
		digits, dots := 0, 0
		for i, b := range v {
			switch {
			case b-'0' <= 9:
				digits++
			case b == '.':
				dots++
			case b == '-' && i == 0:
			default:
				return CodeInvalidCharacter
			}
		}
		if digits == 0 || dots > 1 {
			return CodeInvalidCharacter
		}
		return ec.length(digits)
	}
	return checkValue(ec.spec, v)
}

func (ec *elemCheck) length(n int) Code {
	if n < ec.min {
		return CodeTooShort
	}
	if ec.max > 0 && n > ec.max {
		return CodeTooLong
	}
	return ""
}
