// Command edi is the edi command line alone (what "handler edi" runs),
// built by the whole-process benchmark so that its figures are those of
// the command and not of the Functions host around it.
//
// A first argument -report-hwm is taken off and, after the command, the
// process's peak resident set (VmHWM from /proc/self/status) is written to
// standard error as "VmHWM: N kB". The benchmark reads it there because
// the rusage of a child started with vfork also counts the parent's pages.
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/popsockets/integration/shared/x12/x12cli"
)

func main() {
	args := os.Args[1:]
	hwm := len(args) > 0 && args[0] == "-report-hwm"
	if hwm {
		args = args[1:]
	}
	code := x12cli.Run(context.Background(), args, os.Stdin, os.Stdout, os.Stderr)
	if hwm {
		if status, err := os.ReadFile("/proc/self/status"); err == nil {
			for _, line := range bytes.Split(status, []byte("\n")) {
				if bytes.HasPrefix(line, []byte("VmHWM:")) {
					fmt.Fprintf(os.Stderr, "%s\n", bytes.Join(bytes.Fields(line), []byte(" ")))
				}
			}
		}
	}
	os.Exit(code)
}
