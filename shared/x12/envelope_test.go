package x12

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEncodeCountsAndControlNumbers(t *testing.T) {
	seq := &Sequence{Start: 41}
	e := testEnvelope()
	e.Suffix = ""
	body := []Seg{NewSeg("BEG", "00", "SA", "PO1", "", "20240102"), NewSeg("PO1", "1", "1", "EA"), NewSeg("CTT", "1", "1")}
	var out bytes.Buffer
	sent, err := e.Encode(context.Background(), &out, seq,
		OutGroup{FunctionalID: "PO", Sets: []OutSet{{ID: "850", Body: body}, {ID: "850", Body: body}}},
		OutGroup{FunctionalID: "PO", Sender: "OTHER", Sets: []OutSet{{ID: "850", Body: body}}})
	require.NoError(t, err)
	assert.Equal(t, &Sent{Interchange: "000000041", Groups: []SentGroup{
		{FunctionalID: "PO", Control: "41", Sets: []SentSet{{"850", "0041"}, {"850", "0042"}}},
		{FunctionalID: "PO", Control: "42", Sets: []SentSet{{"850", "0043"}}},
	}}, sent)
	doc := ParseBytes(out.Bytes())
	rep := Validate(doc)
	require.True(t, rep.Valid(), "%v", rep.All())
	ix := doc.Interchanges[0]
	assert.Equal(t, "2", ix.IEA.String(1))
	assert.Equal(t, "2", ix.Groups[0].GE.String(1))
	assert.Equal(t, "5", ix.Groups[0].Sets[0].SE().String(1))
	assert.Equal(t, "OTHER", ix.Groups[1].GS.String(2))
	assert.Equal(t, 106, strings.Index(out.String(), "GS*"), "canonical 106-byte ISA")

	var round bytes.Buffer
	_, err = doc.WriteTo(&round)
	require.NoError(t, err)
	assert.Equal(t, out.String(), round.String(), "parse then write gives the same bytes")
}

func TestEncodeWithCallerDelimiters(t *testing.T) {
	e := testEnvelope()
	e.Delimiters = Delimiters{Element: '|', Component: '^', Segment: '\n', Repetition: '{'}
	e.Suffix = ""
	var out bytes.Buffer
	_, err := e.Encode(context.Background(), &out, &Sequence{},
		OutGroup{FunctionalID: "PO", Sets: []OutSet{{ID: "850", Body: []Seg{NewSeg("BEG", "00", "SA", "PO1", "", "20240102"),
			NewSeg("REF", "ZZ", "A", "", Composite("X", "Y")), NewSeg("PO1", "1", "1", "EA"), NewSeg("CTT", "1")}}}})
	require.NoError(t, err)
	s := out.String()
	assert.True(t, strings.HasPrefix(s, "ISA|00|"))
	assert.Contains(t, s, "|U|00401|", "004010 has no repetition separator")
	assert.Contains(t, s, "|P|^\nGS|PO|")
	assert.Contains(t, s, "\nREF|ZZ|A||X^Y\n")
	doc := ParseBytes(out.Bytes())
	assert.Equal(t, Delimiters{Element: '|', Component: '^', Segment: '\n'}, doc.Interchanges[0].Delimiters())
	assert.True(t, Validate(doc).Valid())
}

func TestEncodeRejects(t *testing.T) {
	body := []OutSet{{ID: "850", Body: []Seg{NewSeg("BEG", "00")}}}
	tests := []struct {
		name    string
		mutate  func(*Envelope)
		numbers ControlNumbers
		groups  []OutGroup
	}{
		{name: "MissingSender", mutate: func(e *Envelope) { e.SenderID = "" }},
		{name: "MissingTime", mutate: func(e *Envelope) { e.Time = time.Time{} }},
		{name: "LongSenderID", mutate: func(e *Envelope) { e.SenderID = strings.Repeat("X", 16) }},
		{name: "BadQualifier", mutate: func(e *Envelope) { e.SenderQualifier = "Z" }},
		{name: "BadUsage", mutate: func(e *Envelope) { e.Usage = "X" }},
		{name: "SameDelimiterTwice", mutate: func(e *Envelope) { e.Delimiters = Delimiters{Element: '*', Component: '*', Segment: '~'} }},
		{name: "AlphanumericDelimiter", mutate: func(e *Envelope) { e.Delimiters = Delimiters{Element: 'A', Component: '>', Segment: '~'} }},
		{name: "NoNumbers", numbers: nil},
		{name: "NoGroups", groups: []OutGroup{}},
		{name: "BadFunctionalID", groups: []OutGroup{{FunctionalID: "P", Sets: body}}},
		{name: "BadSetID", groups: []OutGroup{{FunctionalID: "PO", Sets: []OutSet{{ID: "85", Body: nil}}}}},
		{name: "ValueWithDelimiter", groups: []OutGroup{{FunctionalID: "PO", Sets: []OutSet{{ID: "850", Body: []Seg{NewSeg("BEG", "00", "S*A")}}}}}},
		{name: "InvalidSegmentID", groups: []OutGroup{{FunctionalID: "PO", Sets: []OutSet{{ID: "850", Body: []Seg{NewSeg("beg", "00")}}}}}},
		{name: "ControlNumberOutOfRange", numbers: fixedNumbers(1_000_000_000)},
		{name: "ControlNumberSourceFails", numbers: failingNumbers{errors.New("down")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testEnvelope()
			if tt.mutate != nil {
				tt.mutate(&e)
			}
			numbers := tt.numbers
			if numbers == nil && tt.name != "NoNumbers" {
				numbers = &Sequence{}
			}
			groups := tt.groups
			if groups == nil {
				groups = []OutGroup{{FunctionalID: "PO", Sets: body}}
			}
			var out bytes.Buffer
			_, err := e.Encode(context.Background(), &out, numbers, groups...)
			assert.Error(t, err)
			assert.Zero(t, out.Len(), "nothing is written on error")
		})
	}
}

type fixedNumbers int64

func (f fixedNumbers) Next(context.Context, ControlKey) (int64, error) { return int64(f), nil }

func TestSequence(t *testing.T) {
	ctx := context.Background()
	s := &Sequence{}
	k1 := ControlKey{Kind: ControlInterchange, Sender: "A", Receiver: "B"}
	k2 := ControlKey{Kind: ControlInterchange, Sender: "A", Receiver: "C"}
	n, _ := s.Next(ctx, k1)
	assert.Equal(t, int64(1), n)
	n, _ = s.Next(ctx, k1)
	assert.Equal(t, int64(2), n)
	n, _ = s.Next(ctx, k2)
	assert.Equal(t, int64(1), n, "one sequence per partner")

	t.Run("WrapsAfterNineDigits", func(t *testing.T) {
		s := &Sequence{Start: 999999999}
		a, _ := s.Next(ctx, k1)
		b, _ := s.Next(ctx, k1)
		assert.Equal(t, []int64{999999999, 1}, []int64{a, b})
	})
	t.Run("ConcurrentCallersGetDistinctNumbers", func(t *testing.T) {
		s := &Sequence{}
		var mu sync.Mutex
		seen := map[int64]bool{}
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 100 {
					n, err := s.Next(ctx, k1)
					require.NoError(t, err)
					mu.Lock()
					seen[n] = true
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		assert.Len(t, seen, 800)
	})
	t.Run("CancelledContext", func(t *testing.T) {
		c, cancel := context.WithCancel(ctx)
		cancel()
		_, err := (&Sequence{}).Next(c, k1)
		assert.ErrorIs(t, err, context.Canceled)
	})
}

func TestWriterTrimsTrailingEmptyElements(t *testing.T) {
	var out bytes.Buffer
	w, err := NewWriter(&out, DefaultDelimiters, "")
	require.NoError(t, err)
	require.NoError(t, w.Write(NewSeg("N1", "ST", "", "", "")))
	require.NoError(t, w.Write(NewSeg("N1", "ST", "", "92", "1")))
	require.NoError(t, w.Flush())
	assert.Equal(t, "N1*ST~N1*ST**92*1~", out.String())
	assert.Equal(t, 2, w.Count())
	_, err = NewWriter(&out, Delimiters{}, "")
	assert.Error(t, err)
	_, err = NewWriter(&out, DefaultDelimiters, " ")
	assert.Error(t, err)
}
