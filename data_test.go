package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/staging"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

func gzipLines(t *testing.T, lines ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, err := w.Write([]byte(strings.Join(lines, "\n") + "\n"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

// TestStagedFilesThroughTheHost puts staged files in the local blob store
// and lets the local host deliver them to snowflake-load with the Event
// Grid event shape, as Azure does: a good file loads once however often it
// is delivered; a file with rows the warehouse refuses is parked with
// those rows, alerted on Teams, and loads nothing.
func TestStagedFilesThroughTheHost(t *testing.T) {
	t.Parallel()
	f := startFlow(t, flowOptions{})
	ctx := context.Background()
	blobs, err := blob.NewFS(blob.FSConfig{Root: f.settings["BLOB_LOCAL_DIR"]})
	require.NoError(t, err)
	good := `{"warehouse":"CIRRO-LA","sku":"PS-1","as_of":"2026-11-01","on_hand":10,"available":8,"allocated":2,"updated_at":"2026-11-01T23:59:59Z"}`
	name := "inventory/2026-12-04/run-good-0001.ndjson.gz"
	_, err = blobs.Put(ctx, staging.Container, name, gzipLines(t, good), nil)
	require.NoError(t, err)
	f.host.ScanBlobs(ctx)
	// The same file again (a re-run export writes it again): delivered, not loaded again.
	_, err = blobs.Put(ctx, staging.Container, name, gzipLines(t, good), nil)
	require.NoError(t, err)
	f.host.ScanBlobs(ctx)
	require.GreaterOrEqual(t, len(f.invocations("snowflake-load")), 2, "delivered twice")
	require.Equal(t, 1, storetest.Count(t, f.store, `SELECT 1 FROM warehouse_inventory`))
	require.Equal(t, 1, storetest.Count(t, f.store, `SELECT 1 FROM warehouse_load_log WHERE file_name = $1`, name))

	bad := "inventory/2026-12-04/run-bad-0001.ndjson.gz"
	_, err = blobs.Put(ctx, staging.Container, bad, gzipLines(t, good,
		`{"warehouse":"CIRRO-LA","sku":"PS-2","as_of":"yesterday","on_hand":1,"available":1,"allocated":0,"updated_at":"2026-11-01T23:59:59Z"}`), nil)
	require.NoError(t, err)
	f.host.ScanBlobs(ctx)
	parked, err := f.store.ListParked(ctx, store.ParkedFilter{Function: "snowflake-load"})
	require.NoError(t, err)
	require.Len(t, parked, 1)
	reason := parked[0].Reason
	require.Contains(t, reason, "line 2: column as_of is not a date", "parked with the rejected row")
	cards := waitCards(t, f, 1)
	raw, _ := json.Marshal(cards)
	require.Contains(t, string(raw), "snowflake-load")
	require.Equal(t, 1, storetest.Count(t, f.store, `SELECT 1 FROM warehouse_inventory`), "nothing of the refused file loaded")
	require.Zero(t, storetest.Count(t, f.store, `SELECT 1 FROM warehouse_load_log WHERE file_name = $1`, bad))
}

// TestSnowflakeLoadNamesWhatItMisses: with WAREHOUSE=snowflake, the load
// is configured only when every SNOWFLAKE_* setting is there and the key
// reads; config check names what is missing. Nothing connects.
func TestSnowflakeLoadNamesWhatItMisses(t *testing.T) {
	t.Parallel()
	status := func(values map[string]string) error {
		app, _ := built(t, values)
		for _, s := range app.Status() {
			if s.Function == "snowflake-load" {
				return s.Err
			}
		}
		t.Fatal("snowflake-load is not registered")
		return nil
	}
	values := map[string]string{"DATABASE_URL": "postgres://x@127.0.0.1:1/db", "BLOB_LOCAL_DIR": t.TempDir(), "ENVIRONMENT": "test",
		"DEVHOST_URL": "http://127.0.0.1:1", "WAREHOUSE": "snowflake", "SNOWFLAKE_ACCOUNT": "popsockets-prod"}
	err := status(values)
	require.Error(t, err)
	require.Contains(t, err.Error(), "SNOWFLAKE_USER is not set")

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	for k, v := range map[string]string{"SNOWFLAKE_USER": "INTEGRATION_LOAD", "SNOWFLAKE_ROLE": "INTEGRATION", "SNOWFLAKE_WAREHOUSE": "LOAD_XS",
		"SNOWFLAKE_DATABASE": "RAW", "SNOWFLAKE_SCHEMA": "INTEGRATION", "SNOWFLAKE_STAGE": "INT_STAGING",
		"SNOWFLAKE_PRIVATE_KEY": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))} {
		values[k] = v
	}
	require.NoError(t, status(values))
	values["SNOWFLAKE_PRIVATE_KEY"] = "not a key"
	require.Error(t, status(values))
	values["WAREHOUSE"] = "local"
	require.NoError(t, status(values), "locally the Snowflake settings may be anything")
}
