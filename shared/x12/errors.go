package x12

import (
	"fmt"
	"strconv"
	"strings"
)

// Code is the stable identifier of a kind of problem. Codes never change
// meaning; callers may count and route on them.
type Code string

// Reading problems, reported by the tokenizer.
const (
	CodeJunk              Code = "junk"               // bytes outside any interchange that are not an ISA
	CodeISAInvalid        Code = "isa-invalid"        // an ISA whose delimiters cannot be found
	CodeBadDelimiters     Code = "isa-delimiters"     // delimiters that are alphanumeric or not distinct
	CodeNonCanonicalISA   Code = "isa-noncanonical"   // notice: ISA is not the fixed 106-byte layout
	CodeMissingTerminator Code = "missing-terminator" // notice: input ends without a segment terminator
	CodeSegmentTooLong    Code = "segment-too-long"   // no terminator within the reader's limit
	CodeEmpty             Code = "empty"              // the input holds no segment at all
)

// Envelope structure problems.
const (
	CodeOutsideInterchange Code = "outside-interchange" // segment before an ISA or after an IEA
	CodeOutsideGroup       Code = "outside-group"       // non-envelope segment between groups
	CodeOutsideSet         Code = "outside-set"         // non-envelope segment between transaction sets
	CodeStrayTrailer       Code = "stray-trailer"       // SE, GE or IEA without its header
	CodeMissingISA         Code = "missing-isa"         // GS or ST with no ISA before it
	CodeMissingGS          Code = "missing-gs"          // ST with no GS before it
	CodeMissingIEA         Code = "missing-iea"         // interchange not closed by IEA
	CodeMissingGE          Code = "missing-ge"          // group not closed by GE
	CodeMissingSE          Code = "missing-se"          // transaction set not closed by SE
)

// Interchange (ISA/IEA) problems.
const (
	CodeIEAControl   Code = "iea-control"   // IEA02 differs from ISA13
	CodeIEACount     Code = "iea-count"     // IEA01 differs from the number of groups
	CodeDuplicateISA Code = "duplicate-isa" // ISA13 repeated for the same sender and receiver
	CodeTA1Placement Code = "ta1-placement" // notice: TA1 inside a functional group
)

// Functional group (GS/GE) problems.
const (
	CodeGroupNotSupported   Code = "group-unsupported"   // GS01 names no supported transaction set
	CodeVersionNotSupported Code = "version-unsupported" // GS08 is not 004010 or a variant of it
	CodeGEControl           Code = "ge-control"          // GE02 differs from GS06
	CodeGECount             Code = "ge-count"            // GE01 differs from the number of sets
	CodeDuplicateGS         Code = "duplicate-gs"        // GS06 repeated within the interchange
)

// Transaction set (ST/SE) problems.
const (
	CodeSetNotSupported Code = "set-unsupported" // ST01 has no layout
	CodeSetGroupMatch   Code = "set-group"       // ST01 does not belong to GS01's functional group
	CodeSEControl       Code = "se-control"      // SE02 differs from ST02
	CodeSECount         Code = "se-count"        // SE01 differs from the number of segments
	CodeDuplicateST     Code = "duplicate-st"    // ST02 repeated within the group
)

// Segment problems (997 AK304).
const (
	CodeUnrecognizedSegment Code = "segment-unrecognized" // AK304 1
	CodeUnexpectedSegment   Code = "segment-unexpected"   // AK304 2
	CodeMissingSegment      Code = "segment-missing"      // AK304 3
	CodeLoopOverMax         Code = "loop-over-max"        // AK304 4
	CodeSegmentOverMax      Code = "segment-over-max"     // AK304 5
	CodeSegmentNotInSet     Code = "segment-not-in-set"   // AK304 6
	CodeSegmentOutOfOrder   Code = "segment-out-of-order" // AK304 7
)

// Data element problems (997 AK403).
const (
	CodeMissingElement     Code = "element-missing"     // AK403 1
	CodeConditionalMissing Code = "element-conditional" // AK403 2
	CodeTooManyElements    Code = "element-too-many"    // AK403 3
	CodeTooShort           Code = "element-too-short"   // AK403 4
	CodeTooLong            Code = "element-too-long"    // AK403 5
	CodeInvalidCharacter   Code = "element-invalid"     // AK403 6
	CodeInvalidCode        Code = "element-code"        // AK403 7
	CodeInvalidDate        Code = "element-date"        // AK403 8
	CodeInvalidTime        Code = "element-time"        // AK403 9
	CodeExclusion          Code = "element-exclusion"   // AK403 10
)

// Business rules that the tables express (856 hierarchy, counts, check digits).
const (
	CodeHLSequence   Code = "hl-sequence"       // HL01 not increasing
	CodeHLParent     Code = "hl-parent"         // HL02 does not name an earlier HL
	CodeHLLevel      Code = "hl-level"          // HL03 not allowed under its parent for the structure
	CodeHLContent    Code = "hl-content"        // a level lacks a segment it requires
	CodeCount        Code = "count"             // a count element (CTT01) disagrees with the content
	CodeHashTotal    Code = "hash-total"        // a hash total (CTT02) disagrees with the content
	CodeCheckDigit   Code = "check-digit"       // SSCC-18 or other GS1 check digit wrong
	CodeDelimiterUse Code = "delimiter-in-data" // writing: a value contains a delimiter
)

// Severity says what a problem does to acceptance.
type Severity uint8

const (
	// SeverityError rejects the transaction set, group or interchange it belongs to.
	SeverityError Severity = iota
	// SeverityWarning is reported in the 997 but the set is accepted with errors (AK5 E).
	SeverityWarning
	// SeverityNotice records a tolerated irregularity; it never appears in a 997
	// and does not make a file invalid.
	SeverityNotice
)

func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	default:
		return "notice"
	}
}

// MarshalText makes Severity readable in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

var messages = map[Code]string{
	CodeJunk:                "data outside an interchange",
	CodeISAInvalid:          "ISA segment cannot be read",
	CodeBadDelimiters:       "ISA delimiters are invalid",
	CodeNonCanonicalISA:     "non-canonical ISA",
	CodeMissingTerminator:   "missing segment terminator at end of input",
	CodeSegmentTooLong:      "segment too long",
	CodeEmpty:               "no ISA segment",
	CodeOutsideInterchange:  "segment outside an interchange",
	CodeOutsideGroup:        "segment outside a functional group",
	CodeOutsideSet:          "segment outside a transaction set",
	CodeStrayTrailer:        "trailer without a matching header",
	CodeMissingISA:          "missing ISA",
	CodeMissingGS:           "missing GS",
	CodeMissingIEA:          "missing IEA",
	CodeMissingGE:           "missing GE",
	CodeMissingSE:           "missing SE",
	CodeIEAControl:          "IEA02 does not match ISA13",
	CodeIEACount:            "IEA01 does not match the number of functional groups",
	CodeDuplicateISA:        "duplicate interchange control number",
	CodeTA1Placement:        "TA1 inside a functional group",
	CodeGroupNotSupported:   "functional group not supported",
	CodeVersionNotSupported: "functional group version not supported",
	CodeGEControl:           "GE02 does not match GS06",
	CodeGECount:             "GE01 does not match the number of transaction sets",
	CodeDuplicateGS:         "duplicate group control number",
	CodeSetNotSupported:     "transaction set not supported",
	CodeSetGroupMatch:       "transaction set does not belong to the functional group",
	CodeSEControl:           "SE02 does not match ST02",
	CodeSECount:             "SE01 does not match the number of segments",
	CodeDuplicateST:         "duplicate transaction set control number",
	CodeUnrecognizedSegment: "unrecognized segment ID",
	CodeUnexpectedSegment:   "unexpected segment",
	CodeMissingSegment:      "mandatory segment missing",
	CodeLoopOverMax:         "loop occurs over maximum times",
	CodeSegmentOverMax:      "segment exceeds maximum use",
	CodeSegmentNotInSet:     "segment not in transaction set",
	CodeSegmentOutOfOrder:   "segment out of order",
	CodeMissingElement:      "mandatory data element missing",
	CodeConditionalMissing:  "conditional required data element missing",
	CodeTooManyElements:     "too many data elements",
	CodeTooShort:            "data element too short",
	CodeTooLong:             "data element too long",
	CodeInvalidCharacter:    "invalid character in data element",
	CodeInvalidCode:         "invalid code value",
	CodeInvalidDate:         "invalid date",
	CodeInvalidTime:         "invalid time",
	CodeExclusion:           "exclusion condition violated",
	CodeHLSequence:          "HL01 is not increasing",
	CodeHLParent:            "HL02 does not refer to an earlier HL",
	CodeHLLevel:             "hierarchical level not allowed here",
	CodeHLContent:           "hierarchical level lacks a required segment",
	CodeCount:               "count does not match the content",
	CodeHashTotal:           "hash total does not match the content",
	CodeCheckDigit:          "invalid check digit",
	CodeDelimiterUse:        "value contains a delimiter",
}

// Message returns the stable text for a code.
func (c Code) Message() string {
	if m, ok := messages[c]; ok {
		return m
	}
	return string(c)
}

// Error is a problem found while reading, validating or writing X12. It
// points to a place: byte offset, segment ordinal and ID, element and
// component. Message() is stable per Code; Detail carries the variable part.
type Error struct {
	Code     Code     `json:"code"`
	Severity Severity `json:"severity"`
	// Offset is the byte offset of the segment (or junk) in the input; -1 if unknown.
	Offset int64 `json:"offset"`
	// Segment is the 1-based ordinal of the segment in the input; 0 if unknown.
	Segment int `json:"segment,omitempty"`
	// SegmentID is the ID of the segment the problem belongs to.
	SegmentID string `json:"segment_id,omitempty"`
	// Position is the segment's 1-based position within its transaction set (ST = 1).
	Position int `json:"position,omitempty"`
	// Loop is the loop identifier the segment was read in, if any.
	Loop string `json:"loop,omitempty"`
	// Element and Component are 1-based positions; 0 means the whole segment or element.
	Element   int `json:"element,omitempty"`
	Component int `json:"component,omitempty"`
	// Ref is the X12 data element reference number, when known.
	Ref int `json:"ref,omitempty"`
	// Value is a copy of the offending data, truncated.
	Value string `json:"value,omitempty"`
	// Detail is the variable part of the message.
	Detail string `json:"detail,omitempty"`
	// Err is the underlying cause, if any.
	Err error `json:"-"`
}

// Message returns the stable message of the error's code.
func (e *Error) Message() string { return e.Code.Message() }

// Place describes where the problem is, without the message:
// "segment 12 (N1), element 2" or "byte 40".
func (e *Error) Place() string {
	var b strings.Builder
	// A missing segment is reported where it was expected; its ID is in Detail.
	missing := e.Code == CodeMissingSegment || e.Code == CodeHLContent
	switch {
	case e.Code == CodeEmpty:
		b.WriteString("empty file")
	case e.SegmentID != "" && e.Segment > 0 && !missing:
		fmt.Fprintf(&b, "segment %d (%s)", e.Segment, e.SegmentID)
	case e.SegmentID != "" && !missing:
		fmt.Fprintf(&b, "segment %s", e.SegmentID)
	case e.Segment > 0:
		fmt.Fprintf(&b, "segment %d", e.Segment)
	case e.Offset >= 0:
		fmt.Fprintf(&b, "byte %d", e.Offset)
	default:
		b.WriteString("end of input")
	}
	if e.Element > 0 {
		fmt.Fprintf(&b, ", element %d", e.Element)
		if e.Component > 0 {
			fmt.Fprintf(&b, ", component %d", e.Component)
		}
	}
	return b.String()
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Place())
	if (e.SegmentID != "" || e.Segment > 0) && e.Offset >= 0 {
		b.WriteString(" at byte ")
		b.WriteString(strconv.FormatInt(e.Offset, 10))
	}
	b.WriteString(": ")
	b.WriteString(e.Text())
	return b.String()
}

// Text is the message with its detail and a severity prefix for anything
// that is not an error.
func (e *Error) Text() string {
	var b strings.Builder
	if e.Severity != SeverityError {
		b.WriteString(e.Severity.String())
		b.WriteString(": ")
	}
	b.WriteString(e.Message())
	if e.Detail != "" {
		b.WriteString(" (")
		b.WriteString(e.Detail)
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches errors by Code, so errors.Is(err, &x12.Error{Code: x12.CodeSECount}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// severityOf gives the default severity of a code.
func severityOf(c Code) Severity {
	switch c {
	case CodeNonCanonicalISA, CodeMissingTerminator, CodeTA1Placement:
		return SeverityNotice
	case CodeInvalidCode, CodeHashTotal:
		// Code lists in our tables are retail subsets of the standard lists, and
		// hash totals are computed differently by different senders: accept with errors.
		return SeverityWarning
	}
	return SeverityError
}

// newError builds an error at a segment with the code's default severity.
func newError(c Code, seg *Segment) *Error {
	e := &Error{Code: c, Severity: severityOf(c), Offset: -1}
	if seg != nil {
		e.Offset = seg.Offset
		e.Segment = seg.Ordinal
		if seg.raw != nil {
			e.SegmentID = string(seg.ID())
		} else {
			// a position mark with no bytes: the end of the input
			e.Segment = 0
			e.Detail = "at end of input"
		}
	}
	return e
}

const maxValueCopy = 99

func clip(v []byte) string {
	if len(v) > maxValueCopy {
		v = v[:maxValueCopy]
	}
	return string(v)
}
