package x12compare

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The whole-process benchmark builds cmd/edi (x12cli.Run and nothing else)
// and runs it on generated 856 files, as an operator would run
// "handler edi". It reports MB/s of input and the process's peak resident
// set (VmHWM, which cmd/edi reports when asked: getrusage of a child that
// os/exec starts also counts the benchmark's own pages).

var (
	workOnce sync.Once
	workDir  string
	ediBin   string
	workErr  error
	files    sync.Map // size -> path
)

func TestMain(m *testing.M) {
	code := m.Run()
	if workDir != "" {
		os.RemoveAll(workDir)
	}
	os.Exit(code)
}

// edi builds the command once into a temporary directory.
func edi(b *testing.B) string {
	workOnce.Do(func() {
		workDir, workErr = os.MkdirTemp("", "x12compare-")
		if workErr != nil {
			return
		}
		ediBin = filepath.Join(workDir, "edi")
		// the go command on PATH (the Makefile puts the toolchain first)
		goBin, err := exec.LookPath("go")
		if err != nil {
			workErr = fmt.Errorf("finding the go command: %w", err)
			return
		}
		out, err := exec.Command(goBin, "build", "-o", ediBin, "./cmd/edi").CombinedOutput()
		if err != nil {
			workErr = fmt.Errorf("building cmd/edi: %v\n%s", err, out)
		}
	})
	if workErr != nil {
		b.Fatal(workErr)
	}
	return ediBin
}

// file writes a generated 856 of at least size bytes once and returns its path.
func file(b *testing.B, size int) (string, int64) {
	edi(b) // makes workDir
	if v, ok := files.Load(size); ok {
		p := v.(string)
		fi, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		return p, fi.Size()
	}
	p := filepath.Join(workDir, fmt.Sprintf("856-%d.edi", size))
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	n, err := Write(f, ASN856, size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	files.Store(size, p)
	return p, n
}

// hwm reads the "VmHWM: N kB" line cmd/edi writes last.
func hwm(stderr []byte) (int64, error) {
	i := bytes.LastIndex(stderr, []byte("VmHWM: "))
	if i < 0 {
		return 0, fmt.Errorf("no VmHWM in the command's output: %s", stderr)
	}
	var kb int64
	if _, err := fmt.Sscanf(string(stderr[i:]), "VmHWM: %d kB", &kb); err != nil {
		return 0, fmt.Errorf("reading VmHWM: %w", err)
	}
	return kb, nil
}

// BenchmarkProcess runs "edi validate", "edi json" and "edi ack" on 8 MB
// and 64 MB interchanges, output to /dev/null, and reports MB/s (wall
// clock from process start to exit, over the input's size) and
// peak-RSS-MB, the largest resident set of any run.
func BenchmarkProcess(b *testing.B) {
	for _, cmd := range [][]string{{"validate"}, {"json"}, {"ack", "-now", "2024-01-11T14:05:00Z"}} {
		for _, size := range []int{8 << 20, 64 << 20} {
			b.Run(fmt.Sprintf("%s/%dMB", cmd[0], size>>20), func(b *testing.B) {
				bin := edi(b)
				path, n := file(b, size)
				devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
				if err != nil {
					b.Fatal(err)
				}
				defer devnull.Close()
				b.SetBytes(n)
				var peak int64
				b.ResetTimer()
				for range b.N {
					args := append(append([]string{"-report-hwm"}, cmd...), path)
					c := exec.Command(bin, args...)
					var stderr bytes.Buffer
					c.Stdout, c.Stderr = devnull, &stderr
					err := c.Run()
					if err != nil {
						b.Fatalf("edi %s: %v\n%s", cmd[0], err, stderr.Bytes())
					}
					kb, err := hwm(stderr.Bytes())
					if err != nil {
						b.Fatal(err)
					}
					peak = max(peak, kb)
				}
				b.StopTimer()
				b.ReportMetric(float64(peak)/1024, "peak-RSS-MB")
			})
		}
	}
}
