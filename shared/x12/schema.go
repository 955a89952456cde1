package x12

import (
	"fmt"
	"slices"
	"sort"
	"sync"
)

// Req is the requirement designator of a segment, loop or element.
type Req uint8

const (
	// O is optional.
	O Req = iota
	// M is mandatory.
	M
	// X is conditional: optional by itself, governed by the segment's Notes.
	X
)

// Type is an X12 data element type.
type Type uint8

const (
	AN Type = iota // string
	ID             // identifier (code)
	DT             // date CCYYMMDD (or YYMMDD when Max is 6)
	TM             // time HHMM[SS[d..]]
	R              // decimal number
	N0             // integer
	N2             // implied two decimals
)

func (t Type) String() string {
	return [...]string{"AN", "ID", "DT", "TM", "R", "N0", "N2"}[t]
}

// ElementSpec describes one data element of a segment.
type ElementSpec struct {
	Ref   int    // X12 data element reference number (AK402)
	Name  string // e.g. "Transaction Set Purpose Code"
	Req   Req
	Type  Type
	Min   int
	Max   int
	Codes []string // allowed values; nil means any value
	// Composite marks a composite element; its components are not checked.
	Composite bool
}

// NoteKind is the kind of an X12 syntax note.
type NoteKind uint8

const (
	// Paired: if any of the elements is present, all are required.
	Paired NoteKind = iota + 1
	// Required: at least one of the elements is required.
	Required
	// Exclusion: not more than one of the elements may be present.
	Exclusion
	// Conditional: if the first is present, all the others are required.
	Conditional
	// ListConditional: if the first is present, at least one other is required.
	ListConditional
)

// SyntaxNote is an X12 syntax note over element positions (1-based).
type SyntaxNote struct {
	Kind  NoteKind
	Elems []int
}

// SegmentSpec describes a segment's elements.
type SegmentSpec struct {
	ID       string
	Name     string
	Elements []ElementSpec
	// MaxElements allows elements beyond those described, unchecked. Zero
	// means len(Elements). A spec with no Elements and no MaxElements
	// accepts any elements.
	MaxElements int
	Notes       []SyntaxNote
}

// Entry is one position in a transaction set or loop: a segment or a loop.
type Entry struct {
	Seg  string    // segment ID, when the entry is a segment
	Loop *LoopSpec // loop, when the entry is a loop
	Req  Req
	Max  int // maximum uses (segment) or repeats (loop); 0 means unbounded
}

// LoopSpec is a loop: its first entry is the segment that starts it.
type LoopSpec struct {
	ID      string
	Entries []Entry
}

// RuleKind selects what a Rule checks.
type RuleKind uint8

const (
	// RuleCount: element Element of segment Segment equals the number of
	// CountOf segments in the set (CTT01 = number of PO1 or HL).
	RuleCount RuleKind = iota + 1
	// RuleHash: element Element of Segment equals the sum of element
	// SumElement of every CountOf segment (CTT02 hash total).
	RuleHash
	// RuleHierarchy: the HL rules (see HierarchySpec).
	RuleHierarchy
	// RuleCheckDigit: when element QualifierElement of Segment is one of
	// Qualifiers, element Element must carry a valid SSCC-18 (GS1 mod 10).
	RuleCheckDigit
)

// Rule is a set-level check beyond the layout, expressed as data.
type Rule struct {
	Kind             RuleKind
	Segment          string
	Element          int
	CountOf          string
	SumElement       int
	QualifierElement int
	Qualifiers       []string
	Hierarchy        *HierarchySpec
}

// HierarchySpec describes HL rules: HL01 increasing, HL02 naming an earlier
// HL, the parent level allowed by a structure code, and segments that each
// level must contain.
type HierarchySpec struct {
	// StructureSegment/StructureElement locate the structure code (BSN05).
	StructureSegment string
	StructureElement int
	// Structures maps a structure code to, for each level code, the parent
	// levels allowed ("" for the root level).
	Structures map[string]map[string][]string
	// Default is used when the structure code is absent or unknown; nil
	// means only the reference checks apply.
	Default map[string][]string
	// Requires lists the segments each level code must contain.
	Requires map[string][]string
}

// SetSpec is the layout of one transaction set.
type SetSpec struct {
	ID           string // ST01, e.g. "850"
	Name         string
	FunctionalID string // GS01, e.g. "PO"
	// Entries are the segments and loops between ST and SE.
	Entries []Entry
	Rules   []Rule
}

// Schema is a compiled set of layouts and a segment dictionary.
type Schema struct {
	segments map[string]*SegmentSpec
	checks   map[string]*segCheck // segments compiled for validation
	sets     map[string]*compiledSet
	funcIDs  map[string]bool
}

// SchemaConfig configures NewSchema. Segments extend (or replace entries
// of) the built-in 004010 dictionary.
type SchemaConfig struct {
	Sets     []*SetSpec
	Segments []*SegmentSpec
}

type compiledSet struct {
	spec  *SetSpec
	root  *compiledLoop
	used  map[uint32]bool // every segment ID that appears in the set
	rules []Rule
	// ruleKeys holds every segment key a rule looks at and ruleIdx, at
	// the same index, the rules that look at it, in rule order; the walker
	// runs only those.
	ruleKeys []uint32
	ruleIdx  [][]int
}

// rulesFor returns the indexes of the rules that look at segments with key k.
func (cs *compiledSet) rulesFor(k uint32) []int {
	for i, rk := range cs.ruleKeys {
		if rk == k {
			return cs.ruleIdx[i]
		}
	}
	return nil
}

type compiledLoop struct {
	id      string
	entries []compiledEntry
	// mandatory lists the indexes of the M entries, ascending.
	mandatory []int
	// keys holds each entry's key, for a compact search.
	keys []uint32
	// index maps a key to the positions of the entries with it (bit i for
	// entry i), in an open-addressed table of 2^bits slots; nil when the
	// loop has more than 64 entries.
	index []loopSlot
	bits  uint
}

type loopSlot struct {
	key  uint32 // 0: empty
	mask uint64
}

// setRules gives every entry, in l and its loops, the rules for its key.
func (l *compiledLoop) setRules(cs *compiledSet) {
	for i := range l.entries {
		e := &l.entries[i]
		e.rules = cs.rulesFor(e.key)
		if e.loop != nil {
			e.loop.setRules(cs)
		}
	}
}

// buildIndex fills index from keys.
func (l *compiledLoop) buildIndex() {
	if len(l.keys) > 64 {
		return
	}
	l.bits = 1
	for 1<<l.bits < 2*len(l.keys) {
		l.bits++
	}
	l.index = make([]loopSlot, 1<<l.bits)
	for i, k := range l.keys {
		if k == 0 {
			continue
		}
		for h := l.slot(k); ; h = (h + 1) & (len(l.index) - 1) {
			if s := &l.index[h]; s.key == 0 || s.key == k {
				s.key = k
				s.mask |= 1 << uint(i)
				break
			}
		}
	}
}

func (l *compiledLoop) slot(k uint32) int { return int((k * 0x9E3779B1) >> (32 - l.bits)) }

// positions returns the mask of the entries with key k.
func (l *compiledLoop) positions(k uint32) uint64 {
	for h := l.slot(k); ; h = (h + 1) & (len(l.index) - 1) {
		s := &l.index[h]
		if s.key == k {
			return s.mask
		}
		if s.key == 0 {
			return 0
		}
	}
}

type compiledEntry struct {
	key  uint32 // segment ID, or the loop's first segment ID
	id   string
	seg  *SegmentSpec
	chk  *segCheck
	loop *compiledLoop
	// rules are the set's rules that look at key (compiledSet.rulesFor)
	rules []int
	req   Req
	max   int
}

// NewSchema compiles set layouts against the segment dictionary. Every
// segment a layout names must be in the dictionary.
func NewSchema(cfg SchemaConfig) (*Schema, error) {
	s := &Schema{segments: map[string]*SegmentSpec{}, sets: map[string]*compiledSet{}, funcIDs: map[string]bool{}}
	for _, sp := range dictionary {
		s.segments[sp.ID] = sp
	}
	for _, sp := range cfg.Segments {
		if key([]byte(sp.ID)) == 0 {
			return nil, fmt.Errorf("x12: segment spec %q: invalid ID", sp.ID)
		}
		s.segments[sp.ID] = sp
	}
	s.checks = make(map[string]*segCheck, len(s.segments))
	for id, sp := range s.segments {
		s.checks[id] = compileSegCheck(sp)
	}
	for _, set := range cfg.Sets {
		cs := &compiledSet{spec: set, used: map[uint32]bool{}, rules: set.Rules}
		root, err := s.compileLoop("", set.Entries, cs)
		if err != nil {
			return nil, fmt.Errorf("x12: set %s: %w", set.ID, err)
		}
		cs.root = root
		for ri, r := range set.Rules {
			if r.Kind == RuleHierarchy && r.Hierarchy == nil {
				return nil, fmt.Errorf("x12: set %s: hierarchy rule without HierarchySpec", set.ID)
			}
			ids := []string{r.Segment, r.CountOf}
			if h := r.Hierarchy; h != nil {
				ids = append(ids, h.StructureSegment)
				for _, req := range h.Requires {
					ids = append(ids, req...)
				}
			}
			for _, id := range ids {
				k := keyString(id)
				j := slices.Index(cs.ruleKeys, k)
				if j < 0 {
					j = len(cs.ruleKeys)
					cs.ruleKeys = append(cs.ruleKeys, k)
					cs.ruleIdx = append(cs.ruleIdx, nil)
				}
				if !slices.Contains(cs.ruleIdx[j], ri) {
					cs.ruleIdx[j] = append(cs.ruleIdx[j], ri)
				}
			}
		}
		cs.root.setRules(cs)
		s.sets[set.ID] = cs
		s.funcIDs[set.FunctionalID] = true
	}
	return s, nil
}

func (s *Schema) compileLoop(id string, entries []Entry, cs *compiledSet) (*compiledLoop, error) {
	l := &compiledLoop{id: id, entries: make([]compiledEntry, len(entries))}
	for i, e := range entries {
		ce := compiledEntry{req: e.Req, max: e.Max}
		switch {
		case e.Loop != nil:
			if len(e.Loop.Entries) == 0 || e.Loop.Entries[0].Loop != nil {
				return nil, fmt.Errorf("loop %s must start with a segment", e.Loop.ID)
			}
			sub, err := s.compileLoop(e.Loop.ID, e.Loop.Entries, cs)
			if err != nil {
				return nil, err
			}
			ce.loop = sub
			ce.id = e.Loop.Entries[0].Seg
		case e.Seg != "":
			sp, ok := s.segments[e.Seg]
			if !ok {
				return nil, fmt.Errorf("segment %s is not in the dictionary", e.Seg)
			}
			ce.seg = sp
			ce.chk = s.checks[e.Seg]
			ce.id = e.Seg
		default:
			return nil, fmt.Errorf("empty entry %d in loop %q", i, id)
		}
		ce.key = keyString(ce.id)
		cs.used[ce.key] = true
		l.entries[i] = ce
		l.keys = append(l.keys, ce.key)
		if ce.req == M {
			l.mandatory = append(l.mandatory, i)
		}
	}
	l.buildIndex()
	return l, nil
}

// Segment returns the dictionary entry for a segment ID.
func (s *Schema) Segment(id string) (*SegmentSpec, bool) {
	sp, ok := s.segments[id]
	return sp, ok
}

// Set returns the layout of a transaction set.
func (s *Schema) Set(id string) (*SetSpec, bool) {
	cs, ok := s.sets[id]
	if !ok {
		return nil, false
	}
	return cs.spec, true
}

// SetIDs lists the supported transaction sets.
func (s *Schema) SetIDs() []string {
	ids := make([]string, 0, len(s.sets))
	for id := range s.sets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// ElementName returns "BEG03 Purchase Order Number" style labels, or ""
// when the element is not described.
func (s *Schema) ElementName(segID string, i int) string {
	sp, ok := s.segments[segID]
	if !ok || i < 1 || i > len(sp.Elements) {
		return ""
	}
	return sp.Elements[i-1].Name
}

var defaultSchema = sync.OnceValue(func() *Schema {
	s, err := NewSchema(SchemaConfig{Sets: builtinSets()})
	if err != nil {
		panic(err) // the built-in tables are covered by tests
	}
	return s
})

// DefaultSchema returns the built-in 004010 layouts for 850, 856, 940, 945
// and 997.
func DefaultSchema() *Schema { return defaultSchema() }
