// Command edi is the edi command line alone (what "handler edi" runs),
// built by the whole-process benchmark so that its figures are those of
// the command and not of the Functions host around it.
package main

import (
	"context"
	"os"

	"github.com/popsockets/integration/shared/x12/x12cli"
)

func main() {
	os.Exit(x12cli.Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
