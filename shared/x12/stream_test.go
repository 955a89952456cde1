package x12

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// segText renders a segment with its place, to compare views.
func segText(s Segment) string {
	if s.IsZero() {
		return fmt.Sprintf("zero@%d/%d", s.Offset, s.Ordinal)
	}
	return fmt.Sprintf("%s@%d/%d", s.Raw(), s.Offset, s.Ordinal)
}

func segTexts(segs []Segment) []string {
	out := make([]string, len(segs))
	for i, s := range segs {
		out[i] = segText(s)
	}
	return out
}

// sameAsTree checks that the streaming paths see what ParseBytes and
// Validate see: ValidateOutline the same report, envelopes, strays and
// problems; EachSet the same sets, segment for segment, and the same typed
// forms. Each is read whole and one byte at a time.
func sameAsTree(t testing.TB, data []byte) {
	doc := ParseBytes(data)
	rep := Validate(doc)
	for _, slow := range []bool{false, true} {
		in := func() *bytes.Reader { return bytes.NewReader(data) }
		src := func() io.Reader {
			if slow {
				return iotest.OneByteReader(in())
			}
			return in()
		}
		out, orep, err := Validator{}.ValidateOutline(src())
		require.NoError(t, err)
		// file-level problems arrive in input order in a stream, after the
		// document in a replay; All sorts them
		require.Equal(t, rep.All(), orep.All(), "outline report")
		require.Equal(t, rep.Interchanges, orep.Interchanges, "outline report")
		require.Equal(t, doc.Size, out.Size)
		require.Equal(t, doc.Problems, out.Problems)
		require.Equal(t, segTexts(doc.Stray), segTexts(out.Stray))
		require.Len(t, out.Interchanges, len(doc.Interchanges))
		for i, ix := range doc.Interchanges {
			ox := out.Interchanges[i]
			require.Equal(t, segText(ix.ISA), segText(ox.ISA))
			require.Equal(t, segText(ix.IEA), segText(ox.IEA))
			require.Equal(t, segTexts(ix.TA1), segTexts(ox.TA1))
			require.Equal(t, segTexts(ix.Stray), segTexts(ox.Stray))
			require.Len(t, ox.Groups, len(ix.Groups))
			for j, g := range ix.Groups {
				og := ox.Groups[j]
				require.Equal(t, segText(g.GS), segText(og.GS))
				require.Equal(t, segText(g.GE), segText(og.GE))
				require.Equal(t, segTexts(g.Stray), segTexts(og.Stray))
				require.Empty(t, og.Sets)
			}
		}

		var want []*Transaction
		for _, ix := range doc.Interchanges {
			for _, g := range ix.Groups {
				want = append(want, g.Sets...)
			}
		}
		n := 0
		err = EachSet(src(), func(got *Transaction) error {
			require.Less(t, n, len(want), "more sets than the tree has")
			w := want[n]
			n++
			require.Equal(t, segTexts(w.Segments()), segTexts(got.Segments()))
			require.Equal(t, segText(w.SE()), segText(got.SE()))
			require.Equal(t, segText(w.end), segText(got.end))
			require.Equal(t, w.delims, got.delims)
			wt, werr := Typed(w)
			gt, gerr := Typed(got)
			require.Equal(t, werr, gerr)
			require.Equal(t, wt, gt)
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, len(want), n, "sets")
	}
}

func TestStreamingPathsMatchTheTree(t *testing.T) {
	for _, pat := range []string{"testdata/*.edi", "testdata/*/*.edi"} {
		files, err := filepath.Glob(pat)
		require.NoError(t, err)
		for _, name := range files {
			t.Run(name, func(t *testing.T) {
				data, err := os.ReadFile(name)
				require.NoError(t, err)
				sameAsTree(t, data)
			})
		}
	}
	t.Run("Empty", func(t *testing.T) { sameAsTree(t, nil) })
}

func TestEachSetStopsHandingOverAfterAnError(t *testing.T) {
	data, err := os.ReadFile("testdata/tolerance/multiple_groups.edi")
	require.NoError(t, err)
	calls := 0
	stop := fmt.Errorf("enough")
	err = EachSet(bytes.NewReader(data), func(*Transaction) error {
		calls++
		return stop
	})
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 1, calls)
}

func TestParseReadsAFileIntoOneBuffer(t *testing.T) {
	data, err := os.ReadFile("testdata/856.edi")
	require.NoError(t, err)
	f, err := os.Open("testdata/856.edi")
	require.NoError(t, err)
	defer f.Close()
	doc, err := Parse(f)
	require.NoError(t, err)
	assert.Equal(t, ParseBytes(data).Size, doc.Size)
	assert.Equal(t, Validate(ParseBytes(data)), Validate(doc))
	// a reader that cannot tell its size still parses the same
	doc, err = Parse(iotest.HalfReader(bytes.NewReader(data)))
	require.NoError(t, err)
	assert.Equal(t, Validate(ParseBytes(data)), Validate(doc))
}
