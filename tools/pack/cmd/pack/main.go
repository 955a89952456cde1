// Command pack writes the Function App's deployment zip (see package pack).
//
//	go run ./tools/pack/cmd/pack -root . -handler dist/handler -out dist/functionapp.zip
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/popsockets/integration/tools/pack"
)

func main() {
	root := flag.String("root", ".", "app root holding host.json and functions/")
	handler := flag.String("handler", "dist/handler", "the built linux/amd64 handler binary")
	out := flag.String("out", "dist/functionapp.zip", "zip to write")
	flag.Parse()
	entries, err := pack.WriteFile(*out, pack.Config{Root: *root, Handler: *handler})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pack: %v\n", err)
		os.Exit(1)
	}
	st, err := os.Stat(*out)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pack: %v\n", err)
		os.Exit(1)
	}
	for _, e := range entries {
		fmt.Printf("  %v %9d  %s\n", e.Mode, e.Size, e.Name)
	}
	fmt.Printf("wrote %s: %d entries, %d bytes\n", *out, len(entries), st.Size())
}
