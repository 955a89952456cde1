package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/staging"
	"github.com/popsockets/integration/shared/store"
)

// LocalWarehouse is the warehouse of the local run: the warehouse_* tables
// in PostgreSQL, loaded with the discipline the Snowflake load follows (the
// load log claimed in the transaction that merges, rows deduplicated on
// the natural key, newest updated_at winning), so make run shows rows
// arriving and they can be queried.
type LocalWarehouse struct {
	Store *store.Store
}

var _ Warehouse = (*LocalWarehouse)(nil)

// maxRejected is how many rejected rows a refusal lists.
const maxRejected = 100

// Load loads f once.
func (w *LocalWarehouse) Load(ctx context.Context, f StagedFile) (Loaded, error) {
	d := f.Part.Dataset
	// First pass: every line must be a row of the dataset; the file is
	// refused whole otherwise, as COPY ... ON_ERROR = ABORT_STATEMENT does.
	var rejected []Rejected
	if err := scanRows(f.Data, d, func(line int64, _ []any, err error) error {
		if err != nil && len(rejected) < maxRejected {
			rejected = append(rejected, Rejected{Line: line, Message: err.Error()})
		}
		return nil
	}); err != nil {
		return Loaded{}, &RejectedFile{File: f.Name, Rows: []Rejected{{Message: err.Error()}}}
	}
	if len(rejected) > 0 {
		return Loaded{}, &RejectedFile{File: f.Name, Rows: rejected}
	}
	table := "warehouse_" + d.Name
	cols := make([]string, len(d.Columns))
	for i, c := range d.Columns {
		cols[i] = c.Name
	}
	var res Loaded
	err := w.Store.InTx(ctx, func(tx pgx.Tx) error {
		res = Loaded{}
		// The claim: a second delivery waits here for the first to commit,
		// then finds the row.
		tag, err := tx.Exec(ctx, `INSERT INTO warehouse_load_log (file_name, dataset) VALUES ($1, $2) ON CONFLICT (file_name) DO NOTHING`,
			f.Name, d.Name)
		if err != nil {
			return fmt.Errorf("claiming %s in the load log: %w", f.Name, err)
		}
		if tag.RowsAffected() == 0 {
			res.Skipped = true
			return nil
		}
		tmp := "load_" + d.Name
		if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TEMP TABLE %s (LIKE %s) ON COMMIT DROP`, tmp, table)); err != nil {
			return fmt.Errorf("creating the load table: %w", err)
		}
		src := &rowSource{data: f.Data, d: d}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{tmp}, cols, src); err != nil {
			return fmt.Errorf("copying %s: %w", f.Name, err)
		}
		set := make([]string, 0, len(cols))
		for _, c := range cols {
			set = append(set, c+" = excluded."+c)
		}
		key := strings.Join(d.Key, ", ")
		tag, err = tx.Exec(ctx, fmt.Sprintf(`
			INSERT INTO %[1]s (%[2]s)
			SELECT DISTINCT ON (%[3]s) %[2]s FROM %[4]s ORDER BY %[3]s, %[5]s DESC
			ON CONFLICT (%[3]s) DO UPDATE SET %[6]s WHERE excluded.%[5]s >= %[1]s.%[5]s`,
			table, strings.Join(cols, ", "), key, tmp, d.Newest, strings.Join(set, ", ")))
		if err != nil {
			return fmt.Errorf("merging %s: %w", f.Name, err)
		}
		res.Rows = tag.RowsAffected()
		_, err = tx.Exec(ctx, `UPDATE warehouse_load_log SET rows = $2 WHERE file_name = $1`, f.Name, res.Rows)
		return err
	})
	if err != nil {
		return Loaded{}, store.Classify(err)
	}
	return res, nil
}

// scanRows reads the gzip NDJSON rows of d, calling fn with each row's
// values in column order, or with what is wrong with the line.
func scanRows(data []byte, d staging.Dataset, fn func(line int64, vals []any, err error) error) error {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("the file is not gzip: %w", err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var line int64
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		vals, err := decodeRow(sc.Bytes(), d)
		if err := fn(line, vals, err); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading line %d: %w", line+1, err)
	}
	return nil
}

// decodeRow reads one line into the dataset's column values.
func decodeRow(b []byte, d staging.Dataset) ([]any, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, errors.New("not a JSON object")
	}
	vals := make([]any, len(d.Columns))
	for i, c := range d.Columns {
		raw, ok := m[c.Name]
		if !ok || string(raw) == "null" {
			return nil, fmt.Errorf("column %s is missing", c.Name)
		}
		var err error
		switch c.Type {
		case "bigint":
			var n int64
			err = json.Unmarshal(raw, &n)
			vals[i] = n
		case "text":
			var s string
			err = json.Unmarshal(raw, &s)
			vals[i] = s
		case "date":
			var s string
			if err = json.Unmarshal(raw, &s); err == nil {
				vals[i], err = time.Parse(time.DateOnly, s)
			}
		case "timestamp":
			var s string
			if err = json.Unmarshal(raw, &s); err == nil {
				vals[i], err = time.Parse(time.RFC3339Nano, s)
			}
		default:
			err = fmt.Errorf("type %s is unknown", c.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("column %s is not a %s", c.Name, c.Type)
		}
	}
	return vals, nil
}

// rowSource streams a checked file's rows into COPY.
type rowSource struct {
	data []byte
	d    staging.Dataset
	sc   *bufio.Scanner
	cur  []any
	err  error
}

func (s *rowSource) Next() bool {
	if s.err != nil {
		return false
	}
	if s.sc == nil {
		zr, err := gzip.NewReader(bytes.NewReader(s.data))
		if err != nil {
			s.err = err
			return false
		}
		s.sc = bufio.NewScanner(zr)
		s.sc.Buffer(make([]byte, 64<<10), 1<<20)
	}
	for s.sc.Scan() {
		if len(bytes.TrimSpace(s.sc.Bytes())) == 0 {
			continue
		}
		s.cur, s.err = decodeRow(s.sc.Bytes(), s.d)
		return s.err == nil
	}
	s.err = s.sc.Err()
	return false
}

func (s *rowSource) Values() ([]any, error) { return s.cur, nil }
func (s *rowSource) Err() error             { return s.err }
