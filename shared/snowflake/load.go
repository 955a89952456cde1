package snowflake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/staging"
)

// maxRejected bounds how many rejected rows a CopyError carries.
const maxRejected = 100

// Loader loads staged files into Snowflake, each at most once.
type Loader struct {
	db    *sql.DB
	stage string
}

// Result is what a Load did.
type Result struct {
	// Rows is how many target rows the file inserted or updated.
	Rows int64
	// Skipped is true when the load log already had the file: nothing was done.
	Skipped bool
}

// NewLoader returns a Loader over db reading from the named external stage
// (e.g. INT_STAGING, or DB.SCHEMA.INT_STAGING).
func NewLoader(db *sql.DB, stage string) (*Loader, error) {
	if db == nil {
		return nil, errors.New("snowflake loader: no database")
	}
	if stage == "" {
		return nil, errors.New("snowflake loader: SNOWFLAKE_STAGE is not set")
	}
	if err := checkStage(stage); err != nil {
		return nil, fmt.Errorf("snowflake loader: %w", err)
	}
	return &Loader{db: db, stage: stage}, nil
}

// Load loads the staged file name (inside the staging container, with or
// without "staging/" in front) of dataset d into d's table, in one
// transaction: claim the file in the load log, COPY it into the stage
// table, MERGE the newest row of each key into the target, record the row
// counts, and clear the file's rows from the stage table.
//
// A file the load log already holds is not loaded again: Load returns
// Skipped. A file Snowflake refuses because of its content returns a
// *CopyError (permanent). A name that is not a staged file's, or belongs to
// another dataset, is malformed. Every other failure is transient and
// leaves nothing behind.
func (l *Loader) Load(ctx context.Context, name string, d staging.Dataset) (Result, error) {
	part, err := staging.ParseName(name)
	if err != nil {
		return Result{}, fault.Malformed(err)
	}
	if part.Dataset.Name != d.Name {
		return Result{}, fault.Malformedf("staged file %q belongs to dataset %s, not %s", name, part.Dataset.Name, d.Name)
	}
	file := strings.TrimPrefix(name, staging.Container+"/")
	p, err := newPlan(d)
	if err != nil {
		return Result{}, fault.Permanent(fmt.Errorf("planning load of %s: %w", file, err))
	}
	q := p.statements(l.stage, file)

	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return Result{}, transient("beginning load of %s: %w", file, err)
	}
	defer func() { _ = tx.Rollback() }() // after Commit, a no-op

	claimed, err := exec(ctx, tx, q.claim, file, d.Name)
	if err != nil {
		return Result{}, transient("claiming %s in the load log: %w", file, err)
	}
	if claimed == 0 {
		return Result{Skipped: true}, nil
	}

	copied, err := copyFile(ctx, tx, q.copy)
	if err != nil {
		if !isDataError(err) {
			return Result{}, transient("copying %s into %s: %w", file, p.stage, err)
		}
		_ = tx.Rollback()
		return Result{}, l.rejected(ctx, q.validate, file, err)
	}

	merged, err := exec(ctx, tx, q.merge, file)
	if err != nil {
		return Result{}, transient("merging %s into %s: %w", file, p.table, err)
	}
	if _, err := exec(ctx, tx, q.logRows, copied, merged, file); err != nil {
		return Result{}, transient("recording %s in the load log: %w", file, err)
	}
	cleared, err := exec(ctx, tx, q.cleanup, file)
	if err != nil {
		return Result{}, transient("clearing %s from %s: %w", file, p.stage, err)
	}
	if cleared != copied {
		// The MERGE and the cleanup find the file's rows by METADATA$FILENAME;
		// if that is not the name we gave (a stage URL with a path, say), the
		// merge saw none of them. Fail rather than log the file as loaded.
		return Result{}, transient("staged rows of %s: COPY loaded %d, %d carried its name in %s (is the stage URL the container root?): %w",
			file, copied, cleared, fileColumn, errStageMismatch)
	}
	if err := tx.Commit(); err != nil {
		return Result{}, transient("committing load of %s: %w", file, err)
	}
	return Result{Rows: merged}, nil
}

var errStageMismatch = errors.New("stage file name mismatch")

func transient(format string, args ...any) error {
	return fault.Transient(fmt.Errorf(format, args...), 0)
}

func exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (int64, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// copyFile runs the COPY and returns how many rows it loaded. COPY answers
// one row per file; a single "status" column means it found no file.
func copyFile(ctx context.Context, tx *sql.Tx, query string) (int64, error) {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return 0, err
	}
	got, err := readRows(rows, 0)
	if err != nil {
		return 0, err
	}
	var loaded int64
	files := 0
	for _, r := range got {
		if !r.has("rows_loaded") {
			continue
		}
		files++
		if status := r.str("status"); !strings.EqualFold(status, "LOADED") {
			return 0, fmt.Errorf("COPY status %s: %s", status, r.str("first_error"))
		}
		loaded += r.int("rows_loaded")
	}
	if files == 0 {
		return 0, errors.New("COPY found no such file in the stage")
	}
	return loaded, nil
}

// rejected collects the rows Snowflake rejects from the file, outside the
// failed transaction, and returns the CopyError. Collecting is best effort:
// if validation fails or finds nothing, the COPY's own message stands for
// the file.
func (l *Loader) rejected(ctx context.Context, query, file string, copyErr error) error {
	ce := &CopyError{File: file, Err: copyErr}
	if rows, err := l.db.QueryContext(ctx, query); err == nil {
		if got, err := readRows(rows, maxRejected); err == nil {
			for _, r := range got {
				line := r.int("line")
				if line == 0 {
					line = r.int("row_start_line")
				}
				ce.Rows = append(ce.Rows, Rejected{Line: line, Column: r.str("column_name"), Message: r.str("error")})
			}
		}
	}
	if len(ce.Rows) == 0 {
		ce.Rows = []Rejected{{Message: copyErr.Error()}}
	}
	return ce
}

// row is one result row by lower-case column name.
type row map[string]sql.NullString

func (r row) has(c string) bool   { _, ok := r[c]; return ok }
func (r row) str(c string) string { return r[c].String }
func (r row) int(c string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(r[c].String), 10, 64)
	return n
}

// readRows reads up to limit rows (all if limit is 0) and closes rows.
func readRows(rows *sql.Rows, limit int) ([]row, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []row
	for rows.Next() && (limit == 0 || len(out) < limit) {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		r := row{}
		for i, c := range cols {
			r[strings.ToLower(c)] = vals[i]
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
