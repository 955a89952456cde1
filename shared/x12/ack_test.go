package x12

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ackOf(t *testing.T, data []byte, opts AckOptions) ([]byte, []*Sent) {
	t.Helper()
	if opts.Numbers == nil {
		opts.Numbers = &Sequence{}
	}
	if opts.Time.IsZero() {
		opts.Time = fixedTime
	}
	var out bytes.Buffer
	sent, err := BuildAcks(context.Background(), &out, Validate(ParseBytes(data)), opts)
	require.NoError(t, err)
	return out.Bytes(), sent
}

func TestAckGoldens(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.edi")
	require.NoError(t, err)
	files = append(files, "testdata/850.edi", "testdata/tolerance/multiple_groups.edi")
	for _, f := range files {
		rel, _ := filepath.Rel("testdata", f)
		t.Run(rel, func(t *testing.T) {
			out, _ := ackOf(t, readFile(t, rel), AckOptions{Suffix: "\n", TA1: true})
			golden(t, strings.TrimSuffix(rel, ".edi")+".997.golden", out)
			// every 997 we write is itself a valid 997
			if len(out) > 0 {
				rep := Validate(ParseBytes(out))
				assert.True(t, rep.Valid(), "%v", rep.All())
			}
		})
	}
}

func TestAckRollUp(t *testing.T) {
	bad := strings.Replace(po850, "*PO1**", "***", 1)
	warn := strings.Replace(po850, "*SA*", "*ZZ*", 1)
	tests := []struct {
		name   string
		in     string
		ak5    []string
		ak9    string
		ak9Set []string
	}{
		{"AllAcceptedIsA", env("PO", "850", po850, po850), []string{"A", "A"}, "A", []string{"2", "2", "2"}},
		{"AcceptedWithErrorsIsE", env("PO", "850", po850, warn), []string{"A", "E"}, "E", []string{"2", "2", "2"}},
		{"SomeRejectedIsP", env("PO", "850", po850, bad, warn), []string{"A", "R", "E"}, "P", []string{"3", "3", "2"}},
		{"AllRejectedIsR", env("PO", "850", bad, bad), []string{"R", "R"}, "R", []string{"2", "2", "0"}},
		{"GroupErrorIsR", strings.Replace(env("PO", "850", po850), "GE*1*1", "GE*1*9", 1), []string{"A"}, "R", []string{"1", "1", "1", "4"}},
		{"GE01MiscountIsRWithCode5", strings.Replace(env("PO", "850", po850), "GE*1*1", "GE*2*1", 1), []string{"A"}, "R", []string{"2", "1", "1", "5"}},
		{"EmptyGroupIsA", strings.Replace(env("PO", "850"), "GE*0", "GE*0", 1), nil, "A", []string{"0", "0", "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Validate(ParseBytes([]byte(tt.in)))
			body := Ack997(rep.Interchanges[0].Groups[0], DefaultDelimiters)
			var ak5 []string
			var ak9 Seg
			for _, s := range body {
				switch s.ID {
				case "AK5":
					ak5 = append(ak5, s.Elements[0])
				case "AK9":
					ak9 = s
				}
			}
			assert.Equal(t, tt.ak5, ak5)
			assert.Equal(t, tt.ak9, ak9.Elements[0])
			assert.Equal(t, tt.ak9Set, ak9.Elements[1:])
		})
	}
}

func TestAckDetail(t *testing.T) {
	in := env("PO", "850", strings.Replace(strings.Replace(po850, "*EA*", "*E*", 1), "CTT", "QQQ*1~CTT", 1))
	out, _ := ackOf(t, []byte(in), AckOptions{Suffix: "\n"})
	assert.Contains(t, string(out), "AK1*PO*1~\nAK2*850*0001~\nAK3*PO1*4*PO1*8~\nAK4*3*355*4*E~\nAK3*QQQ*5*PO1*1~\nAK5*R*5~\nAK9*R*1*1*0~\n")
	assert.True(t, strings.HasPrefix(string(out), "ISA*00*          *00*          *ZZ*RECEIVER       *ZZ*SENDER         *240111*1405*U*00401*000000001*0*P*>~\nGS*FA*RECEIVER*SENDER*"),
		"the 997 goes back to the sender")

	t.Run("BadDataIsCleanedOfDelimiters", func(t *testing.T) {
		in := strings.Replace(env("PO", "850", po850), "*PO1**", "*"+strings.Repeat("7", 22)+"|x**", 1)
		out, _ := ackOf(t, []byte(in), AckOptions{Delimiters: Delimiters{Element: '|', Component: ':', Segment: '~'}})
		assert.Contains(t, string(out), "AK4|3|324|5|7777777777777777777777x~")
	})
}

func TestNeverAcknowledgeA997(t *testing.T) {
	out, sent := ackOf(t, readFile(t, "997.edi"), AckOptions{})
	assert.Empty(t, out)
	assert.Empty(t, sent)

	t.Run("997InsideAnotherGroupGetsNoAK2", func(t *testing.T) {
		in := env("PO", "850", po850)
		in = strings.Replace(in, "GE*1*1", "ST*997*0009~AK1*SH*1~AK9*A*0*0*0~SE*4*0009~GE*2*1", 1)
		out, _ := ackOf(t, []byte(in), AckOptions{Suffix: "\n"})
		assert.NotContains(t, string(out), "AK2*997")
		assert.Contains(t, string(out), "AK2*850*0001~")
	})
}

func TestTA1IsAddedWhenRequested(t *testing.T) {
	in := strings.Replace(env("PO", "850", po850), "*0*P*>~", "*1*P*>~", 1)
	out, _ := ackOf(t, []byte(in), AckOptions{TA1: true, Suffix: "\n"})
	assert.Contains(t, string(out), "\nTA1*000000001*240102*1530*A*000~\nGS*FA*")
	bad := strings.Replace(in, "IEA*1*000000001", "IEA*1*000000002", 1)
	out, _ = ackOf(t, []byte(bad), AckOptions{TA1: true, Suffix: "\n"})
	assert.Contains(t, string(out), "\nTA1*000000001*240102*1530*R*001~\n")
	out, _ = ackOf(t, []byte(bad), AckOptions{TA1: false, Suffix: "\n"})
	assert.NotContains(t, string(out), "TA1")
}

func TestAckOptionsAreRequired(t *testing.T) {
	rep := Validate(ParseBytes([]byte(env("PO", "850", po850))))
	_, err := BuildAcks(context.Background(), &bytes.Buffer{}, rep, AckOptions{Time: fixedTime})
	assert.Error(t, err)
	_, err = BuildAcks(context.Background(), &bytes.Buffer{}, rep, AckOptions{Numbers: &Sequence{}})
	assert.Error(t, err)
	boom := errors.New("sequence store down")
	_, err = BuildAcks(context.Background(), &bytes.Buffer{}, rep, AckOptions{Numbers: failingNumbers{boom}, Time: fixedTime})
	assert.ErrorIs(t, err, boom)
}

type failingNumbers struct{ err error }

func (f failingNumbers) Next(context.Context, ControlKey) (int64, error) { return 0, f.err }

func TestReadFunctionalAckAndReconcile(t *testing.T) {
	acks, _, err := ReadAcks(ParseBytes(readFile(t, "997.edi")))
	require.NoError(t, err)
	require.Len(t, acks, 1)
	a := acks[0]
	assert.Equal(t, "SH", a.FunctionalID)
	assert.Equal(t, "3001", a.GroupControl)
	assert.Equal(t, "P", a.Status)
	assert.Equal(t, []int{3, 3, 2}, []int{a.Included, a.Received, a.Accepted})
	assert.Equal(t, "000000321", a.Interchange)
	require.Len(t, a.Sets, 2)
	assert.Equal(t, SetAck{ID: "856", Control: "0002", Status: "R", Errors: []string{"5"},
		Segments: []SegmentNote{{ID: "HL", Position: 12, Loop: "HL", Code: "8", Elements: []ElementNote{{Position: 3, Ref: 735, Code: "7", Value: "X"}}}}}, a.Sets[1])

	sent := []*Sent{{Interchange: "000009001", Groups: []SentGroup{
		{FunctionalID: "SH", Control: "3001", Sets: []SentSet{{"856", "0001"}, {"856", "0002"}, {"856", "0003"}}},
		{FunctionalID: "SH", Control: "3002", Sets: []SentSet{{"856", "0001"}}},
	}}}
	assert.Equal(t, []SetOutcomeReport{
		{FunctionalID: "SH", GroupControl: "3001", ID: "856", Control: "0001", Outcome: OutcomeAccepted},
		{FunctionalID: "SH", GroupControl: "3001", ID: "856", Control: "0002", Outcome: OutcomeRejected},
		{FunctionalID: "SH", GroupControl: "3001", ID: "856", Control: "0003", Outcome: OutcomeUnknown},
		{FunctionalID: "SH", GroupControl: "3002", ID: "856", Control: "0001", Outcome: OutcomePending},
	}, Reconcile(sent, acks))

	t.Run("OurOwn997sReadBack", func(t *testing.T) {
		out, _ := ackOf(t, readFile(t, "invalid/partial_850.edi"), AckOptions{})
		acks, _, err := ReadAcks(ParseBytes(out))
		require.NoError(t, err)
		require.Len(t, acks, 1)
		assert.Equal(t, OutcomeAccepted, acks[0].SetOutcome("0001"))
		assert.Equal(t, OutcomeRejected, acks[0].SetOutcome("2"))
		assert.Equal(t, "P", acks[0].Status)
	})
	t.Run("GroupStatusDecidesSetsWithoutAK2", func(t *testing.T) {
		a := &FunctionalAck{Status: "A"}
		assert.Equal(t, OutcomeAccepted, a.SetOutcome("0001"))
		a.Status = "R"
		assert.Equal(t, OutcomeRejected, a.SetOutcome("0001"))
	})
	t.Run("MalformedAckIsAnError", func(t *testing.T) {
		doc := ParseBytes([]byte(env("FA", "997", "AK3*HL*1~AK9*A*0*0*0~")))
		_, _, err := ReadAcks(doc)
		assert.Error(t, err)
		doc = ParseBytes([]byte(env("FA", "997", "AK2*850*0001~AK5*A~")))
		_, _, err = ReadAcks(doc)
		assert.Error(t, err)
	})
}
