package x12

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"
)

// ackKind says where a problem goes in an acknowledgment.
type ackKind uint8

const (
	ackNone        ackKind = iota
	ackSet                 // AK502..AK506
	ackSegment             // AK3 (AK304)
	ackElement             // AK4 (AK403) under an AK3 with code 8
	ackGroup               // AK905..AK909
	ackInterchange         // TA105
)

// AckCode returns where the problem is reported in a 997 or TA1 and with
// which code: "set" (AK502), "segment" (AK304), "element" (AK403), "group"
// (AK905) or "interchange" (TA105). Notices and problems with no code
// return "", "".
func (e *Error) AckCode() (where, code string) {
	k, c := ackCodeOf(e)
	return [...]string{"", "set", "segment", "element", "group", "interchange"}[k], c
}

func ackCodeOf(e *Error) (ackKind, string) {
	if e.Severity == SeverityNotice {
		return ackNone, ""
	}
	switch e.Code {
	case CodeSetNotSupported:
		return ackSet, "1"
	case CodeMissingSE:
		return ackSet, "2"
	case CodeSEControl:
		return ackSet, "3"
	case CodeSECount:
		return ackSet, "4"
	case CodeSetGroupMatch:
		return ackSet, "6"
	case CodeDuplicateST:
		return ackSet, "23"
	case CodeUnrecognizedSegment:
		return ackSegment, "1"
	case CodeUnexpectedSegment:
		return ackSegment, "2"
	case CodeMissingSegment, CodeHLContent:
		return ackSegment, "3"
	case CodeLoopOverMax:
		return ackSegment, "4"
	case CodeSegmentOverMax:
		return ackSegment, "5"
	case CodeSegmentNotInSet:
		return ackSegment, "6"
	case CodeSegmentOutOfOrder:
		return ackSegment, "7"
	case CodeGroupNotSupported:
		return ackGroup, "1"
	case CodeVersionNotSupported:
		return ackGroup, "2"
	case CodeMissingGE:
		return ackGroup, "3"
	case CodeGEControl:
		return ackGroup, "4"
	case CodeGECount:
		return ackGroup, "5"
	case CodeIEAControl:
		return ackInterchange, "001"
	case CodeIEACount:
		return ackInterchange, "021"
	case CodeMissingIEA:
		return ackInterchange, "023"
	case CodeOutsideGroup:
		return ackInterchange, "024"
	case CodeDuplicateISA:
		return ackInterchange, "025"
	}
	elem := ""
	switch e.Code {
	case CodeMissingElement:
		elem = "1"
	case CodeConditionalMissing:
		elem = "2"
	case CodeTooManyElements:
		elem = "3"
	case CodeTooShort:
		elem = "4"
	case CodeTooLong:
		elem = "5"
	case CodeInvalidCharacter:
		elem = "6"
	case CodeInvalidCode, CodeHLSequence, CodeHLParent, CodeHLLevel, CodeCount, CodeHashTotal, CodeCheckDigit:
		// X12 has no semantic codes; a value that breaks a rule is an invalid value.
		elem = "7"
	case CodeInvalidDate:
		elem = "8"
	case CodeInvalidTime:
		elem = "9"
	case CodeExclusion:
		elem = "10"
	default:
		return ackNone, ""
	}
	switch e.SegmentID {
	case "ISA":
		codes := [...]string{"", "010", "011", "012", "013", "005", "006", "007", "008", "014", "015", "016", "017", "018", "019", "020", "027"}
		if e.Element >= 1 && e.Element <= 16 {
			return ackInterchange, codes[e.Element]
		}
		return ackInterchange, "024"
	case "IEA":
		if e.Element == 2 {
			return ackInterchange, "001"
		}
		return ackInterchange, "021"
	case "TA1":
		return ackInterchange, "024"
	case "GS", "GE":
		return ackGroup, ""
	case "ST":
		if e.Element == 2 {
			return ackSet, "7"
		}
		return ackSet, "6"
	case "SE":
		if e.Element == 2 {
			return ackSet, "3"
		}
		return ackSet, "4"
	}
	return ackElement, elem
}

// segNote is one AK3 with its AK4s.
type segNote struct {
	id       string
	position int
	loop     string
	code     string
	elems    []*Error
	order    int
}

// Ack997 returns the segments between ST and SE of the 997 for one
// received group: AK1, an AK2/AK3/AK4/AK5 loop per transaction set, and
// AK9 with the A/E/P/R roll-up. Copies of bad data are cleaned of d's
// delimiters. A 997 is never acknowledged: 997 sets get no AK2.
func Ack997(g *GroupReport, d Delimiters) []Seg {
	body := []Seg{NewSeg("AK1", g.FunctionalID, g.Control)}
	received, accepted := 0, 0
	for _, s := range g.Sets {
		if s.ID == "997" {
			continue
		}
		received++
		if s.Status != "R" {
			accepted++
		}
		body = append(body, setAck(s, d)...)
	}
	included := g.Included
	if g.Implicit {
		included = received
	}
	status := g.Status
	if status == "" {
		status = groupStatus(g)
	}
	ak9 := []string{status, strconv.Itoa(included), strconv.Itoa(received), strconv.Itoa(accepted)}
	ak9 = append(ak9, groupCodes(g)...)
	return append(body, Seg{ID: "AK9", Elements: ak9})
}

func groupCodes(g *GroupReport) []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range g.Errors {
		if k, c := ackCodeOf(e); k == ackGroup && c != "" && !seen[c] && len(out) < 5 {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

func setAck(s *SetReport, d Delimiters) []Seg {
	out := []Seg{NewSeg("AK2", s.ID, s.Control)}
	var notes []*segNote
	byPos := map[int]*segNote{}
	var setCodes []string
	seen := map[string]bool{}
	for i, e := range s.Errors {
		k, c := ackCodeOf(e)
		switch k {
		case ackSet:
			if !seen[c] {
				seen[c] = true
				setCodes = append(setCodes, c)
			}
		case ackSegment:
			notes = append(notes, &segNote{id: e.SegmentID, position: e.Position, loop: e.Loop, code: c, order: i})
		case ackElement:
			n := byPos[e.Position]
			if n == nil || n.id != e.SegmentID {
				n = &segNote{id: e.SegmentID, position: e.Position, loop: e.Loop, code: "8", order: i}
				byPos[e.Position] = n
				notes = append(notes, n)
			}
			n.elems = append(n.elems, e)
		}
	}
	sort.SliceStable(notes, func(i, j int) bool {
		if notes[i].position != notes[j].position {
			return notes[i].position < notes[j].position
		}
		return notes[i].order < notes[j].order
	})
	for _, n := range notes {
		out = append(out, NewSeg("AK3", n.id, strconv.Itoa(n.position), n.loop, n.code))
		for _, e := range n.elems {
			if len(out) > 0 && countAK4(out) >= 99 {
				break
			}
			pos := strconv.Itoa(e.Element)
			if e.Component > 0 {
				pos = Composite(pos, strconv.Itoa(e.Component))
			}
			ref := ""
			if e.Ref > 0 {
				ref = strconv.Itoa(e.Ref)
			}
			_, code := ackCodeOf(e)
			out = append(out, NewSeg("AK4", pos, ref, code, cleanValue(e.Value, d)))
		}
	}
	if len(notes) > 0 && !seen["5"] {
		setCodes = append(setCodes, "5")
	}
	if len(setCodes) > 5 {
		setCodes = setCodes[:5]
	}
	status := s.Status
	if status == "" {
		status = setStatus(s)
	}
	return append(out, Seg{ID: "AK5", Elements: append([]string{status}, setCodes...)})
}

func countAK4(segs []Seg) int {
	n := 0
	for i := len(segs) - 1; i >= 0 && segs[i].ID == "AK4"; i-- {
		n++
	}
	return n
}

// cleanValue makes a copy of bad data safe to write: no delimiters or
// control characters, at most 99 bytes.
func cleanValue(v string, d Delimiters) string {
	b := make([]byte, 0, len(v))
	for i := 0; i < len(v) && len(b) < 99; i++ {
		c := v[i]
		if c < 0x20 || c == 0x7f || d.isDelimiter(c) || c == componentMark {
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

// TA1For returns the TA1 for a received interchange: A when it had no
// problems, E with warnings only, R otherwise; TA105 is the first problem's
// note code or 000.
func TA1For(ix *InterchangeReport) Seg {
	status, note := "A", "000"
	for _, e := range ix.Errors {
		k, c := ackCodeOf(e)
		if k != ackInterchange {
			continue
		}
		if e.Severity == SeverityError {
			if status != "R" {
				note = c
			}
			status = "R"
		} else if status == "A" {
			status, note = "E", c
		}
	}
	return NewSeg("TA1", ix.Control, ix.Date, ix.Time, status, note)
}

// AckOptions configures BuildAcks.
type AckOptions struct {
	// Numbers assigns the outbound control numbers. Required.
	Numbers ControlNumbers
	// Time stamps the acknowledgments. Required.
	Time time.Time
	// Delimiters for the output; zero means those of each received interchange.
	Delimiters Delimiters
	// Suffix is written after each terminator.
	Suffix string
	// TA1 adds a TA1 for interchanges whose ISA14 requested one.
	TA1 bool
}

// BuildAcks writes, for each received interchange, one interchange back to
// its sender holding a 997 for every functional group in it (groups of
// 997s excepted). Interchanges without an ISA and groups without a GS
// cannot be addressed and get none. An interchange whose acknowledgment
// cannot be built (say, a sender ID too long to answer) is skipped and its
// error returned with the others; the rest are still written. It returns
// the control numbers used.
func BuildAcks(ctx context.Context, w io.Writer, rep *Report, opts AckOptions) ([]*Sent, error) {
	if opts.Numbers == nil {
		return nil, errors.New("x12: AckOptions.Numbers is required")
	}
	if opts.Time.IsZero() {
		return nil, errors.New("x12: AckOptions.Time is required")
	}
	var out []*Sent
	var errs []error
	for _, ix := range rep.Interchanges {
		if ix.Implicit {
			continue
		}
		d := opts.Delimiters
		if d == (Delimiters{}) {
			d = ix.Delimiters
			d.Repetition = 0
		}
		var groups []OutGroup
		for _, g := range ix.Groups {
			if g.Implicit || g.FunctionalID == "FA" {
				continue
			}
			groups = append(groups, OutGroup{FunctionalID: "FA", Sender: g.Receiver, Receiver: g.Sender,
				Sets: []OutSet{{ID: "997", Body: Ack997(g, d)}}})
		}
		env := Envelope{
			SenderQualifier: ix.ReceiverQualifier, SenderID: ix.ReceiverID,
			ReceiverQualifier: ix.SenderQualifier, ReceiverID: ix.SenderID,
			Usage: ix.Usage, Delimiters: d, Suffix: opts.Suffix, Time: opts.Time,
		}
		if env.Usage != "T" {
			env.Usage = "P"
		}
		if opts.TA1 && ix.AckRequested {
			env.TA1 = []Seg{TA1For(ix)}
		}
		if len(groups) == 0 && len(env.TA1) == 0 {
			continue
		}
		sent, err := env.Encode(ctx, w, opts.Numbers, groups...)
		if err != nil {
			errs = append(errs, fmt.Errorf("acknowledging interchange %s: %w", ix.Control, err))
			continue
		}
		out = append(out, sent)
	}
	return out, errors.Join(errs...)
}
