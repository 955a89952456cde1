package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/devhost"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/pglocal"
)

// dev runs the product on one machine: a throwaway PostgreSQL (unless
// DATABASE_URL is set), migrations, a filesystem blob store, and the local
// Functions host running this same binary as its handler.
func dev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("dev", flag.ContinueOnError)
	fl.SetOutput(stderr)
	root := fl.String("root", ".", "the app root (holds host.json and functions/)")
	addr := fl.String("addr", "127.0.0.1:7071", "where the local host listens")
	verbose := fl.Bool("v", false, "also print the handler's JSON log lines")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	say := func(format string, a ...any) { fmt.Fprintf(stdout, format+"\n", a...) }
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "handler dev: "+format+"\n", a...)
		return 1
	}

	appDir, err := appRoot(*root)
	if err != nil {
		return fail("%v", err)
	}
	values, from, err := devhost.LoadSettings(appDir)
	if err != nil {
		return fail("%v", err)
	}
	for k := range values {
		if v := getenv(k); v != "" {
			values[k] = v
		}
	}
	runDir := filepath.Join(appDir, ".run")
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return fail("creating %s: %v", runDir, err)
	}

	if values["DATABASE_URL"] == "" {
		say("starting a throwaway PostgreSQL ...")
		pg, err := pglocal.Start(ctx, pglocal.Config{})
		if err != nil {
			return fail("%v", err)
		}
		defer pg.Stop()
		values["DATABASE_URL"] = pg.URL
	}
	mctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	applied, err := store.Migrate(mctx, store.Config{URL: values["DATABASE_URL"]}, nil)
	cancel()
	if err != nil {
		return fail("%v", err)
	}

	if values["BLOB_LOCAL_DIR"] == "" {
		values["BLOB_LOCAL_DIR"] = filepath.Join(runDir, "blobs")
		// Blobs refer to rows of the throwaway database: start both empty.
		if err := os.RemoveAll(values["BLOB_LOCAL_DIR"]); err != nil {
			return fail("clearing %s: %v", values["BLOB_LOCAL_DIR"], err)
		}
	}
	blobs, err := blob.NewFS(blob.FSConfig{Root: values["BLOB_LOCAL_DIR"]})
	if err != nil {
		return fail("%v", err)
	}

	logPath := filepath.Join(runDir, "handler.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fail("%v", err)
	}
	defer logFile.Close()
	var handlerOut io.Writer = logFile
	if *verbose {
		handlerOut = io.MultiWriter(logFile, stdout)
	}
	exe, err := os.Executable()
	if err != nil {
		return fail("finding this binary: %v", err)
	}
	h, err := devhost.New(devhost.Config{
		AppRoot: appDir, Catalog: catalog(), Settings: values, Addr: *addr, Blobs: blobs, Out: stdout,
		RedeliveryDelay: time.Second,
		Worker:          &devhost.ExecWorker{Path: exe, Dir: appDir, Stdout: handlerOut, Stderr: handlerOut},
	})
	if err != nil {
		return fail("%v", err)
	}
	say("settings from %s; database migrated (applied %v, schema %d)", from, applied, store.LatestVersion())
	say("blob store: %s", values["BLOB_LOCAL_DIR"])
	say("handler logs (JSON): %s", logPath)
	go func() {
		select {
		case <-h.Ready():
			say("local Functions host on %s  (try: curl %s/api/health)", h.URL(), h.URL())
			for _, name := range h.Functions() {
				say("  function %s", name)
			}
			say("Ctrl-C stops everything.")
		case <-ctx.Done():
		}
	}()
	if err := h.Run(ctx); err != nil {
		return fail("%v", err)
	}
	return 0
}
