// Package golden compares test output with golden files under testdata/,
// and rewrites them when the test binary runs with -update:
//
//	go test ./shared/cirro/... -update
//
// It registers the -update flag, so a test package that imports it must
// not declare its own. It is for tests only.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden files")

// Updating reports whether the test binary runs with -update.
func Updating() bool { return *update }

// Equal compares got with the file testdata/name of the package under test,
// or, with -update, writes got to it.
func Equal(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("writing golden file: %v", err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("writing golden file: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file %s (run go test with -update to create it): %v", path, err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file (run go test with -update to accept):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// JSON compares v, encoded as indented JSON with a final newline, with
// testdata/name.
func JSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("encoding %s: %v", name, err)
	}
	Equal(t, name, append(b, '\n'))
}

// IndentJSON compares raw JSON, re-indented with a final newline, with
// testdata/name; the keys keep the order they have in raw.
func IndentJSON(t testing.TB, name string, raw []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		t.Fatalf("indenting %s: %v", name, err)
	}
	b.WriteByte('\n')
	Equal(t, name, b.Bytes())
}
