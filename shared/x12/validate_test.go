package x12

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// env wraps transaction set bodies (segments joined by ~, without ST/SE)
// in a correct envelope with group functional ID fid.
func env(fid, setID string, bodies ...string) string {
	var b strings.Builder
	b.WriteString(isaStar)
	fmt.Fprintf(&b, "GS*%s*SENDER*RECEIVER*20240102*1530*1*X*004010~", fid)
	for i, body := range bodies {
		ctl := fmt.Sprintf("%04d", i+1)
		n := strings.Count(body, "~") + 2
		fmt.Fprintf(&b, "ST*%s*%s~%sSE*%d*%s~", setID, ctl, body, n, ctl)
	}
	fmt.Fprintf(&b, "GE*%d*1~IEA*1*000000001~", len(bodies))
	return b.String()
}

const (
	po850   = "BEG*00*SA*PO1**20240102~N1*ST*Store*92*0012~PO1*1*10*EA*2.5**UP*810012345678~CTT*1*10~"
	asnHead = "BSN*00*ASN1*20240111*1405*0001~"
)

var (
	sscc1 = mustSSCC("0", "0810012340", "000001")
	sscc2 = mustSSCC("0", "0810012340", "000002")
)

func asn(hls string) string { return asnHead + hls }

func codesOf(errs []*Error) []Code {
	var out []Code
	for _, e := range errs {
		out = append(out, e.Code)
	}
	return out
}

func TestValidateEnvelope(t *testing.T) {
	good := env("PO", "850", po850)
	tests := []struct {
		name string
		in   string
		want []Code
	}{
		{"ValidInterchangeHasNoProblems", good, nil},
		{"IEA02MustMatchISA13", strings.Replace(good, "IEA*1*000000001", "IEA*1*000000002", 1), []Code{CodeIEAControl}},
		{"IEA01MustCountGroups", strings.Replace(good, "IEA*1*", "IEA*2*", 1), []Code{CodeIEACount}},
		{"GE02MustMatchGS06", strings.Replace(good, "GE*1*1", "GE*1*2", 1), []Code{CodeGEControl}},
		{"GE01MustCountSets", strings.Replace(good, "GE*1*1", "GE*2*1", 1), []Code{CodeGECount}},
		{"SE02MustMatchST02", strings.Replace(good, "SE*6*0001", "SE*6*0002", 1), []Code{CodeSEControl}},
		{"SE01MustCountSegments", strings.Replace(good, "SE*6*0001", "SE*7*0001", 1), []Code{CodeSECount}},
		{"PaddedControlNumbersMatch", strings.Replace(strings.Replace(good, "GE*1*1", "GE*1*0001", 1), "SE*6*0001", "SE*6*0001 ", 1), nil},
		{"DuplicateST02InGroupIsRejected", strings.Replace(env("PO", "850", po850, po850), "0002", "0001", 2), []Code{CodeDuplicateST}},
		{"DuplicateISA13IsRejected", good + good, []Code{CodeDuplicateISA}},
		{"DuplicateGS06IsRejected", strings.Replace(good, "IEA*1*", "GS*PO*SENDER*RECEIVER*20240102*1530*1*X*004010~GE*0*1~IEA*2*", 1), []Code{CodeDuplicateGS}},
		{"GS04MustBeAValidDate", strings.Replace(good, "20240102*1530", "20240230*1530", 1), []Code{CodeInvalidDate}},
		{"GS05MustBeAValidTime", strings.Replace(good, "20240102*1530", "20240102*2460", 1), []Code{CodeInvalidTime}},
		{"ISA09MustBeAValidDate", strings.Replace(good, "*240102*", "*241302*", 1), []Code{CodeInvalidDate}},
		{"ISA10MustBeAValidTime", strings.Replace(good, "*1530*U", "*9930*U", 1), []Code{CodeInvalidTime}},
		{"ISA11IsUBefore00402", strings.Replace(good, "*U*00401", "*^*00401", 1), []Code{CodeInvalidCode}},
		{"ST02MustHaveFourCharacters", strings.Replace(strings.Replace(good, "ST*850*0001", "ST*850*001", 1), "SE*6*0001", "SE*6*001", 1), []Code{CodeTooShort, CodeTooShort}},
		{"UnsupportedGroupIsRejected", env("IN", "810", "BIG*20240102*INV1~"), []Code{CodeGroupNotSupported, CodeSetNotSupported}},
		{"UnsupportedVersionIsRejected", strings.Replace(good, "X*004010", "X*005010", 1), []Code{CodeVersionNotSupported}},
		{"VersionVariantsAreAccepted", strings.Replace(good, "X*004010", "X*004010VICS", 1), nil},
		{"SetMustBelongToGroup", env("SH", "850", po850), []Code{CodeSetGroupMatch}},
		{"MissingSEIsReported", strings.Replace(good, "SE*6*0001~", "", 1), []Code{CodeMissingSE}},
		{"MissingGEIsReported", strings.Replace(good, "GE*1*1~", "", 1), []Code{CodeMissingGE}},
		{"MissingIEAIsReported", strings.Replace(good, "IEA*1*000000001~", "", 1), []Code{CodeMissingIEA}},
		{"STWithoutGSIsReported", strings.Replace(strings.Replace(good, "GS*PO*SENDER*RECEIVER*20240102*1530*1*X*004010~", "", 1), "GE*1*1~", "", 1), []Code{CodeMissingGS}},
		{"GSWithoutISAIsReported", good + strings.Replace(good[106:], "IEA*1*000000001~", "", 1), []Code{CodeMissingISA}},
		{"TextBeforeAnyISAIsJunk", good[106:], []Code{CodeJunk}},
		{"SegmentBetweenSetsIsReported", strings.Replace(good, "GE*1*1", "REF*ZZ*1~GE*1*1", 1), []Code{CodeOutsideSet}},
		{"SegmentBetweenGroupsIsReported", strings.Replace(good, "IEA*1", "REF*ZZ*1~IEA*1", 1), []Code{CodeOutsideGroup}},
		{"TA1BetweenISAAndGSIsAccepted", strings.Replace(good, "GS*", "TA1*000000009*240101*1200*A*000~GS*", 1), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Validate(ParseBytes([]byte(tt.in)))
			assert.Equal(t, tt.want, codesOf(rep.All()))
			srep, err := Validator{}.ValidateReader(strings.NewReader(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, codesOf(srep.All()), "streaming")
		})
	}
}

func TestValidateLayout(t *testing.T) {
	tests := []struct {
		name     string
		fid, set string
		body     string
		want     []Code
	}{
		{"Valid850", "PO", "850", po850, nil},
		{"MissingMandatorySegment", "PO", "850", strings.Replace(po850, "BEG*00*SA*PO1**20240102~", "", 1), []Code{CodeMissingSegment}},
		{"MissingMandatoryLoop", "PO", "850", "BEG*00*SA*PO1**20240102~CTT*0~", []Code{CodeMissingSegment}},
		{"SegmentOutOfOrder", "PO", "850", strings.Replace(po850, "CTT*1*10~", "CTT*1*10~REF*DP*1~", 1), []Code{CodeSegmentOutOfOrder}},
		{"UnrecognizedSegment", "PO", "850", strings.Replace(po850, "CTT", "QQQ*1~CTT", 1), []Code{CodeUnrecognizedSegment}},
		{"SegmentNotInSet", "PO", "850", strings.Replace(po850, "CTT", "W05*N*1~CTT", 1), []Code{CodeSegmentNotInSet}},
		{"SegmentOverMaxUse", "PO", "850", strings.Replace(po850, "N1*", "CUR*BY*USD~CUR*BY*CAD~N1*", 1), []Code{CodeSegmentOverMax}},
		{"LoopOverMaxUse", "PO", "850", po850 + "CTT*1*10~", []Code{CodeLoopOverMax}},
		{"MissingMandatoryElement", "PO", "850", strings.Replace(po850, "*PO1**", "***", 1), []Code{CodeMissingElement}},
		{"ElementTooLong", "PO", "850", strings.Replace(po850, "*PO1**", "*"+strings.Repeat("9", 23)+"**", 1), []Code{CodeTooLong}},
		{"ElementTooShort", "PO", "850", strings.Replace(po850, "*EA*", "*E*", 1), []Code{CodeTooShort}},
		{"InvalidDate", "PO", "850", strings.Replace(po850, "20240102", "20230229", 1), []Code{CodeInvalidDate}},
		{"LeapDayIsAValidDate", "PO", "850", strings.Replace(po850, "20240102", "20240229", 1), nil},
		{"InvalidNumber", "PO", "850", strings.Replace(po850, "*10*EA", "*1O*EA", 1), []Code{CodeInvalidCharacter}},
		{"NegativeAndDecimalNumbersAreValid", "PO", "850", strings.Replace(strings.Replace(po850, "*10*EA*2.5", "*-10*EA*.5", 1), "CTT*1*10", "CTT*1*-10", 1), nil},
		{"UnlistedCodeIsAWarning", "PO", "850", strings.Replace(po850, "*SA*", "*ZZ*", 1), []Code{CodeInvalidCode}},
		{"TooManyElements", "PO", "850", strings.Replace(po850, "CTT*1*10", "CTT*1*10*****X*Y", 1), []Code{CodeTooManyElements}},
		{"TrailingEmptyElementsAreTolerated", "PO", "850", strings.Replace(po850, "CTT*1*10", "CTT*1*10*****X*", 1), nil},
		{"PairedElementMissing", "PO", "850", strings.Replace(po850, "*92*0012", "*92", 1), []Code{CodeConditionalMissing}},
		{"RequiredOneOfMissing", "PO", "850", strings.Replace(po850, "CTT", "REF*DP~CTT", 1), []Code{CodeConditionalMissing}},
		{"ControlCharacterIsInvalid", "PO", "850", strings.Replace(po850, "Store", "St\x01re", 1), []Code{CodeInvalidCharacter}},
		{"CTT01MustCountPO1", "PO", "850", strings.Replace(po850, "CTT*1", "CTT*2", 1), []Code{CodeCount}},
		{"CTT02HashMismatchIsAWarning", "PO", "850", strings.Replace(po850, "CTT*1*10", "CTT*1*11", 1), []Code{CodeHashTotal}},
		{"Valid940", "OW", "940", "W05*N*SO1~N1*ST*Store~LX*1~W01*1*EA**VN*A~LX*2~W01*2*EA**VN*B~W76*3~", nil},
		{"940NeedsAProductID", "OW", "940", "W05*N*SO1~LX*1~W01*1*EA~", []Code{CodeConditionalMissing}},
		{"Valid945", "SW", "945", "W06*F*SO1*20240111~N1*ST*Store~LX*1~W12*CC*1*1**EA**VN*A~W03*1~", nil},
		{"945RequiresW03", "SW", "945", "W06*F*SO1*20240111~N1*ST*Store~LX*1~W12*CC*1*1**EA**VN*A~", []Code{CodeMissingSegment}},
		{"945RequiresAnN1Loop", "SW", "945", "W06*F*SO1*20240111~W03*1~", []Code{CodeMissingSegment}},
		{"Valid997", "FA", "997", "AK1*SH*1~AK2*856*0001~AK3*HL*3**8~AK4*3*735*7~AK5*R*5~AK9*R*1*1*0~", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := env(tt.fid, tt.set, tt.body)
			rep := Validate(ParseBytes([]byte(in)))
			assert.Equal(t, tt.want, codesOf(rep.All()), "%v", rep.All())
		})
	}
}

func TestValidate856Hierarchy(t *testing.T) {
	item := "LIN**UP*810012345678~SN1**1*EA~"
	tests := []struct {
		name string
		body string
		want []Code
	}{
		{"PickAndPackIsValid", asn("HL*1**S*1~HL*2*1*O*1~PRF*PO1~HL*3*2*P*1~MAN*GM*" + sscc1 + "~HL*4*3*I*0~" + item + "CTT*4*1~"), nil},
		{"TareLevelIsValid", asn("HL*1**S*1~HL*2*1*O*1~PRF*PO1~HL*3*2*T*1~MAN*GM*" + sscc2 + "~HL*4*3*P*1~MAN*GM*" + sscc1 + "~HL*5*4*I*0~" + item + "CTT*5*1~"), nil},
		{"TwentyDigitSSCCWithAI00IsValid", asn("HL*1**S*1~HL*2*1*O*1~PRF*PO1~HL*3*2*P*1~MAN*GM*00" + sscc1 + "~HL*4*3*I*0~" + item), nil},
		{"HL01MustIncrease", asn("HL*1**S*1~HL*2*1*O*1~PRF*PO1~HL*2*1*O*1~PRF*PO2~"), []Code{CodeHLSequence}},
		{"HL01MustBeANumber", asn("HL*1**S*1~HL*X*1*O*1~PRF*PO1~"), []Code{CodeHLSequence}},
		{"HL02MustReferToAnEarlierHL", asn("HL*1**S*1~HL*2*3*O*1~PRF*PO1~"), []Code{CodeHLParent}},
		{"LevelMustFitTheStructure", asn("HL*1**S*1~HL*2*1*O*1~PRF*PO1~HL*3*2*I*0~" + item), []Code{CodeHLLevel}},
		{"RootMustBeShipment", asn("HL*1**O*1~PRF*PO1~"), []Code{CodeHLLevel}},
		{"StandardCartonPackAllowsItemUnderOrder", strings.Replace(asn("HL*1**S*1~HL*2*1*O*1~PRF*PO1~HL*3*2*I*1~"+item+"HL*4*3*P*0~MAN*GM*"+sscc1+"~"), "*0001~", "*0002~", 1), nil},
		{"EveryOrderNeedsPRF", asn("HL*1**S*1~HL*2*1*O*1~REF*DP*1~"), []Code{CodeHLContent}},
		{"EveryItemNeedsLINAndSN1", asn("HL*1**S*1~HL*2*1*O*1~PRF*PO1~HL*3*2*P*1~MAN*GM*" + sscc1 + "~HL*4*3*I*0~PO4*1~"), []Code{CodeHLContent, CodeHLContent}},
		{"SSCCCheckDigitIsVerified", asn("HL*1**S*1~HL*2*1*O*1~PRF*PO1~HL*3*2*P*1~MAN*GM*" + sscc1[:17] + "0~HL*4*3*I*0~" + item), []Code{CodeCheckDigit}},
		{"SSCCMustHave18Digits", asn("HL*1**S*1~HL*2*1*O*1~PRF*PO1~HL*3*2*P*1~MAN*GM*12345~HL*4*3*I*0~" + item), []Code{CodeCheckDigit}},
		{"OtherMarksAreNotSSCCs", asn("HL*1**S*1~HL*2*1*O*1~PRF*PO1~HL*3*2*P*1~MAN*CP*1Z999~HL*4*3*I*0~" + item), nil},
		{"CTT01CountsHLSegments", asn("HL*1**S*1~HL*2*1*O*1~PRF*PO1~CTT*3~"), []Code{CodeCount}},
		{"WithoutStructureOnlyReferencesAreChecked", strings.Replace(asn("HL*1**S*1~HL*2*1*I*0~"+item), "*0001~", "~", 1), nil},
		{"WithoutStructureOnlyTheFirstHLIsARoot", strings.Replace(asn("HL*1**S*1~HL*2**S*1~"), "*0001~", "~", 1), []Code{CodeHLParent}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Validate(ParseBytes([]byte(env("SH", "856", tt.body))))
			assert.Equal(t, tt.want, codesOf(rep.All()), "%v", rep.All())
		})
	}
}

func TestErrorsPointToAPlace(t *testing.T) {
	in := env("PO", "850", strings.Replace(po850, "*EA*", "*E*", 1))
	rep := Validate(ParseBytes([]byte(in)))
	all := rep.All()
	require.Len(t, all, 1)
	e := all[0]
	assert.Equal(t, CodeTooShort, e.Code)
	assert.Equal(t, "PO1", e.SegmentID)
	assert.Equal(t, 6, e.Segment)
	assert.Equal(t, 4, e.Position)
	assert.Equal(t, "PO1", e.Loop)
	assert.Equal(t, 3, e.Element)
	assert.Equal(t, 355, e.Ref)
	assert.Equal(t, "E", e.Value)
	assert.Equal(t, int64(strings.Index(in, "~PO1*")+1), e.Offset)
	assert.Equal(t, "segment 6 (PO1), element 3", e.Place())
	assert.Equal(t, fmt.Sprintf("segment 6 (PO1), element 3 at byte %d: data element too short", e.Offset), e.Error())
	assert.ErrorIs(t, e, &Error{Code: CodeTooShort})
}

func TestReportStatus(t *testing.T) {
	for _, tc := range []struct {
		file       string
		sets       string
		group      string
		valid      bool
		accepted   int
		interStats int
	}{
		{"850.edi", "AA", "A", true, 2, 0},
		{"invalid/warnings_850.edi", "E", "E", false, 1, 0},
		{"invalid/partial_850.edi", "ARA", "P", false, 2, 0},
		{"invalid/layout_850.edi", "R", "R", false, 0, 0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			rep := Validate(ParseBytes(readFile(t, tc.file)))
			g := rep.Interchanges[0].Groups[0]
			var sets string
			for _, s := range g.Sets {
				sets += s.Status
			}
			assert.Equal(t, tc.sets, sets)
			assert.Equal(t, tc.group, g.Status)
			assert.Equal(t, tc.valid, rep.Valid())
			assert.Equal(t, tc.accepted, g.Accepted())
		})
	}
}

// TestValidateGoldens records the problems found in each invalid sample.
func TestValidateGoldens(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.edi")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".edi")
		t.Run(name, func(t *testing.T) {
			data := readFile(t, "invalid/"+name+".edi")
			rep := Validate(ParseBytes(data))
			var b bytes.Buffer
			for _, e := range rep.All() {
				where, code := e.AckCode()
				fmt.Fprintf(&b, "%s: %s [%s", e.Place(), e.Text(), e.Code)
				if where != "" {
					fmt.Fprintf(&b, " -> %s", strings.TrimSpace(where+" "+code))
				}
				b.WriteString("]\n")
			}
			golden(t, "invalid/"+name+".validate.golden", b.Bytes())
			srep, err := Validator{}.ValidateReader(bytes.NewReader(data))
			require.NoError(t, err)
			assert.Equal(t, codesOf(rep.All()), codesOf(srep.All()), "streaming finds the same problems")
		})
	}
}

func TestEnvelopeOnlySkipsLayouts(t *testing.T) {
	in := env("IN", "810", "BIG*20240102*INV1~")
	rep := Validator{EnvelopeOnly: true}.Validate(ParseBytes([]byte(in)))
	assert.True(t, rep.Valid(), "%v", rep.All())
	bad := strings.Replace(in, "SE*3*", "SE*4*", 1)
	rep = Validator{EnvelopeOnly: true}.Validate(ParseBytes([]byte(bad)))
	assert.Equal(t, []Code{CodeSECount}, codesOf(rep.All()))
}

func TestCustomSetIsATable(t *testing.T) {
	// An 846 inventory advice, declared only as data.
	s, err := NewSchema(SchemaConfig{
		Segments: []*SegmentSpec{
			{ID: "BIA", Name: "Beginning Segment for Inventory Inquiry/Advice", Elements: []ElementSpec{
				{Ref: 353, Name: "Transaction Set Purpose Code", Req: M, Type: ID, Min: 2, Max: 2, Codes: []string{"00"}},
				{Ref: 755, Name: "Report Type Code", Req: M, Type: ID, Min: 2, Max: 2},
				{Ref: 127, Name: "Reference Identification", Req: M, Type: AN, Min: 1, Max: 30},
				{Ref: 373, Name: "Date", Req: M, Type: DT, Min: 8, Max: 8},
			}},
			{ID: "QTY", Name: "Quantity", Elements: []ElementSpec{
				{Ref: 673, Name: "Quantity Qualifier", Req: M, Type: ID, Min: 2, Max: 2},
				{Ref: 380, Name: "Quantity", Req: M, Type: R, Min: 1, Max: 15},
			}},
		},
		Sets: []*SetSpec{{ID: "846", Name: "Inventory Inquiry/Advice", FunctionalID: "IB", Entries: []Entry{
			{Seg: "BIA", Req: M, Max: 1},
			{Loop: &LoopSpec{ID: "LIN", Entries: []Entry{{Seg: "LIN", Req: M, Max: 1}, {Seg: "QTY", Req: O, Max: 99}}}, Req: M, Max: 10000},
			{Seg: "CTT", Req: O, Max: 1},
		}, Rules: []Rule{{Kind: RuleCount, Segment: "CTT", Element: 1, CountOf: "LIN"}}}},
	})
	require.NoError(t, err)
	v := Validator{Schema: s}
	good := env("IB", "846", "BIA*00*MM*INV1*20240102~LIN**UP*810012345678~QTY*33*10~LIN**UP*810012345685~QTY*33*x~CTT*3~")
	rep := v.Validate(ParseBytes([]byte(good)))
	assert.Equal(t, []Code{CodeInvalidCharacter, CodeCount}, codesOf(rep.All()))
	assert.Equal(t, []string{"846"}, s.SetIDs())
	assert.Equal(t, "Report Type Code", s.ElementName("BIA", 2))

	_, err = NewSchema(SchemaConfig{Sets: []*SetSpec{{ID: "999", Entries: []Entry{{Seg: "NOPE", Req: M}}}}})
	assert.Error(t, err, "unknown segment in a layout")
}

func TestBuiltinTablesCompile(t *testing.T) {
	s := DefaultSchema()
	assert.Equal(t, []string{"850", "856", "940", "945", "997"}, s.SetIDs())
	for _, id := range s.SetIDs() {
		spec, ok := s.Set(id)
		require.True(t, ok)
		assert.NotEmpty(t, spec.Name)
		assert.Len(t, spec.FunctionalID, 2)
	}
	_, ok := s.Segment("BEG")
	assert.True(t, ok)
}

func TestSyntaxNotes(t *testing.T) {
	spec := &SegmentSpec{ID: "ZZT", Elements: []ElementSpec{
		{Name: "A", Type: AN, Min: 1, Max: 5}, {Name: "B", Type: AN, Min: 1, Max: 5}, {Name: "C", Type: AN, Min: 1, Max: 5},
	}}
	tests := []struct {
		name string
		note SyntaxNote
		seg  string
		want []Code
	}{
		{"PairedBothPresent", SyntaxNote{Kind: Paired, Elems: []int{1, 2}}, "ZZT*a*b", nil},
		{"PairedOneMissing", SyntaxNote{Kind: Paired, Elems: []int{1, 2}}, "ZZT*a", []Code{CodeConditionalMissing}},
		{"PairedBothAbsent", SyntaxNote{Kind: Paired, Elems: []int{1, 2}}, "ZZT**", nil},
		{"RequiredOnePresent", SyntaxNote{Kind: Required, Elems: []int{1, 2}}, "ZZT**b", nil},
		{"RequiredNonePresent", SyntaxNote{Kind: Required, Elems: []int{1, 2}}, "ZZT***c", []Code{CodeConditionalMissing}},
		{"ExclusionOnePresent", SyntaxNote{Kind: Exclusion, Elems: []int{1, 2}}, "ZZT*a", nil},
		{"ExclusionBothPresent", SyntaxNote{Kind: Exclusion, Elems: []int{1, 2}}, "ZZT*a*b", []Code{CodeExclusion}},
		{"ConditionalSatisfied", SyntaxNote{Kind: Conditional, Elems: []int{1, 2, 3}}, "ZZT*a*b*c", nil},
		{"ConditionalBroken", SyntaxNote{Kind: Conditional, Elems: []int{1, 2, 3}}, "ZZT*a*b", []Code{CodeConditionalMissing}},
		{"ConditionalNotTriggered", SyntaxNote{Kind: Conditional, Elems: []int{1, 2, 3}}, "ZZT**b", nil},
		{"ListConditionalSatisfied", SyntaxNote{Kind: ListConditional, Elems: []int{1, 2, 3}}, "ZZT*a**c", nil},
		{"ListConditionalBroken", SyntaxNote{Kind: ListConditional, Elems: []int{1, 2, 3}}, "ZZT*a", []Code{CodeConditionalMissing}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := *spec
			sp.Notes = []SyntaxNote{tt.note}
			segs, _ := readAll(t, NewBytesReader([]byte(isaStar+tt.seg+"~")))
			var errs []*Error
			checkElements(&segs[1], &sp, false, 2, "", &errs)
			assert.Equal(t, tt.want, codesOf(errs))
			var fast []*Error
			compileSegCheck(&sp).check(&segs[1], false, 2, "", &fast)
			assert.Equal(t, errs, fast, "compiled checks")
		})
	}
}
