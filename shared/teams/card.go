package teams

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Severity says how bad an alert is; it colours the title.
type Severity string

// The severities.
const (
	SeverityInfo    Severity = "info"
	SeverityWarning Severity = "warning"
	SeverityError   Severity = "error"
)

// Alert is one message to the channel. Keep personal data and secrets out
// of it: it is read by people and kept by Teams.
type Alert struct {
	Title string
	Text  string
	// Severity is info (the default when empty), warning or error.
	Severity Severity
	Facts    []Fact
	// Link, when set, becomes an "Open" button (a runbook, a KQL query).
	Link string
}

// Fact is one name and value, shown as a row of a fact set.
type Fact struct {
	Name  string
	Value string
}

// The Workflows payload constants.
const (
	MessageType       = "message"
	AdaptiveCardType  = "application/vnd.microsoft.card.adaptive"
	AdaptiveSchema    = "http://adaptivecards.io/schemas/adaptive-card.json"
	AdaptiveCard      = "AdaptiveCard"
	AdaptiveCardVer   = "1.4"
	TruncatedMark     = "… (truncated)"
	truncatedFactName = "(truncated)"
)

// Message is the body a Workflows webhook receives.
type Message struct {
	Type        string       `json:"type"`
	Attachments []Attachment `json:"attachments"`
}

// Attachment holds one card.
type Attachment struct {
	ContentType string  `json:"contentType"`
	ContentURL  *string `json:"contentUrl"`
	Content     Card    `json:"content"`
}

// Card is an Adaptive Card, with the elements this package uses.
type Card struct {
	Schema  string    `json:"$schema"`
	Type    string    `json:"type"`
	Version string    `json:"version"`
	Body    []Element `json:"body"`
	Actions []Action  `json:"actions,omitempty"`
}

// Element is a TextBlock or a FactSet.
type Element struct {
	Type   string     `json:"type"`
	Text   string     `json:"text,omitempty"`
	Size   string     `json:"size,omitempty"`
	Weight string     `json:"weight,omitempty"`
	Color  string     `json:"color,omitempty"`
	Wrap   bool       `json:"wrap,omitempty"`
	Facts  []CardFact `json:"facts,omitempty"`
}

// CardFact is one row of a FactSet.
type CardFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// Action is an Action.OpenUrl button.
type Action struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Caps that hold whatever the size budget: a title is a line, a fact name
// a label, and a cut link is useless (it is dropped instead).
const (
	maxTitle    = 256
	maxFactName = 128
	maxLink     = 2048
	// minCut is the least of a text or a value kept when cutting.
	minCut = 64
	// MinCardBytes is the smallest MaxCardBytes accepted.
	MinCardBytes = 2048
)

var colors = map[Severity]string{SeverityInfo: "Accent", SeverityWarning: "Warning", SeverityError: "Attention"}

func (a Alert) check() error {
	if strings.TrimSpace(a.Title) == "" && strings.TrimSpace(a.Text) == "" {
		return errors.New("alert has no title and no text")
	}
	if _, ok := colors[a.severity()]; !ok {
		return fmt.Errorf("alert severity %q is not info, warning or error", a.Severity)
	}
	return nil
}

func (a Alert) severity() Severity {
	if a.Severity == "" {
		return SeverityInfo
	}
	return a.Severity
}

// Payload is the JSON body for a, within maxBytes (see the package doc).
func Payload(a Alert, maxBytes int) ([]byte, error) {
	if err := a.check(); err != nil {
		return nil, err
	}
	if maxBytes < MinCardBytes {
		return nil, fmt.Errorf("card limit %d is under the minimum %d", maxBytes, MinCardBytes)
	}
	a = a.valid()
	longest := len(a.Text)
	for _, f := range a.Facts {
		longest = max(longest, len(f.Value))
	}
	if b := render(a, longest, len(a.Facts)); len(b) <= maxBytes {
		return b, nil
	}
	// Keep as many facts as fit with everything cut short, then give the
	// text and the values as much room as is left.
	n := largest(0, len(a.Facts), func(n int) bool { return len(render(a, minCut, n)) <= maxBytes })
	if n < 0 {
		return nil, fmt.Errorf("alert does not fit in %d bytes even cut short", maxBytes)
	}
	k := largest(minCut, longest, func(k int) bool { return len(render(a, k, n)) <= maxBytes })
	return render(a, k, n), nil
}

// valid returns a copy of a whose strings are valid UTF-8, so that cutting
// them keeps them valid.
func (a Alert) valid() Alert {
	fix := func(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
	a.Title, a.Text, a.Link = fix(a.Title), fix(a.Text), fix(a.Link)
	facts := make([]Fact, len(a.Facts))
	for i, f := range a.Facts {
		facts[i] = Fact{Name: fix(f.Name), Value: fix(f.Value)}
	}
	a.Facts = facts
	return a
}

// largest is the largest x in [lo, hi] with ok(x), for ok true up to some
// point and false after it; -1 if ok(lo) is false.
func largest(lo, hi int, ok func(int) bool) int {
	if !ok(lo) {
		return -1
	}
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if ok(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// render builds the payload with text and fact values cut to limit bytes
// and the first n facts.
func render(a Alert, limit, n int) []byte {
	var body []Element
	if t := strings.TrimSpace(a.Title); t != "" {
		body = append(body, Element{Type: "TextBlock", Text: cut(t, maxTitle), Size: "Large", Weight: "Bolder", Color: colors[a.severity()], Wrap: true})
	}
	if a.Text != "" {
		body = append(body, Element{Type: "TextBlock", Text: cut(a.Text, limit), Wrap: true})
	}
	if len(a.Facts) > 0 {
		facts := make([]CardFact, 0, n+1)
		for _, f := range a.Facts[:n] {
			facts = append(facts, CardFact{Title: cut(f.Name, maxFactName), Value: cut(f.Value, limit)})
		}
		if n < len(a.Facts) {
			facts = append(facts, CardFact{Title: truncatedFactName, Value: fmt.Sprintf("%d more facts not shown", len(a.Facts)-n)})
		}
		body = append(body, Element{Type: "FactSet", Facts: facts})
	}
	card := Card{Schema: AdaptiveSchema, Type: AdaptiveCard, Version: AdaptiveCardVer, Body: body}
	switch {
	case a.Link == "":
	case len(a.Link) <= maxLink:
		card.Actions = []Action{{Type: "Action.OpenUrl", Title: "Open", URL: a.Link}}
	default:
		card.Body = append(card.Body, Element{Type: "TextBlock", Text: fmt.Sprintf("(truncated) the link is over %d bytes and was left out", maxLink), Wrap: true})
	}
	msg := Message{Type: MessageType, Attachments: []Attachment{{ContentType: AdaptiveCardType, Content: card}}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(msg) // plain strings and structs always encode
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// cut shortens s (valid UTF-8) to at most limit bytes, ending with
// TruncatedMark when it cut anything.
func cut(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	keep := max(limit-len(TruncatedMark), 0)
	for keep > 0 && !utf8.RuneStart(s[keep]) {
		keep--
	}
	return s[:keep] + TruncatedMark
}
