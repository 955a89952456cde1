package x12

import (
	"fmt"
	"strconv"
)

// FunctionalAck is a received 997, read into plain data.
type FunctionalAck struct {
	// Interchange is the ISA13 of the interchange that carried the 997.
	Interchange string `json:"interchange,omitempty"`
	// Control is the 997's own ST02.
	Control      string   `json:"control"`
	FunctionalID string   `json:"functional_id"` // AK101: the acknowledged group's GS01
	GroupControl string   `json:"group_control"` // AK102: its GS06
	Status       string   `json:"status"`        // AK901: A, E, P or R
	Included     int      `json:"included"`      // AK902
	Received     int      `json:"received"`      // AK903
	Accepted     int      `json:"accepted"`      // AK904
	GroupErrors  []string `json:"group_errors,omitempty"`
	Sets         []SetAck `json:"sets,omitempty"`
}

// SetAck is one AK2 loop.
type SetAck struct {
	ID       string        `json:"id"`      // AK201
	Control  string        `json:"control"` // AK202
	Status   string        `json:"status"`  // AK501
	Errors   []string      `json:"errors,omitempty"`
	Segments []SegmentNote `json:"segments,omitempty"`
}

// SegmentNote is one AK3 with its AK4s.
type SegmentNote struct {
	ID       string        `json:"id"`
	Position int           `json:"position"`
	Loop     string        `json:"loop,omitempty"`
	Code     string        `json:"code,omitempty"`
	Elements []ElementNote `json:"elements,omitempty"`
}

// ElementNote is one AK4.
type ElementNote struct {
	Position  int    `json:"position"`
	Component int    `json:"component,omitempty"`
	Ref       int    `json:"ref,omitempty"`
	Code      string `json:"code"`
	Value     string `json:"value,omitempty"`
}

// InterchangeAck is a received TA1.
type InterchangeAck struct {
	Control string `json:"control"` // TA101: the acknowledged ISA13
	Date    string `json:"date"`
	Time    string `json:"time"`
	Status  string `json:"status"` // TA104: A, E or R
	Note    string `json:"note"`   // TA105
}

// Outcome says what a 997 did to one of our transaction sets.
type Outcome string

const (
	OutcomeAccepted           Outcome = "accepted"
	OutcomeAcceptedWithErrors Outcome = "accepted-with-errors"
	OutcomeRejected           Outcome = "rejected"
	// OutcomeUnknown: the 997 names neither the set nor a group status that decides it.
	OutcomeUnknown Outcome = "unknown"
	// OutcomePending: no 997 for the set's group has been received.
	OutcomePending Outcome = "pending"
)

func outcomeOf(code string) Outcome {
	switch code {
	case "A":
		return OutcomeAccepted
	case "E", "M", "W":
		return OutcomeAcceptedWithErrors
	case "R", "X":
		return OutcomeRejected
	}
	return OutcomeUnknown
}

// SetOutcome returns the 997's verdict on the set with ST02 control. A set
// without its own AK2 takes the group's verdict when AK901 is A, E or R.
func (a *FunctionalAck) SetOutcome(control string) Outcome {
	for _, s := range a.Sets {
		if sameControl([]byte(s.Control), []byte(control)) {
			return outcomeOf(s.Status)
		}
	}
	if a.Status == "P" {
		return OutcomeUnknown
	}
	return outcomeOf(a.Status)
}

// ReadFunctionalAck reads a 997 transaction set.
func ReadFunctionalAck(t *Transaction) (*FunctionalAck, error) {
	if t.ID() != "997" {
		return nil, fmt.Errorf("x12: transaction set %s is not a 997", t.ID())
	}
	a := &FunctionalAck{Control: t.Control()}
	var set *SetAck
	var note *SegmentNote
	sawAK1, sawAK9 := false, false
	for _, s := range t.Body() {
		switch string(s.ID()) {
		case "AK1":
			sawAK1 = true
			a.FunctionalID, a.GroupControl = s.String(1), s.Trimmed(2)
		case "AK2":
			a.Sets = append(a.Sets, SetAck{ID: s.String(1), Control: s.Trimmed(2)})
			set, note = &a.Sets[len(a.Sets)-1], nil
		case "AK3":
			if set == nil {
				return nil, fmt.Errorf("x12: 997 %s: AK3 at segment %d outside an AK2 loop", a.Control, s.Ordinal)
			}
			pos, _ := strconv.Atoi(s.String(2))
			set.Segments = append(set.Segments, SegmentNote{ID: s.String(1), Position: pos, Loop: s.String(3), Code: s.String(4)})
			note = &set.Segments[len(set.Segments)-1]
		case "AK4":
			if note == nil {
				return nil, fmt.Errorf("x12: 997 %s: AK4 at segment %d without AK3", a.Control, s.Ordinal)
			}
			p, _ := strconv.Atoi(string(s.Component(1, 1)))
			c, _ := strconv.Atoi(string(s.Component(1, 2)))
			ref, _ := strconv.Atoi(s.String(2))
			note.Elements = append(note.Elements, ElementNote{Position: p, Component: c, Ref: ref, Code: s.String(3), Value: s.String(4)})
		case "AK5":
			if set == nil {
				return nil, fmt.Errorf("x12: 997 %s: AK5 at segment %d outside an AK2 loop", a.Control, s.Ordinal)
			}
			set.Status = s.String(1)
			for i := 2; i <= s.Len(); i++ {
				if v := s.String(i); v != "" {
					set.Errors = append(set.Errors, v)
				}
			}
			set, note = nil, nil
		case "AK9":
			sawAK9 = true
			a.Status = s.String(1)
			a.Included, _ = strconv.Atoi(s.String(2))
			a.Received, _ = strconv.Atoi(s.String(3))
			a.Accepted, _ = strconv.Atoi(s.String(4))
			for i := 5; i <= s.Len(); i++ {
				if v := s.String(i); v != "" {
					a.GroupErrors = append(a.GroupErrors, v)
				}
			}
		}
	}
	if !sawAK1 || !sawAK9 {
		return nil, fmt.Errorf("x12: 997 %s lacks AK1 or AK9", a.Control)
	}
	return a, nil
}

// ReadAcks returns every 997 and TA1 in a document.
func ReadAcks(doc *Document) ([]*FunctionalAck, []InterchangeAck, error) {
	var fas []*FunctionalAck
	var tas []InterchangeAck
	for _, ix := range doc.Interchanges {
		for _, t := range ix.TA1 {
			tas = append(tas, InterchangeAck{Control: t.Trimmed(1), Date: t.String(2), Time: t.String(3), Status: t.String(4), Note: t.String(5)})
		}
		for _, g := range ix.Groups {
			for _, t := range g.Sets {
				if t.ID() != "997" {
					continue
				}
				a, err := ReadFunctionalAck(t)
				if err != nil {
					return fas, tas, err
				}
				a.Interchange = ix.Control()
				fas = append(fas, a)
			}
		}
	}
	return fas, tas, nil
}

// SetOutcomeReport is the verdict on one set we sent.
type SetOutcomeReport struct {
	FunctionalID string  `json:"functional_id"`
	GroupControl string  `json:"group_control"`
	ID           string  `json:"id"`
	Control      string  `json:"control"`
	Outcome      Outcome `json:"outcome"`
}

// Reconcile matches what we sent against received 997s (by GS01 and
// GS06, then ST02) and returns one verdict per set sent.
func Reconcile(sent []*Sent, acks []*FunctionalAck) []SetOutcomeReport {
	var out []SetOutcomeReport
	for _, s := range sent {
		for _, g := range s.Groups {
			var ack *FunctionalAck
			for _, a := range acks {
				if a.FunctionalID == g.FunctionalID && sameControl([]byte(a.GroupControl), []byte(g.Control)) {
					ack = a
				}
			}
			for _, set := range g.Sets {
				o := OutcomePending
				if ack != nil {
					o = ack.SetOutcome(set.Control)
				}
				out = append(out, SetOutcomeReport{FunctionalID: g.FunctionalID, GroupControl: g.Control, ID: set.ID, Control: set.Control, Outcome: o})
			}
		}
	}
	return out
}
