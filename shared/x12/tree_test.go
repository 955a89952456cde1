package x12

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoundTripIsByteIdentical(t *testing.T) {
	for _, name := range []string{"850.edi", "856.edi", "940.edi", "945.edi", "997.edi", "tolerance/canonical.edi", "tolerance/multiple_groups.edi"} {
		t.Run(name, func(t *testing.T) {
			data := readFile(t, name)
			doc := ParseBytes(data)
			var out bytes.Buffer
			n, err := doc.WriteTo(&out)
			require.NoError(t, err)
			assert.Equal(t, int64(out.Len()), n)
			if strings.Contains(string(data), "~\n") {
				// one segment per line: compare through Encode with a suffix
				out.Reset()
				require.NoError(t, doc.Encode(&out, doc.Interchanges[0].Delimiters(), "\n"))
			}
			assert.Equal(t, string(data), out.String())
		})
	}
}

func TestEncodeChangesDelimiters(t *testing.T) {
	doc := ParseBytes(readFile(t, "850.edi"))
	var out bytes.Buffer
	d := Delimiters{Element: '|', Component: '^', Segment: '\n'}
	require.NoError(t, doc.Encode(&out, d, ""))
	again := ParseBytes(out.Bytes())
	assert.Equal(t, d, again.Interchanges[0].Delimiters())
	assert.Equal(t, flat(doc)[1:], flat(again)[1:], "same content apart from the ISA")
	assert.Equal(t, "^", again.Interchanges[0].ISA.String(16))
	assert.True(t, Validate(again).Valid())

	t.Run("DataContainingNewDelimiterIsAnError", func(t *testing.T) {
		doc := ParseBytes([]byte(isaStar + "GS*PO*S*R*20240102*1530*1*X*004010~ST*850*0001~N1*ST*A|B~SE*3*0001~GE*1*1~IEA*1*000000001~"))
		err := doc.Encode(&bytes.Buffer{}, Delimiters{Element: '|', Component: '^', Segment: '~'}, "")
		var xe *Error
		require.ErrorAs(t, err, &xe)
		assert.Equal(t, CodeDelimiterUse, xe.Code)
		assert.Equal(t, "N1", xe.SegmentID)
		assert.Equal(t, 2, xe.Element)
	})
}

func TestTreeKeepsEverything(t *testing.T) {
	doc := ParseBytes(readFile(t, "invalid/structure.edi"))
	require.Len(t, doc.Interchanges, 2)
	first := doc.Interchanges[0]
	require.Len(t, first.Groups, 3, "two groups and one implied by an ST without GS")
	assert.Len(t, first.Groups[0].Sets, 2)
	assert.True(t, first.Groups[0].Sets[0].SE().IsZero(), "the first set has no SE")
	assert.Len(t, first.Groups[0].Stray, 1)
	assert.True(t, first.Groups[2].GS.IsZero())
	assert.True(t, doc.Interchanges[1].IEA.IsZero())
	// every segment read is somewhere in the tree
	n := 0
	doc.Segments(func(Segment) bool { n++; return true })
	for _, ix := range doc.Interchanges {
		for _, g := range ix.Groups {
			n += len(g.Stray)
		}
		n += len(ix.Stray)
	}
	n += len(doc.Stray)
	r := NewBytesReader(readFile(t, "invalid/structure.edi"))
	segs, _ := readAll(t, r)
	assert.Equal(t, len(segs), n)
}

func TestTransactionAccessors(t *testing.T) {
	doc := ParseBytes(readFile(t, "850.edi"))
	g := doc.Interchanges[0].Groups[0]
	assert.Equal(t, "PO", g.FunctionalID())
	assert.Equal(t, "101", g.Control())
	assert.Equal(t, "004010", g.Version())
	ts := g.Sets[1]
	assert.Equal(t, "850", ts.ID())
	assert.Equal(t, "0002", ts.Control())
	assert.True(t, ts.ST().Is("ST"))
	assert.True(t, ts.SE().Is("SE"))
	assert.Len(t, ts.Body(), ts.Len()-2)
	assert.Equal(t, "000005001", doc.Interchanges[0].Control())
}
