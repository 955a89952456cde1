package arenatest

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/popsockets/integration/shared/arena"
)

// ItemSpec describes an item revision to add or make effective.
type ItemSpec struct {
	Number, Name, Description string
	// Revision is the revision number ("A", "B", "01"...).
	Revision string
	Category string
	UOM      string
	// Attributes are additional attributes by name (a string, number or list).
	Attributes map[string]any
	BOM        []BOMSpec
	// Effective is when the revision became effective (default: the fake's now).
	Effective time.Time
}

// BOMSpec is one BOM line: a child item by number (it must exist) and a quantity.
type BOMSpec struct {
	Number   string
	Quantity int
	RefDes   string
}

// AddItem adds an item whose first revision is spec, without an event. It
// returns the item's GUID.
func (s *Server) AddItem(spec ItemSpec) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.byNumber[spec.Number]; dup {
		return "", fmt.Errorf("arenatest: item %s exists (409 duplicate number)", spec.Number)
	}
	it := &item{guid: newGUID(), number: spec.Number}
	rev, err := s.revisionLocked(it, spec)
	if err != nil {
		return "", err
	}
	it.revisions = append(it.revisions, rev)
	s.items[it.guid] = it
	s.byNumber[it.number] = it
	return it.guid, nil
}

// Revise makes spec the item's new effective revision (the old one is
// superseded) and records an unreconciled event for it, as a change
// becoming effective does. It returns the new revision's GUID.
func (s *Server) Revise(spec ItemSpec) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.byNumber[spec.Number]
	if !ok {
		return "", fmt.Errorf("arenatest: no item %s", spec.Number)
	}
	old := it.current()
	rev, err := s.revisionLocked(it, spec)
	if err != nil {
		return "", err
	}
	old.item.Status = arena.RevisionStatusSuperseded
	old.item.SupersededDateTime = rev.item.EffectiveDateTime
	it.revisions = append(it.revisions, rev)
	s.eventLocked(it, rev, old)
	return rev.guid, nil
}

// Publish records an unreconciled event for the item's current revision
// (a first release) and returns the event's GUID.
func (s *Server) Publish(number string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.byNumber[number]
	if !ok {
		return "", fmt.Errorf("arenatest: no item %s", number)
	}
	return s.eventLocked(it, it.current(), nil), nil
}

func (s *Server) eventLocked(it *item, rev, old *revision) string {
	s.seq++
	e := &event{e: arena.Event{GUID: newGUID(), EventType: "CHANGE", Status: "NEEDS_UPDATE",
		CreationDateTime: rev.item.EffectiveDateTime}}
	e.e.Change = &struct {
		GUID              string `json:"guid"`
		Number            string `json:"number"`
		EffectiveDateTime string `json:"effectiveDateTime"`
	}{GUID: newGUID(), Number: fmt.Sprintf("ECO-%06d", s.seq), EffectiveDateTime: rev.item.EffectiveDateTime}
	ei := arena.EventItem{GUID: newGUID(), Effective: &arena.ItemRef{GUID: rev.guid, Number: it.number, Name: rev.item.Name,
		RevisionNumber: rev.item.RevisionNumber}}
	if old != nil {
		ei.Superseded = &arena.ItemRef{GUID: old.guid, Number: it.number, Name: old.item.Name, RevisionNumber: old.item.RevisionNumber}
	}
	e.items = append(e.items, ei)
	s.events = append(s.events, e)
	return e.e.GUID
}

func (s *Server) revisionLocked(it *item, spec ItemSpec) (*revision, error) {
	eff := spec.Effective
	if eff.IsZero() {
		eff = s.cfg.Now()
	}
	eff = eff.UTC().Truncate(time.Second)
	rev := &revision{guid: newGUID(), effective: eff}
	rev.item = arena.Item{
		GUID: rev.guid, Number: it.number, Name: spec.Name, Description: spec.Description, RevisionNumber: spec.Revision,
		Status: arena.RevisionStatusEffective, EffectiveDateTime: eff.Format(time.RFC3339),
		Category: arena.Ref{GUID: "CAT" + spec.Category, Name: spec.Category}, LifecyclePhase: arena.Ref{GUID: "LCPRODUCTION", Name: "In Production"},
		UOM: spec.UOM, AssemblyType: "NOT_AN_ASSEMBLY",
	}
	if len(spec.BOM) > 0 {
		rev.item.AssemblyType = "ASSEMBLY"
	}
	names := make([]string, 0, len(spec.Attributes))
	for n := range spec.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v, _ := json.Marshal(spec.Attributes[n])
		guid := fmt.Sprintf("ATTR%016X", hash(n))
		rev.item.AdditionalAttributes = append(rev.item.AdditionalAttributes, arena.Attribute{GUID: guid, APIName: guid, Name: n,
			FieldType: fieldType(spec.Attributes[n]), Value: v})
	}
	for i, b := range spec.BOM {
		child, ok := s.byNumber[b.Number]
		if !ok {
			return nil, fmt.Errorf("arenatest: BOM of %s names unknown item %s", it.number, b.Number)
		}
		cur := child.current()
		rev.bom = append(rev.bom, arena.BOMLine{GUID: newGUID(), LineNumber: i + 1, Quantity: json.Number(fmt.Sprint(b.Quantity)), RefDes: b.RefDes,
			Item: arena.ItemRef{GUID: child.guid, Number: child.number, Name: cur.item.Name, RevisionNumber: cur.item.RevisionNumber, RevisionStatus: "EFFECTIVE"}})
	}
	s.revs[rev.guid] = rev
	return rev, nil
}

func fieldType(v any) string {
	switch v.(type) {
	case int, int64, float64:
		return "NUMBER"
	case []string, []any:
		return "FIXED_DROP_DOWN"
	default:
		return "SINGLE_LINE_TEXT"
	}
}

func hash(s string) uint64 {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// UnreconciledEvents counts the events not yet reconciled.
func (s *Server) UnreconciledEvents() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.events {
		if !e.e.ItemsReconciled {
			n++
		}
	}
	return n
}
