package x12cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	goldenfile "github.com/popsockets/integration/shared/golden"
	"github.com/popsockets/integration/shared/x12"
)

func golden(t *testing.T, name string, got []byte) { t.Helper(); goldenfile.Equal(t, name, got) }

// sample names a file of the x12 package's test data.
func sample(name string) string { return filepath.Join("..", "testdata", name) }

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func TestValidate(t *testing.T) {
	t.Run("ValidFilesExitZeroSilently", func(t *testing.T) {
		r := run(t, "", "validate", sample("850.edi"), sample("856.edi"), sample("940.edi"), sample("945.edi"), sample("997.edi"))
		assert.Equal(t, 0, r.code, r.stdout)
		assert.Empty(t, r.stdout)
		assert.Empty(t, r.stderr)
	})
	t.Run("TolerancesAreNoticesOnly", func(t *testing.T) {
		r := run(t, "", "validate", sample("tolerance/missing_final_terminator.edi"), sample("tolerance/trimmed_isa.edi"))
		assert.Equal(t, 0, r.code)
		assert.Equal(t, "../testdata/tolerance/missing_final_terminator.edi: segment 13 (IEA): notice: missing segment terminator at end of input\n"+
			"../testdata/tolerance/trimmed_isa.edi: segment 1 (ISA): notice: non-canonical ISA (75 bytes instead of 106)\n", r.stdout)
	})
	t.Run("InvalidFilesExitOneWithOneLinePerProblem", func(t *testing.T) {
		r := run(t, "", "validate", sample("850.edi"), sample("invalid/layout_850.edi"), sample("invalid/hierarchy_856.edi"))
		assert.Equal(t, 1, r.code)
		golden(t, "validate.golden", []byte(r.stdout))
		for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			assert.Regexp(t, `^\.\./testdata/invalid/[a-z0-9_]+\.edi: (segment \d+( \([A-Z0-9]+\))?(, element \d+)?|byte \d+): .+$`, line)
		}
	})
	t.Run("UnreadableFileExitsTwo", func(t *testing.T) {
		r := run(t, "", "validate", sample("850.edi"), "does-not-exist.edi")
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.stderr, "does-not-exist.edi")
	})
	t.Run("NoFilesIsAUsageError", func(t *testing.T) {
		r := run(t, "", "validate")
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.stderr, "usage:")
	})
	t.Run("StandardInput", func(t *testing.T) {
		data, err := os.ReadFile(sample("invalid/warnings_850.edi"))
		require.NoError(t, err)
		r := run(t, string(data), "validate", "-")
		assert.Equal(t, 1, r.code)
		assert.Equal(t, "-: segment 4 (BEG), element 2: warning: invalid code value\n", r.stdout)
	})
}

func TestAck(t *testing.T) {
	t.Run("WritesThe997s", func(t *testing.T) {
		r := run(t, "", "ack", "-now", "2024-01-11T14:05:00Z", "-newline", sample("invalid/partial_850.edi"))
		assert.Equal(t, 0, r.code, r.stderr)
		golden(t, "ack.golden", []byte(r.stdout))
	})
	t.Run("ControlNumbersStartWhereAsked", func(t *testing.T) {
		r := run(t, "", "ack", "-now", "2024-01-11T14:05:00Z", "-start", "700", sample("850.edi"))
		assert.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "*000000700*0*P*>~GS*FA*POPSOCKETS*RETAILERX*20240111*1405*700*X*004010~ST*997*0700~")
	})
	t.Run("A997IsNeverAcknowledged", func(t *testing.T) {
		r := run(t, "", "ack", sample("997.edi"))
		assert.Equal(t, 1, r.code)
		assert.Empty(t, r.stdout)
		assert.Contains(t, r.stderr, "nothing to acknowledge")
	})
	t.Run("BadTimeIsAUsageError", func(t *testing.T) {
		r := run(t, "", "ack", "-now", "yesterday", sample("850.edi"))
		assert.Equal(t, 2, r.code)
	})
	t.Run("OneFileOnly", func(t *testing.T) {
		assert.Equal(t, 2, run(t, "", "ack", sample("850.edi"), sample("856.edi")).code)
		assert.Equal(t, 2, run(t, "", "ack", "missing.edi").code)
	})
}

func TestShow(t *testing.T) {
	for _, name := range []string{"850.edi", "856.edi", "invalid/structure.edi"} {
		t.Run(name, func(t *testing.T) {
			r := run(t, "", "show", sample(name))
			assert.Equal(t, 0, r.code, r.stderr)
			golden(t, "show_"+strings.ReplaceAll(strings.TrimSuffix(name, ".edi"), "/", "_")+".golden", []byte(r.stdout))
		})
	}
	assert.Equal(t, 2, run(t, "", "show").code)
	assert.Equal(t, 2, run(t, "", "show", "missing.edi").code)
}

func TestJSON(t *testing.T) {
	r := run(t, "", "json", sample("945.edi"))
	assert.Equal(t, 0, r.code, r.stderr)
	golden(t, "json_945.golden", []byte(r.stdout))
	var v struct {
		Valid        bool `json:"valid"`
		Interchanges []struct {
			Control string `json:"control"`
			Groups  []struct {
				Sets []struct {
					ID       string          `json:"id"`
					Document json.RawMessage `json:"document"`
				} `json:"sets"`
			} `json:"groups"`
		} `json:"interchanges"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v))
	assert.True(t, v.Valid)
	assert.Equal(t, "000000777", v.Interchanges[0].Control)
	assert.Contains(t, string(v.Interchanges[0].Groups[0].Sets[0].Document), `"depositor_order": "SO-100234"`)

	t.Run("ProblemsAreIncluded", func(t *testing.T) {
		r := run(t, "", "json", sample("invalid/layout_850.edi"))
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stdout, `"code": "segment-unrecognized"`)
		assert.Contains(t, r.stdout, `"read_error": "x12: reading 850 0001`)
	})
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"frobnicate"}} {
		r := run(t, "", args...)
		assert.Equal(t, 2, r.code, args)
		assert.Contains(t, r.stderr, "usage: edi <command>")
		assert.Empty(t, r.stdout)
	}
	assert.Equal(t, 2, run(t, "", "validate", "-bogus", "x").code)
}

// The command-line defects, each named after what it was.

func TestEmptyFileValidatesWithExitZero(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.edi")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	blank := filepath.Join(t.TempDir(), "blank.edi")
	require.NoError(t, os.WriteFile(blank, []byte("\r\n  \n"), 0o644))
	for _, name := range []string{empty, blank} {
		r := run(t, "", "validate", name)
		assert.Equal(t, 1, r.code, "an empty file is invalid")
		assert.Equal(t, name+": empty file: no ISA segment\n", r.stdout)
		assert.Empty(t, r.stderr)
	}
	r := run(t, "", "validate", "-")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "-: empty file: no ISA segment\n", r.stdout)
}

func TestJSONExitsZeroWhenOutputSaysInvalid(t *testing.T) {
	r := run(t, "", "json", sample("invalid/layout_850.edi"))
	assert.Equal(t, 1, r.code, "json exits 1 for an invalid file, as validate does")
	assert.Contains(t, r.stdout, `"valid": false`)
	assert.Empty(t, r.stderr)
	assert.Equal(t, 0, run(t, "", "json", sample("945.edi")).code)
}

func TestHelpExitsTwo(t *testing.T) {
	for _, arg := range []string{"help", "-h", "-help", "--help"} {
		r := run(t, "", arg)
		assert.Equal(t, 0, r.code, "%s is not a usage error", arg)
		assert.Contains(t, r.stdout, "usage: edi <command>", "%s prints the usage to stdout", arg)
		assert.Empty(t, r.stderr)
	}
}

// treeJSON is the JSON command as it was before it streamed: the whole
// document parsed, then encoded at once. The streamed output must match it.
func treeJSON(t *testing.T, file string, data []byte) string {
	type treeGroupJSON struct {
		*x12.GroupReport
		GS     x12.Segment   `json:"gs"`
		GE     x12.Segment   `json:"ge"`
		Sets   []setJSON     `json:"sets"`
		Stray  []x12.Segment `json:"stray,omitempty"`
		Errors []*x12.Error  `json:"errors,omitempty"`
	}
	type treeInterchangeJSON struct {
		*x12.InterchangeReport
		ISA    x12.Segment     `json:"isa"`
		TA1    []x12.Segment   `json:"ta1,omitempty"`
		IEA    x12.Segment     `json:"iea"`
		Groups []treeGroupJSON `json:"groups"`
		Stray  []x12.Segment   `json:"stray,omitempty"`
		Errors []*x12.Error    `json:"errors,omitempty"`
	}
	type treeFileJSON struct {
		File         string                `json:"file"`
		Size         int64                 `json:"size"`
		Valid        bool                  `json:"valid"`
		Interchanges []treeInterchangeJSON `json:"interchanges"`
		Stray        []x12.Segment         `json:"stray,omitempty"`
		Problems     []*x12.Error          `json:"problems"`
	}
	doc := x12.ParseBytes(data)
	rep := x12.Validate(doc)
	out := treeFileJSON{File: file, Size: doc.Size, Valid: rep.Valid(), Stray: doc.Stray, Problems: rep.All()}
	if out.Problems == nil {
		out.Problems = []*x12.Error{}
	}
	for i, ix := range doc.Interchanges {
		ir := rep.Interchanges[i]
		ij := treeInterchangeJSON{InterchangeReport: ir, ISA: ix.ISA, TA1: ix.TA1, IEA: ix.IEA, Stray: ix.Stray, Groups: []treeGroupJSON{}, Errors: ir.Errors}
		for j, g := range ix.Groups {
			gj := treeGroupJSON{GroupReport: ir.Groups[j], GS: g.GS, GE: g.GE, Stray: g.Stray, Sets: []setJSON{}, Errors: ir.Groups[j].Errors}
			for k, s := range g.Sets {
				sj := setJSON{SetReport: ir.Groups[j].Sets[k], Segments: s.Segments(), Errors: ir.Groups[j].Sets[k].Errors}
				if typed, err := x12.Typed(s); err == nil {
					sj.Document = typed
				} else if !errors.Is(err, x12.ErrNoTypedForm) {
					sj.ReadError = err.Error()
				}
				gj.Sets = append(gj.Sets, sj)
			}
			ij.Groups = append(ij.Groups, gj)
		}
		out.Interchanges = append(out.Interchanges, ij)
	}
	if out.Interchanges == nil {
		out.Interchanges = []treeInterchangeJSON{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(out))
	return b.String()
}

func TestJSONStreamsWhatTheTreeWrites(t *testing.T) {
	var files []string
	for _, pat := range []string{"*.edi", "*/*.edi"} {
		m, err := filepath.Glob(sample(pat))
		require.NoError(t, err)
		files = append(files, m...)
	}
	require.NotEmpty(t, files)
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(name)
			require.NoError(t, err)
			want := treeJSON(t, name, data)
			r := run(t, "", "json", name)
			assert.Equal(t, want, r.stdout)
			assert.Empty(t, r.stderr)
			// standard input that cannot seek is spooled and read twice
			var out, errb bytes.Buffer
			code := Run(context.Background(), []string{"json", "-"}, iotest.OneByteReader(bytes.NewReader(data)), &out, &errb)
			assert.Equal(t, r.code, code)
			assert.Equal(t, treeJSON(t, "-", data), out.String())
		})
	}
}

func TestAckStreamsWhatTheTreeAcknowledges(t *testing.T) {
	for _, name := range []string{"850.edi", "856.edi", "invalid/partial_850.edi", "invalid/envelope.edi", "tolerance/multiple_groups.edi", "tolerance/ta1.edi"} {
		data, err := os.ReadFile(sample(name))
		require.NoError(t, err)
		var want bytes.Buffer
		_, werr := x12.BuildAcks(context.Background(), &want, x12.Validate(x12.ParseBytes(data)),
			x12.AckOptions{Numbers: &x12.Sequence{Start: 1}, Time: time.Date(2024, 1, 11, 14, 5, 0, 0, time.UTC), TA1: true})
		r := run(t, "", "ack", "-now", "2024-01-11T14:05:00Z", sample(name))
		assert.Equal(t, want.String(), r.stdout, name)
		if werr == nil && want.Len() > 0 {
			assert.Equal(t, 0, r.code, name)
		}
	}
}
