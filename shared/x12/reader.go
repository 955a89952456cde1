package x12

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
)

const (
	defaultBufferSize = 64 << 10
	// DefaultMaxSegmentSize bounds one segment. A longer run without a
	// terminator is reported with CodeSegmentTooLong and skipped.
	DefaultMaxSegmentSize = 1 << 20
	isaScanLimit          = 1024
	maxNotices            = 100
)

// canonical positions of the 16 element separators in a 106-byte ISA.
var isaSepPositions = [16]int{3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103}

// Reader splits X12 input into segments without copying them.
//
// Delimiters are taken from each ISA (element separator at byte index 3,
// component separator ISA16, segment terminator the byte after it,
// repetition separator ISA11 when ISA12 >= 00402 and the byte is not
// alphanumeric), so every interchange in a file may use different ones.
// Whitespace between segments, a UTF-8 BOM, blank lines, a space before the
// terminator, a CR before a newline terminator and a missing final
// terminator are tolerated.
//
// Next returns each segment as a view into the reader's buffer, valid until
// the following call. A *Error from Next is recoverable: the bad bytes have
// been skipped and Next may be called again. Any other error is an I/O
// error and is returned again by later calls.
type Reader struct {
	// MaxSegmentSize bounds one segment; zero means DefaultMaxSegmentSize.
	MaxSegmentSize int

	src   io.Reader
	buf   []byte
	r, w  int
	base  int64 // input offset of buf[0]
	eof   bool
	ioErr error
	whole bool // buf is the entire input and is never moved

	d             Delimiters
	haveDelims    bool
	inInterchange bool
	resync        bool // skip to the next ISA before reading on
	discard       bool // skip to the next terminator before reading on

	seps    []int32
	cur     Segment // the segment advance read
	n       int
	notices []*Error
	dropped int
}

// NewReader returns a Reader that streams from src with a fixed-size buffer
// that grows only for segments longer than the buffer.
func NewReader(src io.Reader) *Reader {
	return &Reader{src: src, buf: make([]byte, defaultBufferSize), seps: make([]int32, 0, 32)}
}

// NewBytesReader returns a Reader over b. Segments it returns alias b and
// stay valid as long as b is not modified (their element index is still
// reused by the next call; Clone to keep one).
func NewBytesReader(b []byte) *Reader {
	return &Reader{buf: b, w: len(b), eof: true, whole: true, seps: make([]int32, 0, 32)}
}

// Delimiters returns the delimiters of the current interchange.
func (r *Reader) Delimiters() Delimiters { return r.d }

// Notices returns the tolerated irregularities seen so far (non-canonical
// ISA, missing final terminator). At most 100 are kept; Dropped counts the rest.
func (r *Reader) Notices() []*Error { return r.notices }

// Dropped returns how many notices were not kept.
func (r *Reader) Dropped() int { return r.dropped }

// Count returns the number of segments returned so far.
func (r *Reader) Count() int { return r.n }

// InputOffset returns the input offset of the next unread byte.
func (r *Reader) InputOffset() int64 { return r.base + int64(r.r) }

// Next returns the next segment, io.EOF at the end, a recoverable *Error,
// or an I/O error.
func (r *Reader) Next() (Segment, error) {
	if err := r.advance(); err != nil {
		return Segment{}, err
	}
	return r.cur, nil
}

// advance reads the next segment into r.cur; it returns what Next does.
func (r *Reader) advance() error {
	if r.discard {
		r.skipToTerminator()
	}
	if r.resync {
		r.resync = false
		r.skipToISA()
	}
	for {
		if r.r >= r.w || isGap(r.buf[r.r]) {
			if !r.skipSpace() {
				if r.ioErr != nil {
					return fmt.Errorf("x12: reading input: %w", r.ioErr)
				}
				return io.EOF
			}
		}
		if r.buf[r.r] == 'I' && r.atISA() {
			return r.readISA()
		}
		if !r.haveDelims || (!r.inInterchange && !r.looksLikeSegment()) {
			return r.skipJunk()
		}
		// fast path: the whole segment is in the buffer
		if i := bytes.IndexByte(r.buf[r.r:r.w], r.d.Segment); i >= 0 && i <= r.maxSegment() {
			start := r.r
			r.r = start + i + 1
			if r.emit(start, start+i) {
				return nil
			}
			continue
		}
		ok, err := r.readSegment()
		if err != nil || ok {
			return err
		}
		// an empty segment (two terminators in a row): skip it
	}
}

// isGap reports bytes that may sit between segments.
func isGap(c byte) bool {
	return c <= ' ' || c == 0xEF || c == 0x1a
}

func (r *Reader) maxSegment() int {
	if r.MaxSegmentSize > 0 {
		return r.MaxSegmentSize
	}
	return DefaultMaxSegmentSize
}

// fill reads more input, keeping buf[r:w]. It reports whether bytes arrived.
func (r *Reader) fill() bool {
	if r.eof {
		return false
	}
	if r.r > 0 {
		n := copy(r.buf, r.buf[r.r:r.w])
		r.base += int64(r.r)
		r.w = n
		r.r = 0
	}
	if r.w == len(r.buf) {
		nb := make([]byte, 2*len(r.buf))
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	for range 100 {
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if err != nil {
			r.eof = true
			if err != io.EOF {
				r.ioErr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	r.eof = true
	r.ioErr = io.ErrNoProgress
	return false
}

// ensure makes at least n bytes available at r.r if the input has them.
func (r *Reader) ensure(n int) bool {
	for r.w-r.r < n {
		if !r.fill() {
			return false
		}
	}
	return true
}

// skipSpace skips bytes that may sit between segments: whitespace, NUL,
// Ctrl-Z and UTF-8 byte order marks. It reports whether data remains.
func (r *Reader) skipSpace() bool {
	for {
		for r.r < r.w {
			switch r.buf[r.r] {
			case ' ', '\t', '\r', '\n', 0, 0x1a:
				r.r++
			case 0xEF:
				if r.ensure(3) && r.buf[r.r+1] == 0xBB && r.buf[r.r+2] == 0xBF {
					r.r += 3
					continue
				}
				return true
			default:
				return true
			}
		}
		if !r.fill() {
			return false
		}
	}
}

// atISA reports whether an interchange header starts at r.r: the bytes
// "ISA" followed by a byte that can be an element separator.
func (r *Reader) atISA() bool {
	if r.buf[r.r] != 'I' || !r.ensure(4) {
		return false
	}
	b := r.buf[r.r:]
	return b[1] == 'S' && b[2] == 'A' && isSeparatorCandidate(b[3])
}

func isSeparatorCandidate(c byte) bool {
	return !isAlnum(c) && c != ' ' && c != '\r' && c != '\n' && c != '\t' && c != 0
}

// looksLikeSegment reports whether the bytes at r.r start with a valid
// segment ID followed by the element separator. Outside an interchange only
// such bytes are read as segments; anything else is junk.
func (r *Reader) looksLikeSegment() bool {
	r.ensure(4)
	b := r.buf[r.r:r.w]
	for k := 0; k < len(b) && k <= 3; k++ {
		if b[k] == r.d.Element || b[k] == r.d.Segment {
			return validID(b[:k])
		}
	}
	return false
}

// readSegment reads up to the next terminator. ok is false for an empty segment.
func (r *Reader) readSegment() (ok bool, err error) {
	term := r.d.Segment
	i := bytes.IndexByte(r.buf[r.r:r.w], term)
	for i < 0 {
		scanned := r.w - r.r
		if scanned >= r.maxSegment() {
			return false, r.tooLong()
		}
		if !r.fill() {
			if r.ioErr != nil {
				return false, fmt.Errorf("x12: reading input: %w", r.ioErr)
			}
			return r.finishAtEOF()
		}
		if j := bytes.IndexByte(r.buf[r.r+scanned:r.w], term); j >= 0 {
			i = scanned + j
		}
	}
	if i > r.maxSegment() {
		err := r.tooLongError()
		r.r += i + 1
		return false, err
	}
	start := r.r
	r.r = start + i + 1
	return r.emit(start, start+i), nil
}

// finishAtEOF returns the unterminated rest of the input as a segment.
func (r *Reader) finishAtEOF() (bool, error) {
	start := r.r
	r.r = r.w
	ok := r.emit(start, r.w)
	if ok {
		e := newError(CodeMissingTerminator, &r.cur)
		r.notice(e)
	}
	return ok, nil
}

// emit makes buf[start:end], less trailing whitespace, the current
// segment; it reports false when nothing is left.
func (r *Reader) emit(start, end int) bool {
	for end > start {
		switch r.buf[end-1] {
		case ' ', '\r', '\n', '\t':
			end--
			continue
		}
		break
	}
	if end == start {
		return false
	}
	raw := r.buf[start:end:end]
	es := r.d.Element
	r.seps = findSeps(raw, es, r.seps[:0])
	r.n++
	if len(raw) >= 3 && raw[0] == 'I' && raw[1] == 'E' && raw[2] == 'A' && (len(raw) == 3 || raw[3] == es) {
		r.inInterchange = false
	}
	// field by field: a composite literal is built on the stack and copied,
	// and the copy stalls on the stores just made
	c := &r.cur
	c.raw, c.seps, c.delims = raw, r.seps, r.d
	c.Offset, c.Ordinal = r.base+int64(start), r.n
	return true
}

const (
	lo7  = 0x7f7f7f7f7f7f7f7f
	ones = 0x0101010101010101
)

// findSeps appends the offsets of every byte es in raw, eight bytes at a
// time: a byte of x^pattern is zero exactly where raw holds es, and
// ^(((y&lo7)+lo7)|y|lo7) sets the high bit of exactly those bytes.
func findSeps(raw []byte, es byte, seps []int32) []int32 {
	pat := uint64(es) * ones
	i := 0
	for ; i+8 <= len(raw); i += 8 {
		y := binary.LittleEndian.Uint64(raw[i:]) ^ pat
		m := ^(((y & lo7) + lo7) | y | lo7)
		for m != 0 {
			seps = append(seps, int32(i+bits.TrailingZeros64(m)>>3))
			m &= m - 1
		}
	}
	for ; i < len(raw); i++ {
		if raw[i] == es {
			seps = append(seps, int32(i))
		}
	}
	return seps
}

// tooLong reports an over-long segment and arranges to skip past its terminator.
func (r *Reader) tooLong() error {
	e := r.tooLongError()
	r.r = r.w
	r.discard = true
	return e
}

func (r *Reader) tooLongError() *Error {
	return &Error{Code: CodeSegmentTooLong, Severity: SeverityError, Offset: r.base + int64(r.r), Segment: r.n + 1,
		Value: clip(r.buf[r.r:r.w]), Detail: fmt.Sprintf("no terminator within %d bytes", r.maxSegment())}
}

func (r *Reader) skipToTerminator() {
	r.discard = false
	for {
		if i := bytes.IndexByte(r.buf[r.r:r.w], r.d.Segment); i >= 0 {
			r.r += i + 1
			return
		}
		r.r = r.w
		if !r.fill() {
			return
		}
	}
}

// readISA reads an interchange header and takes the delimiters from it.
func (r *Reader) readISA() error {
	r.ensure(isaScanLimit)
	start := r.r
	off := r.base + int64(start)
	b := r.buf[start:r.w]
	if len(b) > isaScanLimit {
		b = b[:isaScanLimit]
	}
	es := b[3]
	canonical := len(b) >= 106
	if canonical {
		for _, p := range isaSepPositions {
			if b[p] != es {
				canonical = false
				break
			}
		}
	}
	var isaEnd int // index just past ISA16
	if canonical {
		isaEnd = 105
	} else {
		count, k := 0, 3
		for ; k < len(b); k++ {
			c := b[k]
			if c == es {
				count++
				if count == 16 {
					break
				}
			} else if c == '\n' || c == '\r' {
				break
			}
		}
		if count < 16 || k+1 >= len(b) {
			return r.badISA(CodeISAInvalid, off, fmt.Sprintf("found %d of 16 elements", count))
		}
		isaEnd = k + 2
	}
	t := isaEnd
	for t < len(b) && b[t] == ' ' {
		t++
	}
	if t >= len(b) {
		return r.badISA(CodeISAInvalid, off, "no segment terminator after ISA16")
	}
	term := b[t]
	if term == '\r' && t+1 < len(b) && b[t+1] == '\n' {
		term = '\n'
		t++
	}
	d := Delimiters{Element: es, Component: b[isaEnd-1], Segment: term}
	seps := r.seps[:0]
	for k := 0; k < isaEnd; k++ {
		if b[k] == es {
			seps = append(seps, int32(k))
		}
	}
	r.seps = seps
	seg := Segment{raw: b[:isaEnd:isaEnd], seps: seps, delims: d, Offset: off, Ordinal: r.n + 1}
	if rep := seg.Element(11); len(rep) == 1 && isSeparatorCandidate(rep[0]) && string(seg.Element(12)) >= "00402" {
		d.Repetition = rep[0]
	}
	if err := d.Validate(); err != nil {
		return r.badISA(CodeBadDelimiters, off, err.Error())
	}
	seg.delims = d
	r.n++
	if !canonical {
		e := newError(CodeNonCanonicalISA, &seg)
		e.Detail = fmt.Sprintf("%d bytes instead of 106", t+1)
		r.notice(e)
	}
	r.d = d
	r.haveDelims = true
	r.inInterchange = true
	r.r = start + t + 1
	r.cur = seg
	return nil
}

// badISA reports an unreadable ISA and arranges to resume at the next one.
func (r *Reader) badISA(code Code, off int64, detail string) error {
	e := &Error{Code: code, Severity: SeverityError, Offset: off, Segment: r.n + 1, SegmentID: "ISA",
		Detail: detail, Value: clip(r.buf[r.r:min(r.w, r.r+106)])}
	r.haveDelims = false
	r.inInterchange = false
	r.resync = true
	return e
}

// skipJunk skips bytes that cannot be read as segments up to the next ISA.
func (r *Reader) skipJunk() error {
	r.ensure(40) // the copy of the junk does not depend on how the input arrives
	off := r.base + int64(r.r)
	value := clip(r.buf[r.r:min(r.w, r.r+40)])
	r.skipToISA()
	n := r.base + int64(r.r) - off
	return &Error{Code: CodeJunk, Severity: SeverityError, Offset: off, Value: value,
		Detail: fmt.Sprintf("%d bytes skipped", n)}
}

// skipToISA advances past the current byte to the next plausible ISA.
func (r *Reader) skipToISA() {
	if r.r < r.w {
		r.r++
	}
	for {
		if r.r >= r.w && !r.fill() {
			return
		}
		i := bytes.IndexByte(r.buf[r.r:r.w], 'I')
		if i < 0 {
			r.r = r.w
			continue
		}
		r.r += i
		if !r.ensure(4) {
			r.r = r.w
			return
		}
		if r.atISA() {
			return
		}
		r.r++
	}
}

func (r *Reader) notice(e *Error) {
	if len(r.notices) >= maxNotices {
		r.dropped++
		return
	}
	r.notices = append(r.notices, e)
}
