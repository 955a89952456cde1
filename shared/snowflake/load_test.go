package snowflake

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/DATA-DOG/go-sqlmock"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/staging"
	"github.com/snowflakedb/gosnowflake"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

const inventoryFile = "inventory/2026-05-01/req-42-0001.ndjson.gz"

func newMock(t *testing.T) (*Loader, sqlmock.Sqlmock, statements) {
	t.Helper()
	db, mock, err := sqlmock.New(sqlmock.QueryMatcherOption(sqlmock.QueryMatcherEqual))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	l, err := NewLoader(db, "INT_STAGING")
	require.NoError(t, err)
	p, err := newPlan(staging.Inventory)
	require.NoError(t, err)
	return l, mock, p.statements("INT_STAGING", inventoryFile)
}

func copyResult(loaded int64) *sqlmock.Rows {
	return sqlmock.NewRows([]string{"file", "status", "rows_parsed", "rows_loaded", "error_limit", "errors_seen",
		"first_error", "first_error_line", "first_error_character", "first_error_column_name"}).
		AddRow(inventoryFile, "LOADED", loaded, loaded, 1, 0, nil, nil, nil, nil)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	require.Equal(t, string(want), got)
}

func TestInventorySQL(t *testing.T) {
	_, _, q := newMock(t)
	golden(t, "inventory.sql.golden", strings.Join([]string{
		"-- claim\n" + q.claim, "-- copy\n" + q.copy, "-- merge\n" + q.merge,
		"-- log rows\n" + q.logRows, "-- cleanup\n" + q.cleanup, "-- validate (after a failed copy)\n" + q.validate,
	}, ";\n\n")+";\n")

	require.Contains(t, q.merge, `QUALIFY ROW_NUMBER() OVER (PARTITION BY "WAREHOUSE", "SKU", "AS_OF" ORDER BY "UPDATED_AT" DESC) = 1`)
	require.Contains(t, q.merge, `ON t."WAREHOUSE" = s."WAREHOUSE" AND t."SKU" = s."SKU" AND t."AS_OF" = s."AS_OF"`)
	require.Contains(t, q.merge, `WHEN MATCHED AND s."UPDATED_AT" >= t."UPDATED_AT" THEN UPDATE SET`)
	require.Contains(t, q.merge, `WHERE "_FILE" = ?`)
	require.Contains(t, q.copy, `$1:"as_of"::DATE`)
	require.Contains(t, q.copy, `$1:"on_hand"::NUMBER(38,0)`)
	require.Contains(t, q.copy, `$1:"updated_at"::TIMESTAMP_TZ`)
	require.Contains(t, q.copy, `$1:"sku"::VARCHAR`)
	require.Contains(t, q.copy, `FROM @INT_STAGING) FILES = ('`+inventoryFile+`')`)
	require.Contains(t, q.copy, "ON_ERROR = ABORT_STATEMENT FORCE = TRUE")
	require.NotContains(t, q.validate, "SELECT")
}

func TestDDL(t *testing.T) {
	ddl := DDL()
	golden(t, "ddl.sql.golden", ddl)
	require.Contains(t, ddl, `CREATE TABLE IF NOT EXISTS "LOAD_LOG"`)
	require.Contains(t, ddl, `CREATE TABLE IF NOT EXISTS "INVENTORY"`)
	require.Contains(t, ddl, `CREATE TRANSIENT TABLE IF NOT EXISTS "INVENTORY_STAGE"`)
	require.Contains(t, ddl, `CREATE TABLE IF NOT EXISTS "ORDERS"`)
	require.Contains(t, ddl, `CREATE TRANSIENT TABLE IF NOT EXISTS "ORDERS_STAGE"`)
	require.Contains(t, ddl, `PRIMARY KEY ("WAREHOUSE", "SKU", "AS_OF")`)
	require.Contains(t, ddl, "URL = 'azure://<account>.blob.core.windows.net/staging'")
}

func TestFirstLoadClaimsCopiesMergesLogsAndCleans(t *testing.T) {
	l, mock, q := newMock(t)
	mock.ExpectBegin()
	mock.ExpectExec(q.claim).WithArgs(inventoryFile, "inventory").WillReturnResult(sqlmock.NewResult(0, 1))
	mock.ExpectQuery(q.copy).WillReturnRows(copyResult(3))
	mock.ExpectExec(q.merge).WithArgs(inventoryFile).WillReturnResult(sqlmock.NewResult(0, 2))
	mock.ExpectExec(q.logRows).WithArgs(int64(3), int64(2), inventoryFile).WillReturnResult(sqlmock.NewResult(0, 1))
	mock.ExpectExec(q.cleanup).WithArgs(inventoryFile).WillReturnResult(sqlmock.NewResult(0, 3))
	mock.ExpectCommit()

	res, err := l.Load(context.Background(), staging.Container+"/"+inventoryFile, staging.Inventory)
	require.NoError(t, err)
	require.Equal(t, Result{Rows: 2}, res)
	require.NoError(t, mock.ExpectationsWereMet())
}

func TestSecondDeliveryIsSkippedWithoutCopy(t *testing.T) {
	l, mock, q := newMock(t)
	mock.ExpectBegin()
	mock.ExpectExec(q.claim).WithArgs(inventoryFile, "inventory").WillReturnResult(sqlmock.NewResult(0, 0))
	mock.ExpectRollback()

	res, err := l.Load(context.Background(), inventoryFile, staging.Inventory)
	require.NoError(t, err)
	require.Equal(t, Result{Skipped: true}, res)
	require.NoError(t, mock.ExpectationsWereMet())
}

func TestRejectedFileIsAPermanentCopyError(t *testing.T) {
	l, mock, q := newMock(t)
	copyErr := &gosnowflake.SnowflakeError{Number: 100038, SQLState: "22018", QueryID: "01b2-q", Message: "Numeric value 'lots' is not recognized"}
	mock.ExpectBegin()
	mock.ExpectExec(q.claim).WithArgs(inventoryFile, "inventory").WillReturnResult(sqlmock.NewResult(0, 1))
	mock.ExpectQuery(q.copy).WillReturnError(copyErr)
	mock.ExpectRollback()
	mock.ExpectQuery(q.validate).WillReturnRows(sqlmock.NewRows([]string{"ERROR", "FILE", "LINE", "CHARACTER", "BYTE_OFFSET",
		"CATEGORY", "CODE", "SQL_STATE", "COLUMN_NAME", "ROW_NUMBER", "ROW_START_LINE", "REJECTED_RECORD"}).
		AddRow("Numeric value 'lots' is not recognized", inventoryFile, 2, 12, 150, "conversion", 100038, "22018",
			`"INVENTORY_STAGE"["ON_HAND":4]`, 2, 2, `{"on_hand":"lots"}`).
		AddRow("Date 'yesterday' is not recognized", inventoryFile, 5, 30, 400, "conversion", 100040, "22007",
			`"INVENTORY_STAGE"["AS_OF":3]`, 5, 5, `{"as_of":"yesterday"}`))

	res, err := l.Load(context.Background(), inventoryFile, staging.Inventory)
	require.Equal(t, Result{}, res)
	var ce *CopyError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, inventoryFile, ce.File)
	require.Equal(t, []Rejected{
		{Line: 2, Column: `"INVENTORY_STAGE"["ON_HAND":4]`, Message: "Numeric value 'lots' is not recognized"},
		{Line: 5, Column: `"INVENTORY_STAGE"["AS_OF":3]`, Message: "Date 'yesterday' is not recognized"},
	}, ce.Rows)
	require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
	require.ErrorIs(t, err, fault.ErrPermanent)
	var se *gosnowflake.SnowflakeError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 100038, se.Number)
	require.NotContains(t, err.Error(), "lots\"}", "the rejected record stays out of the message")
	require.NoError(t, mock.ExpectationsWereMet())
}

func TestRejectedFileKeepsCopyMessageWhenValidationFails(t *testing.T) {
	l, mock, q := newMock(t)
	copyErr := &gosnowflake.SnowflakeError{Number: 100069, SQLState: "22P02", Message: "Error parsing JSON: incomplete object value"}
	mock.ExpectBegin()
	mock.ExpectExec(q.claim).WithArgs(inventoryFile, "inventory").WillReturnResult(sqlmock.NewResult(0, 1))
	mock.ExpectQuery(q.copy).WillReturnError(copyErr)
	mock.ExpectRollback()
	mock.ExpectQuery(q.validate).WillReturnError(errors.New("validation unavailable"))

	_, err := l.Load(context.Background(), inventoryFile, staging.Inventory)
	var ce *CopyError
	require.ErrorAs(t, err, &ce)
	require.Len(t, ce.Rows, 1)
	require.Contains(t, ce.Rows[0].Message, "Error parsing JSON")
	require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
	require.NoError(t, mock.ExpectationsWereMet())
}

func TestCopyFailuresThatAreNotTheFileAreTransient(t *testing.T) {
	for name, copyErr := range map[string]error{
		"ConnectionReset": &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET},
		"DriverPost":      &gosnowflake.SnowflakeError{Number: gosnowflake.ErrFailedToPostQuery, Message: "failed to post query"},
		"MissingTable":    &gosnowflake.SnowflakeError{Number: 2003, SQLState: "42S02", Message: "SQL compilation error: Table 'INVENTORY_STAGE' does not exist"},
		"Deadline":        context.DeadlineExceeded,
	} {
		t.Run(name, func(t *testing.T) {
			l, mock, q := newMock(t)
			mock.ExpectBegin()
			mock.ExpectExec(q.claim).WithArgs(inventoryFile, "inventory").WillReturnResult(sqlmock.NewResult(0, 1))
			mock.ExpectQuery(q.copy).WillReturnError(copyErr)
			mock.ExpectRollback()

			_, err := l.Load(context.Background(), inventoryFile, staging.Inventory)
			require.Error(t, err)
			var ce *CopyError
			require.False(t, errors.As(err, &ce))
			require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
			require.ErrorIs(t, err, copyErr)
			require.NoError(t, mock.ExpectationsWereMet())
		})
	}
}

func TestCopyFindingNoFileIsTransient(t *testing.T) {
	l, mock, q := newMock(t)
	mock.ExpectBegin()
	mock.ExpectExec(q.claim).WithArgs(inventoryFile, "inventory").WillReturnResult(sqlmock.NewResult(0, 1))
	mock.ExpectQuery(q.copy).WillReturnRows(sqlmock.NewRows([]string{"status"}).AddRow("Copy executed with 0 files processed."))
	mock.ExpectRollback()

	_, err := l.Load(context.Background(), inventoryFile, staging.Inventory)
	require.ErrorContains(t, err, "no such file")
	require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	require.NoError(t, mock.ExpectationsWereMet())
}

func TestStagedRowsNotFoundByNameRollBack(t *testing.T) {
	l, mock, q := newMock(t)
	mock.ExpectBegin()
	mock.ExpectExec(q.claim).WithArgs(inventoryFile, "inventory").WillReturnResult(sqlmock.NewResult(0, 1))
	mock.ExpectQuery(q.copy).WillReturnRows(copyResult(3))
	mock.ExpectExec(q.merge).WithArgs(inventoryFile).WillReturnResult(sqlmock.NewResult(0, 0))
	mock.ExpectExec(q.logRows).WithArgs(int64(3), int64(0), inventoryFile).WillReturnResult(sqlmock.NewResult(0, 1))
	mock.ExpectExec(q.cleanup).WithArgs(inventoryFile).WillReturnResult(sqlmock.NewResult(0, 0))
	mock.ExpectRollback()

	_, err := l.Load(context.Background(), inventoryFile, staging.Inventory)
	require.ErrorIs(t, err, errStageMismatch)
	require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	require.NoError(t, mock.ExpectationsWereMet())
}

func TestFailuresAfterCopyRollBackAndAreTransient(t *testing.T) {
	boom := errors.New("connection lost")
	for _, step := range []string{"merge", "log", "cleanup", "commit"} {
		t.Run(step, func(t *testing.T) {
			l, mock, q := newMock(t)
			mock.ExpectBegin()
			mock.ExpectExec(q.claim).WithArgs(inventoryFile, "inventory").WillReturnResult(sqlmock.NewResult(0, 1))
			mock.ExpectQuery(q.copy).WillReturnRows(copyResult(3))
			e := mock.ExpectExec(q.merge).WithArgs(inventoryFile)
			if step == "merge" {
				e.WillReturnError(boom)
				mock.ExpectRollback()
			} else {
				e.WillReturnResult(sqlmock.NewResult(0, 3))
				e := mock.ExpectExec(q.logRows).WithArgs(int64(3), int64(3), inventoryFile)
				if step == "log" {
					e.WillReturnError(boom)
					mock.ExpectRollback()
				} else {
					e.WillReturnResult(sqlmock.NewResult(0, 1))
					e := mock.ExpectExec(q.cleanup).WithArgs(inventoryFile)
					if step == "cleanup" {
						e.WillReturnError(boom)
						mock.ExpectRollback()
					} else {
						e.WillReturnResult(sqlmock.NewResult(0, 3))
						mock.ExpectCommit().WillReturnError(boom)
					}
				}
			}
			_, err := l.Load(context.Background(), inventoryFile, staging.Inventory)
			require.ErrorIs(t, err, boom)
			require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
			require.NoError(t, mock.ExpectationsWereMet())
		})
	}
}

func TestClaimAndBeginFailuresAreTransient(t *testing.T) {
	boom := errors.New("login failed")
	t.Run("Begin", func(t *testing.T) {
		l, mock, _ := newMock(t)
		mock.ExpectBegin().WillReturnError(boom)
		_, err := l.Load(context.Background(), inventoryFile, staging.Inventory)
		require.ErrorIs(t, err, boom)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		require.NoError(t, mock.ExpectationsWereMet())
	})
	t.Run("Claim", func(t *testing.T) {
		l, mock, q := newMock(t)
		mock.ExpectBegin()
		mock.ExpectExec(q.claim).WithArgs(inventoryFile, "inventory").WillReturnError(boom)
		mock.ExpectRollback()
		_, err := l.Load(context.Background(), inventoryFile, staging.Inventory)
		require.ErrorIs(t, err, boom)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		require.NoError(t, mock.ExpectationsWereMet())
	})
}

func TestBadNamesAreMalformedAndTouchNothing(t *testing.T) {
	for _, name := range []string{
		"inventory/2026-05-01/req-42-0001.csv",
		"inventory/2026-05-01/x'); DROP TABLE INVENTORY; --0001.ndjson.gz",
		"../inventory/2026-05-01/req-42-0001.ndjson.gz",
		"orders/2026-05-01/req-42-0001.ndjson.gz", // another dataset's file
	} {
		t.Run(name, func(t *testing.T) {
			l, mock, _ := newMock(t)
			_, err := l.Load(context.Background(), name, staging.Inventory)
			require.Error(t, err)
			require.Equal(t, fault.ClassMalformed, fault.ClassOf(err))
			require.NoError(t, mock.ExpectationsWereMet())
		})
	}
}

func TestDatasetsThatCannotBeSplicedAreRefused(t *testing.T) {
	bad := func(edit func(*staging.Dataset)) staging.Dataset {
		d := staging.Inventory
		d.Columns = append([]staging.Column{}, d.Columns...)
		edit(&d)
		return d
	}
	for name, d := range map[string]staging.Dataset{
		"QuotedColumn":  bad(func(d *staging.Dataset) { d.Columns[0].Name = `x"; DROP` }),
		"UnknownType":   bad(func(d *staging.Dataset) { d.Columns[3].Type = "float" }),
		"KeyNotColumn":  bad(func(d *staging.Dataset) { d.Key = []string{"nope"} }),
		"NewestMissing": bad(func(d *staging.Dataset) { d.Newest = "nope" }),
		"ReservedFile":  bad(func(d *staging.Dataset) { d.Columns[4].Name = "_file" }),
		"DupColumn":     bad(func(d *staging.Dataset) { d.Columns[1].Name = "WAREHOUSE" }),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := newPlan(d)
			require.Error(t, err)
			_, err = DatasetDDL(d)
			require.Error(t, err)
		})
	}
}

func TestNewLoaderValidates(t *testing.T) {
	db, _, err := sqlmock.New()
	require.NoError(t, err)
	defer db.Close()
	_, err = NewLoader(nil, "INT_STAGING")
	require.Error(t, err)
	_, err = NewLoader(db, "")
	require.ErrorContains(t, err, "SNOWFLAKE_STAGE is not set")
	_, err = NewLoader(db, "INT_STAGING/inventory")
	require.Error(t, err)
	_, err = NewLoader(db, "DB.SCHEMA.INT_STAGING")
	require.NoError(t, err)
}

func TestIsDataError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&gosnowflake.SnowflakeError{Number: 100038, SQLState: "22018"}, true},
		{&gosnowflake.SnowflakeError{Number: 100069, SQLState: "22P02"}, true},
		{&gosnowflake.SnowflakeError{Number: 100072, SQLState: "22000"}, true},
		{&gosnowflake.SnowflakeError{Number: 2003, SQLState: "42S02"}, false},
		{&gosnowflake.SnowflakeError{Number: 91016, SQLState: "22000"}, false},
		{&gosnowflake.SnowflakeError{Number: 390144, SQLState: "08004"}, false},
		{&gosnowflake.SnowflakeError{Number: gosnowflake.ErrFailedToPostQuery}, false},
		{sql.ErrConnDone, false},
		{context.Canceled, false},
	} {
		require.Equal(t, tc.want, isDataError(tc.err), "%v", tc.err)
	}
}
