package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"slices"
	"sync/atomic"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var embedded embed.FS

func migrationsFS() fs.FS {
	sub, err := fs.Sub(embedded, "migrations")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// lockID is the advisory lock that serialises migrations of one schema.
func lockID(schema string) int64 {
	if schema == "" {
		schema = "public"
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte("integration-functions/migrate/" + schema))
	return int64(h.Sum64() & 0x7fffffffffffffff)
}

func provider(db *sql.DB, schema string, locked bool, log *slog.Logger) (*goose.Provider, error) {
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if log != nil {
		opts = append(opts, goose.WithSlog(log))
	}
	if locked {
		// Wait up to ten minutes for another runner, checking every second.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID(schema)), lock.WithLockTimeout(1, 600))
		if err != nil {
			return nil, fmt.Errorf("creating migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrationsFS(), opts...)
	if err != nil {
		return nil, fmt.Errorf("loading migrations: %w", err)
	}
	return p, nil
}

// Migrate applies every pending migration to cfg's database (and schema),
// holding an advisory lock for the whole run. It returns the versions it applied.
func Migrate(ctx context.Context, cfg Config, log *slog.Logger) ([]int64, error) {
	pc, err := poolConfig(cfg)
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*pc.ConnConfig)
	defer db.Close()
	p, err := provider(db, cfg.Schema, true, log)
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrating database: %w", err)
	}
	versions := make([]int64, 0, len(results))
	for _, r := range results {
		versions = append(versions, r.Source.Version)
	}
	return versions, nil
}

// Versions lists the embedded migrations' versions in order.
func Versions() []int64 {
	matches, _ := fs.Glob(migrationsFS(), "*.sql")
	var out []int64
	for _, m := range matches {
		var v int64
		if _, err := fmt.Sscanf(m, "%d_", &v); err == nil {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// LatestVersion is the schema version this binary needs.
func LatestVersion() int64 {
	v := Versions()
	if len(v) == 0 {
		return 0
	}
	return v[len(v)-1]
}

// SchemaVersion returns the database's version and the binary's.
func (s *Store) SchemaVersion(ctx context.Context) (current, target int64, err error) {
	db := stdlib.OpenDBFromPool(s.Pool)
	defer db.Close()
	p, err := provider(db, "", false, nil)
	if err != nil {
		return 0, 0, err
	}
	current, target, err = p.GetVersions(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("reading schema version: %w", err)
	}
	return current, target, nil
}

// ErrSchemaBehind means the database needs `handler migrate` before this binary can work.
var ErrSchemaBehind = errors.New("database schema is behind this binary")

// schemaGate remembers a successful check: schemas only move forward. It
// holds no lock while it asks the database, so during an outage each
// invocation's check fails within that invocation's own deadline instead
// of queueing behind the others' connection attempts.
type schemaGate struct {
	store *Store
	ok    atomic.Bool
}

// Ready implements azfunc.Gate: nil once the database answers and its schema
// is at least the binary's.
func (s *Store) Ready(ctx context.Context) error { return s.gate.ready(ctx) }

func (g *schemaGate) ready(ctx context.Context) error {
	if g.ok.Load() {
		return nil
	}
	current, target, err := g.store.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if current < target {
		return fmt.Errorf("%w: it is at version %d and this binary needs %d; run `handler migrate`", ErrSchemaBehind, current, target)
	}
	g.ok.Store(true)
	return nil
}
