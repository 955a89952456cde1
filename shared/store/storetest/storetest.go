// Package storetest gives each test its own migrated PostgreSQL schema.
//
// When DATABASE_URL is set, schemas are created in that database. Otherwise
// the first test that asks starts a throwaway server (package pglocal) that
// lives until the test binary ends; wire Main into TestMain so it is
// stopped. Every schema is dropped when its test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/pglocal"
)

var (
	once    sync.Once
	baseURL string
	srv     *pglocal.Server
	initErr error
)

// Main runs the tests and stops the throwaway server afterwards. Use it as
// TestMain: func TestMain(m *testing.M) { storetest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the throwaway server, if one was started; for a TestMain that
// also stops other servers.
func Stop() {
	if srv != nil {
		srv.Stop()
	}
}

// URL returns the base database URL, starting a throwaway server if needed.
func URL(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		if u := os.Getenv("DATABASE_URL"); u != "" {
			baseURL = u
			return
		}
		// make bench sets STORETEST_DURABLE: benchmarks measure a server
		// that syncs every commit, as production's does.
		srv, initErr = pglocal.Start(context.Background(), pglocal.Config{Durable: os.Getenv("STORETEST_DURABLE") != ""})
		if initErr == nil {
			baseURL = srv.URL
		}
	})
	if initErr != nil {
		tb.Fatalf("starting throwaway PostgreSQL: %v", initErr)
	}
	return baseURL
}

// Schema creates an empty schema for the test and drops it afterwards. It
// returns the store configuration that points at it.
func Schema(tb testing.TB) store.Config {
	tb.Helper()
	url := URL(tb)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatalf("connecting to test database: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("creating schema %s: %v", schema, err)
	}
	tb.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), url)
		if err != nil {
			tb.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return store.Config{URL: url, Schema: schema}
}

// Store returns a store on a fresh, migrated schema, closed after the test.
func Store(tb testing.TB) *store.Store {
	tb.Helper()
	cfg := Schema(tb)
	if _, err := store.Migrate(context.Background(), cfg, nil); err != nil {
		tb.Fatalf("migrating schema %s: %v", cfg.Schema, err)
	}
	s, err := store.Open(cfg)
	if err != nil {
		tb.Fatalf("opening store: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Exec runs SQL against the test's store, failing the test on error; tests
// use it to fabricate states (an expired lease, an old row).
func Exec(tb testing.TB, s *store.Store, sql string, args ...any) {
	tb.Helper()
	if _, err := s.Pool.Exec(context.Background(), sql, args...); err != nil {
		tb.Fatalf("exec %q: %v", sql, err)
	}
}

// Count returns the number of rows sql selects.
func Count(tb testing.TB, s *store.Store, sql string, args ...any) int {
	tb.Helper()
	var n int
	if err := s.Pool.QueryRow(context.Background(), fmt.Sprintf("SELECT count(*) FROM (%s) q", sql), args...).Scan(&n); err != nil {
		tb.Fatalf("count %q: %v", sql, err)
	}
	return n
}

// SchemaURL is cfg's connection string with its schema as the search_path,
// for code that takes a DATABASE_URL.
func SchemaURL(cfg store.Config) string {
	sep := "?"
	if strings.Contains(cfg.URL, "?") {
		sep = "&"
	}
	return cfg.URL + sep + "search_path=" + cfg.Schema
}
