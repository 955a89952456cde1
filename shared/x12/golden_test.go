package x12

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	goldenfile "github.com/popsockets/integration/shared/golden"
)

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) { t.Helper(); goldenfile.Equal(t, name, got) }

func goldenJSON(t *testing.T, name string, v any) { t.Helper(); goldenfile.JSON(t, name, v) }

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", path))
	require.NoError(t, err)
	return b
}

// flat renders every segment of a document as "ID|e1|e2...", independent
// of delimiters, for comparing documents read from different layouts.
func flat(doc *Document) []string {
	var out []string
	doc.Segments(func(s Segment) bool {
		line := s.IDString()
		for i := 1; i <= s.Len(); i++ {
			line += "|" + s.String(i)
		}
		out = append(out, line)
		return true
	})
	return out
}

// sampleFiles lists every .edi file under testdata, relative to it.
func sampleFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"*.edi", "*/*.edi"} {
		m, err := filepath.Glob(filepath.Join("testdata", pat))
		require.NoError(t, err)
		for _, f := range m {
			rel, _ := filepath.Rel("testdata", f)
			out = append(out, rel)
		}
	}
	require.NotEmpty(t, out)
	return out
}
