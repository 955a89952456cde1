package x12

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const isaStar = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240102*1530*U*00401*000000001*0*P*>~"

// readAll returns every segment (cloned) and every recoverable error.
func readAll(t *testing.T, r *Reader) ([]Segment, []*Error) {
	t.Helper()
	var segs []Segment
	var errs []*Error
	for {
		s, err := r.Next()
		if err == io.EOF {
			return segs, errs
		}
		var xe *Error
		if errors.As(err, &xe) {
			errs = append(errs, xe)
			continue
		}
		require.NoError(t, err)
		segs = append(segs, s.Clone())
	}
}

func ids(segs []Segment) string {
	var b strings.Builder
	for i, s := range segs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.Write(s.ID())
	}
	return b.String()
}

func TestReader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		ids     string
		codes   []Code
		notices []Code
	}{
		{name: "CanonicalInterchange", in: isaStar + "GS*PO*S*R*20240102*1530*1*X*004010~ST*850*0001~SE*2*0001~GE*1*1~IEA*1*000000001~",
			ids: "ISA GS ST SE GE IEA"},
		{name: "MissingFinalTerminatorKeepsIEA", in: isaStar + "GS*PO*S*R*20240102*1530*1*X*004010~GE*0*1~IEA*1*000000001",
			ids: "ISA GS GE IEA", notices: []Code{CodeMissingTerminator}},
		{name: "MissingFinalTerminatorWithTrailingNewlineKeepsIEA", in: isaStar + "IEA*0*000000001\r\n",
			ids: "ISA IEA", notices: []Code{CodeMissingTerminator}},
		{name: "EmptySegmentsAreSkipped", in: isaStar + "~~GS*PO*S*R*20240102*1530*1*X*004010~~~IEA*1*000000001~",
			ids: "ISA GS IEA"},
		{name: "WhitespaceAndControlBytesBetweenSegments", in: "\x00 \t" + isaStar + "\r\n\x1a  IEA*0*000000001~\x1a",
			ids: "ISA IEA"},
		{name: "JunkBeforeISAIsReportedAndSkipped", in: "hello world\n" + isaStar + "IEA*0*000000001~",
			ids: "ISA IEA", codes: []Code{CodeJunk}},
		{name: "JunkAfterIEAIsReportedAndSkipped", in: isaStar + "IEA*0*000000001~\nEND OF FILE\n",
			ids: "ISA IEA", codes: []Code{CodeJunk}},
		{name: "SegmentAfterIEAIsStillRead", in: isaStar + "IEA*0*000000001~GS*PO*S*R*20240102*1530*1*X*004010~",
			ids: "ISA IEA GS"},
		{name: "TruncatedISAResyncsAtNextISA", in: "ISA*00*    \n" + isaStar + "IEA*0*000000001~",
			ids: "ISA IEA", codes: []Code{CodeISAInvalid}},
		{name: "AlphanumericTerminatorIsRejected", in: strings.Replace(isaStar, ">~", ">A", 1) + "IEA*0*000000001~" + isaStar + "IEA*0*000000001~",
			ids: "ISA IEA", codes: []Code{CodeBadDelimiters}},
		{name: "ISAWordInsideDataIsNotAnInterchange", in: isaStar + "N1*ST*ISA*92*ISA~N1*ST*ISAAC~IEA*0*000000001~",
			ids: "ISA N1 N1 IEA"},
		{name: "NewISAWithoutIEAStartsNewInterchange", in: isaStar + "GS*PO*S*R*20240102*1530*1*X*004010~" + strings.ReplaceAll(isaStar, "*", "|") + "IEA|0|000000001~",
			ids: "ISA GS ISA IEA"},
		{name: "NoInputIsEOF", in: "", ids: ""},
		{name: "OnlyWhitespaceIsEOF", in: "\r\n \n", ids: ""},
		{name: "GarbageOnlyIsOneJunkError", in: "this is not edi at all", ids: "", codes: []Code{CodeJunk}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, mode := range []string{"bytes", "stream", "onebyte"} {
				var r *Reader
				switch mode {
				case "bytes":
					r = NewBytesReader([]byte(tt.in))
				case "stream":
					r = NewReader(strings.NewReader(tt.in))
				default:
					r = NewReader(iotest.OneByteReader(strings.NewReader(tt.in)))
				}
				segs, errs := readAll(t, r)
				assert.Equal(t, tt.ids, ids(segs), mode)
				var codes []Code
				for _, e := range errs {
					codes = append(codes, e.Code)
				}
				assert.Equal(t, tt.codes, codes, mode)
				var notices []Code
				for _, n := range r.Notices() {
					notices = append(notices, n.Code)
				}
				assert.Equal(t, tt.notices, notices, mode)
			}
		})
	}
}

func TestReaderDelimiters(t *testing.T) {
	t.Run("TakenFromEachISA", func(t *testing.T) {
		in := isaStar + "IEA*0*000000001~" + strings.NewReplacer("*", "|", ">", ":", "~", "\n").Replace(isaStar) + "IEA|0|000000001\n"
		segs, errs := readAll(t, NewBytesReader([]byte(in)))
		require.Empty(t, errs)
		require.Len(t, segs, 4)
		assert.Equal(t, Delimiters{Element: '*', Component: '>', Segment: '~'}, segs[0].Delimiters())
		assert.Equal(t, Delimiters{Element: '|', Component: ':', Segment: '\n'}, segs[3].Delimiters())
		assert.Equal(t, "000000001", segs[3].String(2))
	})
	t.Run("RepetitionSeparatorOnlyFrom00402", func(t *testing.T) {
		for _, tc := range []struct {
			isa11, isa12 string
			want         byte
		}{{"^", "00401", 0}, {"U", "00401", 0}, {"^", "00402", '^'}, {"^", "00501", '^'}, {"U", "00501", 0}} {
			isa := strings.Replace(strings.Replace(isaStar, "*U*", "*"+tc.isa11+"*", 1), "*00401*", "*"+tc.isa12+"*", 1)
			segs, _ := readAll(t, NewBytesReader([]byte(isa)))
			require.Len(t, segs, 1)
			assert.Equal(t, tc.want, segs[0].Delimiters().Repetition, "ISA11 %s ISA12 %s", tc.isa11, tc.isa12)
		}
	})
	t.Run("NothingHardCoded", func(t *testing.T) {
		// '~' separates elements and '*' terminates segments.
		in := strings.NewReplacer("*", "~", "~", "*").Replace(isaStar + "N1*ST*A>B~IEA*0*000000001~")
		segs, errs := readAll(t, NewBytesReader([]byte(in)))
		require.Empty(t, errs)
		require.Equal(t, "ISA N1 IEA", ids(segs))
		assert.Equal(t, "ST", segs[1].String(1))
		assert.Equal(t, "B", string(segs[1].Component(2, 2)))
	})
}

func TestSegmentAccess(t *testing.T) {
	segs, _ := readAll(t, NewBytesReader([]byte(isaStar+"REF*ZZ*A>B>C**~IEA*0*000000001~")))
	ref := segs[1]
	assert.True(t, ref.Is("REF"))
	assert.Equal(t, 4, ref.Len())
	assert.Equal(t, "ZZ", ref.String(1))
	assert.Equal(t, "REF", string(ref.Element(0)))
	assert.Nil(t, ref.Element(5))
	assert.Nil(t, ref.Element(-1))
	assert.Equal(t, "", ref.String(4))
	assert.Equal(t, 3, ref.Components(2))
	assert.Equal(t, "A", string(ref.Component(2, 1)))
	assert.Equal(t, "C", string(ref.Component(2, 3)))
	assert.Nil(t, ref.Component(2, 4))
	assert.Equal(t, []string{"ZZ", "A>B>C", "", ""}, ref.Elements())
	assert.Equal(t, int64(106), ref.Offset)
	assert.Equal(t, 2, ref.Ordinal)
	assert.Equal(t, "SENDER", segs[0].Trimmed(6))
}

func TestSegmentsAreViewsAndCloneKeepsThem(t *testing.T) {
	in := isaStar + strings.Repeat("REF*ZZ*0123456789~", 10000) + "IEA*0*000000001~"
	r := NewReader(strings.NewReader(in))
	first, err := r.Next()
	require.NoError(t, err)
	kept := first.Clone()
	for {
		if _, err := r.Next(); err != nil {
			require.Equal(t, io.EOF, err)
			break
		}
	}
	assert.Equal(t, "ISA", kept.IDString())
	assert.Equal(t, "SENDER         ", kept.String(6))
	assert.Equal(t, 10002, r.Count())
}

func TestReaderLongSegment(t *testing.T) {
	t.Run("SegmentLongerThanBufferGrowsIt", func(t *testing.T) {
		long := strings.Repeat("x", 200_000)
		segs, errs := readAll(t, NewReader(strings.NewReader(isaStar+"MSG*"+long+"~IEA*0*000000001~")))
		require.Empty(t, errs)
		require.Equal(t, "ISA MSG IEA", ids(segs))
		assert.Equal(t, long, segs[1].String(1))
	})
	t.Run("SegmentOverLimitIsReportedAndSkipped", func(t *testing.T) {
		r := NewReader(strings.NewReader(isaStar + "MSG*" + strings.Repeat("y", 5000) + "~IEA*0*000000001~"))
		r.MaxSegmentSize = 1000
		segs, errs := readAll(t, r)
		require.Len(t, errs, 1)
		assert.Equal(t, CodeSegmentTooLong, errs[0].Code)
		assert.Equal(t, "ISA IEA", ids(segs))
	})
}

func TestReaderIOErrorIsSticky(t *testing.T) {
	boom := errors.New("disk on fire")
	r := NewReader(iotest.DataErrReader(io.MultiReader(strings.NewReader(isaStar+"IEA*0*00"), iotest.ErrReader(boom))))
	_, err := r.Next()
	require.NoError(t, err)
	_, err = r.Next()
	require.ErrorIs(t, err, boom)
	_, err = r.Next()
	require.ErrorIs(t, err, boom)
}

func TestStreamingMatchesInMemory(t *testing.T) {
	for _, name := range sampleFiles(t) {
		t.Run(name, func(t *testing.T) {
			data := readFile(t, name)
			want, wantErrs := readAll(t, NewBytesReader(data))
			for _, src := range []io.Reader{iotest.OneByteReader(bytes.NewReader(data)), iotest.HalfReader(bytes.NewReader(data))} {
				got, gotErrs := readAll(t, NewReader(src))
				require.Equal(t, len(want), len(got))
				for i := range want {
					assert.Equal(t, want[i].Text(), got[i].Text())
					assert.Equal(t, want[i].Offset, got[i].Offset)
					assert.Equal(t, want[i].Ordinal, got[i].Ordinal)
				}
				assert.Equal(t, len(wantErrs), len(gotErrs))
			}
		})
	}
}

// TestTolerance reads our own samples of the real-world variations; each
// must yield exactly the transaction sets of the canonical sample.
func TestTolerance(t *testing.T) {
	canonical := ParseBytes(readFile(t, "tolerance/canonical.edi"))
	want := setsFlat(canonical)
	require.Len(t, want, 9)
	tests := []struct {
		name         string
		file         string
		interchanges int
		sets         int
		notices      []Code
		check        func(t *testing.T, doc *Document)
	}{
		{name: "CRLFAfterTerminator", file: "crlf_after_terminator.edi", interchanges: 1, sets: 1},
		{name: "LFAfterTerminator", file: "lf_after_terminator.edi", interchanges: 1, sets: 1},
		{name: "NewlineIsTheTerminator", file: "newline_terminator.edi", interchanges: 1, sets: 1,
			check: func(t *testing.T, doc *Document) {
				assert.Equal(t, byte('\n'), doc.Interchanges[0].Delimiters().Segment)
			}},
		{name: "CRLFIsTheTerminator", file: "crlf_line_terminator.edi", interchanges: 1, sets: 1},
		{name: "UnusualDelimiters", file: "unusual_delimiters.edi", interchanges: 1, sets: 1,
			check: func(t *testing.T, doc *Document) {
				assert.Equal(t, Delimiters{Element: '~', Component: '`', Segment: '*'}, doc.Interchanges[0].Delimiters())
			}},
		{name: "BOMAndIndentation", file: "bom_indent.edi", interchanges: 1, sets: 1},
		{name: "MissingFinalTerminatorKeepsIEA", file: "missing_final_terminator.edi", interchanges: 1, sets: 1,
			notices: []Code{CodeMissingTerminator},
			check:   func(t *testing.T, doc *Document) { assert.False(t, doc.Interchanges[0].IEA.IsZero()) }},
		{name: "NewlineTerminatorWithoutFinalNewlineKeepsIEA", file: "newline_terminator_no_final.edi", interchanges: 1, sets: 1,
			notices: []Code{CodeMissingTerminator},
			check:   func(t *testing.T, doc *Document) { assert.False(t, doc.Interchanges[0].IEA.IsZero()) }},
		{name: "SeveralInterchangesWithDifferentDelimiters", file: "multiple_interchanges.edi", interchanges: 3, sets: 3,
			check: func(t *testing.T, doc *Document) {
				assert.Equal(t, byte('~'), doc.Interchanges[0].Delimiters().Segment)
				assert.Equal(t, byte('\n'), doc.Interchanges[1].Delimiters().Segment)
				assert.Equal(t, Delimiters{Element: '^', Component: '\\', Segment: '!'}, doc.Interchanges[2].Delimiters())
			}},
		{name: "SeveralGroupsInOneInterchange", file: "multiple_groups.edi", interchanges: 1, sets: 3,
			check: func(t *testing.T, doc *Document) { assert.Len(t, doc.Interchanges[0].Groups, 2) }},
		{name: "TA1AtInterchangeLevel", file: "ta1.edi", interchanges: 2, sets: 1,
			check: func(t *testing.T, doc *Document) {
				assert.Len(t, doc.Interchanges[0].TA1, 1)
				assert.Len(t, doc.Interchanges[1].TA1, 1)
				assert.Empty(t, doc.Interchanges[1].Groups)
				_, tas, err := ReadAcks(doc)
				require.NoError(t, err)
				assert.Equal(t, []InterchangeAck{
					{Control: "000000019", Date: "240101", Time: "1200", Status: "A", Note: "000"},
					{Control: "000000007", Date: "240101", Time: "0900", Status: "R", Note: "022"},
				}, tas)
			}},
		{name: "SpaceBeforeTerminator", file: "space_before_terminator.edi", interchanges: 1, sets: 1},
		{name: "ISAInsideData", file: "isa_in_data.edi", interchanges: 1, sets: 0,
			check: func(t *testing.T, doc *Document) {
				segs := doc.Interchanges[0].Groups[0].Sets[0].Segments()
				assert.Equal(t, "ISAAC STORES", segs[3].String(2))
				assert.Len(t, segs, 7)
			}},
		{name: "BlankLines", file: "blank_lines.edi", interchanges: 2, sets: 2},
		{name: "TrimmedISAWithNotice", file: "trimmed_isa.edi", interchanges: 1, sets: 1,
			notices: []Code{CodeNonCanonicalISA},
			check:   func(t *testing.T, doc *Document) { assert.Equal(t, "000000060", doc.Interchanges[0].Control()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := readFile(t, "tolerance/"+tt.file)
			doc := ParseBytes(data)
			require.Len(t, doc.Interchanges, tt.interchanges)
			got := setsFlat(doc)
			if tt.sets > 0 {
				require.Len(t, got, tt.sets*len(want))
				n := len(want)
				for i := 0; i < tt.sets; i++ {
					// bodies are identical; ST02/SE02 may differ between sets
					assert.Equal(t, want[1:n-1], got[i*n+1:(i+1)*n-1])
				}
			}
			rep := Validate(doc)
			var notices []Code
			for _, e := range rep.All() {
				if e.Severity == SeverityNotice {
					notices = append(notices, e.Code)
				}
			}
			assert.True(t, rep.Valid(), "problems: %v", rep.All())
			assert.Equal(t, tt.notices, notices)
			for _, ix := range doc.Interchanges {
				assert.False(t, ix.IEA.IsZero(), "IEA lost")
			}
			// streaming validation sees the same problems
			srep, err := Validator{}.ValidateReader(bytes.NewReader(data))
			require.NoError(t, err)
			assert.Equal(t, len(rep.All()), len(srep.All()))
			if tt.check != nil {
				tt.check(t, doc)
			}
		})
	}
}

func setsFlat(doc *Document) []string {
	var out []string
	for _, ix := range doc.Interchanges {
		for _, g := range ix.Groups {
			for _, s := range g.Sets {
				for _, seg := range s.Segments() {
					line := seg.IDString()
					for i := 1; i <= seg.Len(); i++ {
						line += "|" + seg.String(i)
					}
					out = append(out, line)
				}
			}
		}
	}
	return out
}
