package golden_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/popsockets/integration/shared/golden"
)

// recorder is a testing.TB that notes failures instead of stopping.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }

func TestEqual(t *testing.T) {
	if golden.Updating() {
		t.Skip("the files here are written by the test itself")
	}
	dir := t.TempDir()
	require := func(ok bool, msg string) {
		t.Helper()
		if !ok {
			t.Fatal(msg)
		}
	}
	t.Chdir(dir)
	require(os.Mkdir("testdata", 0o755) == nil, "mkdir")
	require(os.WriteFile(filepath.Join("testdata", "a.golden"), []byte("{\n  \"b\": 1,\n  \"a\": 2\n}\n"), 0o644) == nil, "write")

	r := &recorder{TB: t}
	golden.Equal(r, "a.golden", []byte("{\n  \"b\": 1,\n  \"a\": 2\n}\n"))
	require(!r.failed, "equal bytes pass")

	r = &recorder{TB: t}
	golden.IndentJSON(r, "a.golden", []byte(`{"b":1,"a":2}`))
	require(!r.failed, "raw JSON keeps its key order")

	r = &recorder{TB: t}
	golden.JSON(r, "a.golden", map[string]int{"b": 1, "a": 2})
	require(r.failed, "a map is encoded with sorted keys, so it differs")

	r = &recorder{TB: t}
	golden.Equal(r, "missing.golden", []byte("x"))
	require(r.failed, "a missing file fails")
}
