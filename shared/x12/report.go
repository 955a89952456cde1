package x12

import (
	"sort"
)

// Report is the result of validating a file: one entry per interchange,
// group and transaction set, each with the problems found in it.
type Report struct {
	Interchanges []*InterchangeReport `json:"interchanges"`
	// Errors holds problems outside any interchange (junk, stray segments)
	// and reading notices.
	Errors []*Error `json:"errors,omitempty"`
}

// InterchangeReport describes one interchange.
type InterchangeReport struct {
	Control           string     `json:"control"` // ISA13
	SenderQualifier   string     `json:"sender_qualifier"`
	SenderID          string     `json:"sender_id"`
	ReceiverQualifier string     `json:"receiver_qualifier"`
	ReceiverID        string     `json:"receiver_id"`
	Date              string     `json:"date"` // ISA09 YYMMDD
	Time              string     `json:"time"` // ISA10 HHMM
	Version           string     `json:"version"`
	Usage             string     `json:"usage"`
	AckRequested      bool       `json:"ack_requested"`
	Delimiters        Delimiters `json:"delimiters"`
	// Implicit is true when the interchange had no ISA.
	Implicit bool `json:"implicit,omitempty"`
	// TA1 counts interchange acknowledgments found in it.
	TA1    int            `json:"ta1,omitempty"`
	Groups []*GroupReport `json:"groups"`
	Errors []*Error       `json:"errors,omitempty"`
	Offset int64          `json:"offset"`
}

// GroupReport describes one functional group.
type GroupReport struct {
	FunctionalID string `json:"functional_id"` // GS01
	Control      string `json:"control"`       // GS06
	Sender       string `json:"sender"`        // GS02
	Receiver     string `json:"receiver"`      // GS03
	Date         string `json:"date"`
	Time         string `json:"time"`
	Version      string `json:"version"` // GS08
	// Included is GE01 as sent (or the number of sets when GE01 is unusable).
	Included int  `json:"included"`
	Implicit bool `json:"implicit,omitempty"`
	// Status is the AK901 roll-up: A, E, P or R.
	Status string       `json:"status"`
	Sets   []*SetReport `json:"sets"`
	Errors []*Error     `json:"errors,omitempty"`
	Offset int64        `json:"offset"`
}

// SetReport describes one transaction set.
type SetReport struct {
	ID      string `json:"id"`      // ST01
	Control string `json:"control"` // ST02
	// Segments is the number of segments counted, ST and SE included.
	Segments int `json:"segments"`
	// Status is the AK501 code: A, E or R.
	Status string   `json:"status"`
	Errors []*Error `json:"errors,omitempty"`
	Offset int64    `json:"offset"`
	// Ordinal is the ST's segment ordinal in the input.
	Ordinal int `json:"ordinal"`
}

// Received returns the number of transaction sets in the group.
func (g *GroupReport) Received() int { return len(g.Sets) }

// Accepted returns the number of sets accepted, with or without errors.
func (g *GroupReport) Accepted() int {
	n := 0
	for _, s := range g.Sets {
		if s.Status != "R" {
			n++
		}
	}
	return n
}

// All returns every problem in the report in input order.
func (r *Report) All() []*Error {
	var out []*Error
	out = append(out, r.Errors...)
	for _, ix := range r.Interchanges {
		out = append(out, ix.Errors...)
		for _, g := range ix.Groups {
			out = append(out, g.Errors...)
			for _, s := range g.Sets {
				out = append(out, s.Errors...)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return lessPlace(out[i], out[j]) })
	return out
}

func lessPlace(a, b *Error) bool {
	ao, bo := a.Offset, b.Offset
	if ao < 0 {
		ao = 1<<62 - 1
	}
	if bo < 0 {
		bo = 1<<62 - 1
	}
	if ao != bo {
		return ao < bo
	}
	if a.Element != b.Element {
		return a.Element < b.Element
	}
	if a.Component != b.Component {
		return a.Component < b.Component
	}
	// same place: order by code so that every way of validating (tree or
	// stream) lists problems identically
	if a.Code != b.Code {
		return a.Code < b.Code
	}
	return a.Detail < b.Detail
}

// Valid reports whether the report has no errors or warnings (notices are
// allowed).
func (r *Report) Valid() bool {
	for _, e := range r.All() {
		if e.Severity != SeverityNotice {
			return false
		}
	}
	return true
}

// Count returns the number of problems of each severity.
func (r *Report) Count() (errs, warnings, notices int) {
	for _, e := range r.All() {
		switch e.Severity {
		case SeverityError:
			errs++
		case SeverityWarning:
			warnings++
		default:
			notices++
		}
	}
	return
}

func worst(errs []*Error) (hasError, hasWarning bool) {
	for _, e := range errs {
		switch e.Severity {
		case SeverityError:
			hasError = true
		case SeverityWarning:
			hasWarning = true
		}
	}
	return
}

// setStatus computes AK501.
func setStatus(s *SetReport) string {
	hasErr, hasWarn := worst(s.Errors)
	switch {
	case hasErr:
		return "R"
	case hasWarn:
		return "E"
	}
	return "A"
}

// groupStatus computes AK901: R when the group itself has errors or every
// set is rejected; P when some are rejected; E when some were accepted with
// errors; A otherwise.
func groupStatus(g *GroupReport) string {
	hasErr, hasWarn := worst(g.Errors)
	if hasErr {
		return "R"
	}
	var rejected, withErrors int
	for _, s := range g.Sets {
		switch s.Status {
		case "R":
			rejected++
		case "E":
			withErrors++
		}
	}
	switch {
	case rejected > 0 && rejected == len(g.Sets):
		return "R"
	case rejected > 0:
		return "P"
	case withErrors > 0 || hasWarn:
		return "E"
	}
	return "A"
}
