package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startCPUProfile profiles the process's CPU when HANDLER_CPU_PROFILE names
// a file (the webhook benchmark sets it; Azure never does), and returns
// what stops the profile and writes it. Without the setting it does nothing.
// A profile that cannot start is reported on stderr and never stops serving.
func startCPUProfile(getenv func(string) string) (stop func()) {
	path := getenv("HANDLER_CPU_PROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, `{"level":"WARN","msg":"cpu profile off","error":%q}`+"\n", err.Error())
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		fmt.Fprintf(os.Stderr, `{"level":"WARN","msg":"cpu profile off","error":%q}`+"\n", err.Error())
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(os.Stderr, `{"level":"WARN","msg":"writing the cpu profile failed","error":%q}`+"\n", err.Error())
		}
	}
}
