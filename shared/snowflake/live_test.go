package snowflake

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/staging"
	"github.com/stretchr/testify/require"
)

// TestLiveSnowflake loads generated files through a real account. It runs
// only with SNOWFLAKE_LIVE_TEST=1 and the SNOWFLAKE_* settings; it creates
// the tables of DDL() if missing, uses its own internal stage (so it needs
// no Blob storage), and deletes what it wrote.
func TestLiveSnowflake(t *testing.T) {
	if os.Getenv("SNOWFLAKE_LIVE_TEST") != "1" {
		t.Skip("set SNOWFLAKE_LIVE_TEST=1 and the SNOWFLAKE_* settings to run against Snowflake")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	run := fmt.Sprintf("livetest-%d", time.Now().UnixNano())
	stage := fmt.Sprintf("LIVETEST_%d", time.Now().UnixNano())
	c := Config{
		Account: os.Getenv("SNOWFLAKE_ACCOUNT"), User: os.Getenv("SNOWFLAKE_USER"), Role: os.Getenv("SNOWFLAKE_ROLE"),
		Warehouse: os.Getenv("SNOWFLAKE_WAREHOUSE"), Database: os.Getenv("SNOWFLAKE_DATABASE"),
		Schema: os.Getenv("SNOWFLAKE_SCHEMA"), PrivateKey: os.Getenv("SNOWFLAKE_PRIVATE_KEY"),
		Stage: stage, LoginTimeout: time.Minute,
	}
	db, err := Open(c)
	require.NoError(t, err)
	defer db.Close()

	for _, stmt := range ddlStatements(DDL()) {
		_, err := db.ExecContext(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	_, err = db.ExecContext(ctx, "CREATE STAGE "+stage)
	require.NoError(t, err)
	warehouse := "LIVE-" + run
	day := time.Now().UTC()
	good, err := staging.PartName(staging.Inventory, day, run, 1)
	require.NoError(t, err)
	bad, err := staging.PartName(staging.Inventory, day, run, 2)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx := context.WithoutCancel(ctx)
		_, _ = db.ExecContext(ctx, `DELETE FROM "INVENTORY" WHERE "WAREHOUSE" = ?`, warehouse)
		_, _ = db.ExecContext(ctx, `DELETE FROM "LOAD_LOG" WHERE "FILE_NAME" IN (?, ?)`, good, bad)
		_, _ = db.ExecContext(ctx, "DROP STAGE IF EXISTS "+stage)
	})

	at := time.Now().UTC().Truncate(time.Millisecond)
	rows := []any{
		staging.InventoryRow{Warehouse: warehouse, SKU: "A", AsOf: day.Format(time.DateOnly), OnHand: 1, UpdatedAt: at},
		staging.InventoryRow{Warehouse: warehouse, SKU: "A", AsOf: day.Format(time.DateOnly), OnHand: 5, UpdatedAt: at.Add(time.Second)},
		staging.InventoryRow{Warehouse: warehouse, SKU: "B", AsOf: day.Format(time.DateOnly), OnHand: 7, UpdatedAt: at},
	}
	put(ctx, t, db, stage, good, rows)
	put(ctx, t, db, stage, bad, []any{rows[2], map[string]any{
		"warehouse": warehouse, "sku": "C", "as_of": day.Format(time.DateOnly), "on_hand": "lots", "updated_at": at,
	}})

	l, err := NewLoader(db, stage)
	require.NoError(t, err)

	res, err := l.Load(ctx, good, staging.Inventory)
	require.NoError(t, err)
	require.Equal(t, Result{Rows: 2}, res, "two keys, the newer A wins")
	var onHand int64
	require.NoError(t, db.QueryRowContext(ctx, `SELECT "ON_HAND" FROM "INVENTORY" WHERE "WAREHOUSE" = ? AND "SKU" = 'A'`, warehouse).Scan(&onHand))
	require.Equal(t, int64(5), onHand)

	res, err = l.Load(ctx, staging.Container+"/"+good, staging.Inventory)
	require.NoError(t, err)
	require.Equal(t, Result{Skipped: true}, res)

	_, err = l.Load(ctx, bad, staging.Inventory)
	var ce *CopyError
	require.True(t, errors.As(err, &ce), "want a CopyError, got %v", err)
	require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
	t.Logf("rejected: %+v", ce.Rows)
	require.NotEmpty(t, ce.Rows)
	require.Equal(t, int64(2), ce.Rows[0].Line, "validation should name the second line")
	var logged int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM "LOAD_LOG" WHERE "FILE_NAME" = ?`, bad).Scan(&logged))
	require.Zero(t, logged, "a rejected file is not in the load log")
}

// put writes rows as a staged file and uploads it to the internal stage
// under its staged name.
func put(ctx context.Context, t *testing.T, db *sql.DB, stage, name string, rows []any) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	for _, r := range rows {
		require.NoError(t, enc.Encode(r))
	}
	require.NoError(t, zw.Close())
	local := filepath.Join(t.TempDir(), filepath.Base(name))
	require.NoError(t, os.WriteFile(local, buf.Bytes(), 0o600))
	_, err := db.ExecContext(ctx, fmt.Sprintf("PUT 'file://%s' @%s/%s AUTO_COMPRESS = FALSE OVERWRITE = TRUE",
		filepath.ToSlash(local), stage, filepath.Dir(name)))
	require.NoError(t, err)
}

// ddlStatements splits DDL's script into statements: comment lines go, and
// a statement ends with ";" at the end of a line.
func ddlStatements(script string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(script, "\n") {
		if trimmed := strings.TrimSpace(line); trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line + "\n")
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	return out
}

func TestDDLSplitsIntoStatements(t *testing.T) {
	stmts := ddlStatements(DDL())
	require.Len(t, stmts, 5) // LOAD_LOG, and a target and a stage table per dataset
	require.True(t, strings.HasPrefix(stmts[0], `CREATE TABLE IF NOT EXISTS "LOAD_LOG"`))
	for _, s := range stmts {
		require.NotContains(t, s, "STORAGE INTEGRATION", "the stage example stays commented out")
	}
}
