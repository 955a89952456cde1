package x12

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ControlKind says which control number is wanted.
type ControlKind uint8

const (
	ControlInterchange ControlKind = iota + 1 // ISA13/IEA02
	ControlGroup                              // GS06/GE02
	ControlSet                                // ST02/SE02
)

func (k ControlKind) String() string {
	switch k {
	case ControlInterchange:
		return "interchange"
	case ControlGroup:
		return "group"
	case ControlSet:
		return "set"
	}
	return "unknown"
}

// ControlKey names one outbound sequence: per kind and trading partner
// (ISA sender and receiver), and for groups and sets the functional ID.
type ControlKey struct {
	Kind         ControlKind
	Sender       string // ISA06, trimmed
	Receiver     string // ISA08, trimmed
	FunctionalID string // GS01; empty for interchanges
}

// ControlNumbers hands out control numbers. Implementations persist their
// sequences and commit a number before it is returned, so a crash can
// never reuse one. Numbers must be in 1..999999999.
type ControlNumbers interface {
	Next(ctx context.Context, key ControlKey) (int64, error)
}

// Sequence is an in-memory ControlNumbers for tests and tools: one counter
// per key, starting at Start (1 if zero) and wrapping after 999999999.
type Sequence struct {
	Start int64

	mu   sync.Mutex
	next map[ControlKey]int64
}

var _ ControlNumbers = (*Sequence)(nil)

// Next returns the key's next number.
func (s *Sequence) Next(ctx context.Context, key ControlKey) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next == nil {
		s.next = map[ControlKey]int64{}
	}
	n, ok := s.next[key]
	if !ok {
		n = s.Start
		if n <= 0 {
			n = 1
		}
	}
	s.next[key] = n%maxControl + 1
	return n, nil
}

const maxControl = 999999999

// Envelope holds what an outbound interchange needs besides its content.
type Envelope struct {
	SenderQualifier   string // ISA05, e.g. "ZZ" or "01"
	SenderID          string // ISA06, up to 15 characters
	ReceiverQualifier string // ISA07
	ReceiverID        string // ISA08
	// GroupSender and GroupReceiver are GS02/GS03; they default to the ISA IDs.
	GroupSender   string
	GroupReceiver string
	// Usage is ISA15: "P" (default) or "T".
	Usage string
	// AckRequested sets ISA14 to 1 (TA1 requested).
	AckRequested bool
	// Version is GS08; default "004010".
	Version string
	// Delimiters for the output; the zero value means DefaultDelimiters.
	Delimiters Delimiters
	// Suffix is written after each terminator ("" or "\n").
	Suffix string
	// Time stamps ISA09/10 and GS04/05. Required: the caller's clock.
	Time time.Time
	// TA1 segments are written between the ISA and the first GS.
	TA1 []Seg
}

// OutGroup is a functional group to send.
type OutGroup struct {
	FunctionalID string // GS01
	// Sender and Receiver override the envelope's GS02/GS03 for this group.
	Sender   string
	Receiver string
	Sets     []OutSet
}

// OutSet is a transaction set to send: the ID and the segments between
// ST and SE.
type OutSet struct {
	ID   string
	Body []Seg
}

// Sent records the control numbers assigned to an interchange, for
// matching 997s later.
type Sent struct {
	Interchange string      `json:"interchange"` // ISA13
	Groups      []SentGroup `json:"groups"`
}

// SentGroup records one group's control numbers.
type SentGroup struct {
	FunctionalID string    `json:"functional_id"`
	Control      string    `json:"control"` // GS06
	Sets         []SentSet `json:"sets"`
}

// SentSet records one set's control number.
type SentSet struct {
	ID      string `json:"id"`
	Control string `json:"control"` // ST02
}

func (e *Envelope) check() error {
	var missing []string
	if e.SenderQualifier == "" {
		missing = append(missing, "SenderQualifier")
	}
	if e.SenderID == "" {
		missing = append(missing, "SenderID")
	}
	if e.ReceiverQualifier == "" {
		missing = append(missing, "ReceiverQualifier")
	}
	if e.ReceiverID == "" {
		missing = append(missing, "ReceiverID")
	}
	if e.Time.IsZero() {
		missing = append(missing, "Time")
	}
	if len(missing) > 0 {
		return fmt.Errorf("x12: envelope is missing %s", strings.Join(missing, ", "))
	}
	if len(e.SenderQualifier) != 2 || len(e.ReceiverQualifier) != 2 {
		return errors.New("x12: envelope qualifiers must be 2 characters")
	}
	if len(e.SenderID) > 15 || len(e.ReceiverID) > 15 {
		return errors.New("x12: envelope sender and receiver IDs are at most 15 characters")
	}
	if e.Usage != "" && e.Usage != "P" && e.Usage != "T" {
		return fmt.Errorf("x12: envelope usage %q is not P or T", e.Usage)
	}
	d := e.delims()
	if err := d.Validate(); err != nil {
		return fmt.Errorf("x12: envelope delimiters: %w", err)
	}
	return nil
}

func (e *Envelope) delims() Delimiters {
	if e.Delimiters == (Delimiters{}) {
		return DefaultDelimiters
	}
	d := e.Delimiters
	d.Repetition = 0 // 00401 has no repetition separator
	return d
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat(" ", n-len(s))
}

func next(ctx context.Context, numbers ControlNumbers, key ControlKey) (int64, error) {
	n, err := numbers.Next(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("x12: getting %s control number: %w", key.Kind, err)
	}
	if n < 1 || n > maxControl {
		return 0, fmt.Errorf("x12: %s control number %d out of range 1..%d", key.Kind, n, maxControl)
	}
	return n, nil
}

// Encode writes one interchange holding groups, with SE01, GE01 and IEA01
// counted and control numbers taken from numbers. Nothing is written to w
// unless the whole interchange could be built.
func (e Envelope) Encode(ctx context.Context, w io.Writer, numbers ControlNumbers, groups ...OutGroup) (*Sent, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	if numbers == nil {
		return nil, errors.New("x12: no control number source")
	}
	if len(groups) == 0 && len(e.TA1) == 0 {
		return nil, errors.New("x12: interchange has no groups")
	}
	d := e.delims()
	var buf bytes.Buffer
	wr, err := NewWriter(&buf, d, e.Suffix)
	if err != nil {
		return nil, err
	}
	sender, receiver := strings.TrimSpace(e.SenderID), strings.TrimSpace(e.ReceiverID)
	gsSender, gsReceiver := e.GroupSender, e.GroupReceiver
	if gsSender == "" {
		gsSender = sender
	}
	if gsReceiver == "" {
		gsReceiver = receiver
	}
	usage, version, ack := e.Usage, e.Version, "0"
	if usage == "" {
		usage = "P"
	}
	if version == "" {
		version = "004010"
	}
	if e.AckRequested {
		ack = "1"
	}
	ictl, err := next(ctx, numbers, ControlKey{Kind: ControlInterchange, Sender: sender, Receiver: receiver})
	if err != nil {
		return nil, err
	}
	sent := &Sent{Interchange: fmt.Sprintf("%09d", ictl)}
	isa := Seg{ID: "ISA", Elements: []string{
		"00", pad("", 10), "00", pad("", 10),
		e.SenderQualifier, pad(e.SenderID, 15), e.ReceiverQualifier, pad(e.ReceiverID, 15),
		e.Time.Format("060102"), e.Time.Format("1504"), "U", "00401", sent.Interchange, ack, usage, string(d.Component),
	}}
	if err := wr.Write(isa); err != nil {
		return nil, err
	}
	for _, t := range e.TA1 {
		if err := wr.Write(t); err != nil {
			return nil, err
		}
	}
	for _, g := range groups {
		if len(g.FunctionalID) != 2 {
			return nil, fmt.Errorf("x12: functional ID %q must be 2 characters", g.FunctionalID)
		}
		gctl, err := next(ctx, numbers, ControlKey{Kind: ControlGroup, Sender: sender, Receiver: receiver, FunctionalID: g.FunctionalID})
		if err != nil {
			return nil, err
		}
		sg := SentGroup{FunctionalID: g.FunctionalID, Control: strconv.FormatInt(gctl, 10)}
		from, to := gsSender, gsReceiver
		if g.Sender != "" {
			from = g.Sender
		}
		if g.Receiver != "" {
			to = g.Receiver
		}
		if err := wr.Write(NewSeg("GS", g.FunctionalID, from, to,
			e.Time.Format("20060102"), e.Time.Format("1504"), sg.Control, "X", version)); err != nil {
			return nil, err
		}
		for _, set := range g.Sets {
			if len(set.ID) != 3 {
				return nil, fmt.Errorf("x12: transaction set ID %q must be 3 characters", set.ID)
			}
			sctl, err := next(ctx, numbers, ControlKey{Kind: ControlSet, Sender: sender, Receiver: receiver, FunctionalID: g.FunctionalID})
			if err != nil {
				return nil, err
			}
			ss := SentSet{ID: set.ID, Control: fmt.Sprintf("%04d", sctl)}
			if err := wr.Write(NewSeg("ST", set.ID, ss.Control)); err != nil {
				return nil, err
			}
			for _, s := range set.Body {
				if err := wr.Write(s); err != nil {
					return nil, fmt.Errorf("x12: writing %s %s: %w", set.ID, ss.Control, err)
				}
			}
			if err := wr.Write(NewSeg("SE", strconv.Itoa(len(set.Body)+2), ss.Control)); err != nil {
				return nil, err
			}
			sg.Sets = append(sg.Sets, ss)
		}
		if err := wr.Write(NewSeg("GE", strconv.Itoa(len(g.Sets)), sg.Control)); err != nil {
			return nil, err
		}
		sent.Groups = append(sent.Groups, sg)
	}
	if err := wr.Write(NewSeg("IEA", strconv.Itoa(len(groups)), sent.Interchange)); err != nil {
		return nil, err
	}
	if err := wr.Flush(); err != nil {
		return nil, err
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("x12: writing interchange: %w", err)
	}
	return sent, nil
}
