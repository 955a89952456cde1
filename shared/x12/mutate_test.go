package x12

import (
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// TestMutatedSamplesAgree is a small deterministic fuzz run: sample files
// with a few random edits (delimiters, IDs, digits, control bytes,
// deletions) must read the same streamed and in memory, validate the same
// from the tree and the stream, and get from the compiled element checks
// what the plain reading of the specs gives.
func TestMutatedSamplesAgree(t *testing.T) {
	var seeds [][]byte
	for _, pat := range []string{"testdata/*.edi", "testdata/*/*.edi", "testdata/fuzz/*/*"} {
		files, _ := filepath.Glob(pat)
		for _, f := range files {
			b, _ := os.ReadFile(f)
			seeds = append(seeds, b)
		}
	}
	rng := rand.New(rand.NewSource(7))
	alphabet := []byte("*~>^:|\n\r ISAGESTHLIN0123456789ABCZ\x00\x1f\x7f")
	for it := 0; it < 1500; it++ {
		d := append([]byte(nil), seeds[rng.Intn(len(seeds))]...)
		for k := rng.Intn(6) + 1; k > 0 && len(d) > 0; k-- {
			p := rng.Intn(len(d))
			switch rng.Intn(4) {
			case 0:
				d[p] = alphabet[rng.Intn(len(alphabet))]
			case 1:
				d = append(d[:p], d[p+1:]...)
			case 2:
				d = append(d[:p], append([]byte{alphabet[rng.Intn(len(alphabet))]}, d[p:]...)...)
			case 3:
				q := min(len(d), p+rng.Intn(40))
				d = append(d[:p], d[q:]...)
			}
		}
		sameAsTree(t, d)
		rd := NewBytesReader(d)
		for {
			seg, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err == nil {
				sameChecks(t, &seg)
			}
		}
	}
}
