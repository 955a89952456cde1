package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCPUProfileIsWrittenOnStop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	stop := startCPUProfile(func(k string) string {
		if k == "HANDLER_CPU_PROFILE" {
			return path
		}
		return ""
	})
	stop()
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Positive(t, st.Size(), "a stopped profile holds at least its header")
}
