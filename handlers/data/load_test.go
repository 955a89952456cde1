package data

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/staging"
	"github.com/popsockets/integration/shared/store/storetest"
)

func gz(t *testing.T, lines ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	for _, l := range lines {
		_, err := w.Write([]byte(l + "\n"))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	return b.Bytes()
}

func blobOf(name string, data []byte) *azfunc.Blob {
	return &azfunc.Blob{Container: staging.Container, Name: name, Data: data}
}

const (
	rowA1 = `{"warehouse":"CIRRO-LA","sku":"PS-1","as_of":"2026-11-01","on_hand":10,"available":8,"allocated":2,"updated_at":"2026-11-01T23:59:59Z"}`
	rowA2 = `{"warehouse":"CIRRO-LA","sku":"PS-1","as_of":"2026-11-01","on_hand":12,"available":9,"allocated":3,"updated_at":"2026-11-02T10:00:00Z"}`
	rowB  = `{"warehouse":"CIRRO-LA","sku":"PS-2","as_of":"2026-11-01","on_hand":5,"available":5,"allocated":0,"updated_at":"2026-11-01T23:59:59Z"}`
)

func TestABlobDeliveredTwiceLoadsOnce(t *testing.T) {
	e := newEnv(t)
	l := &Load{Warehouse: e.wh}
	name := "inventory/2026-12-04/run-1-0001.ndjson.gz"
	data := gz(t, rowA1, rowB)
	require.NoError(t, l.Handle(context.Background(), blobOf(name, data)))
	require.NoError(t, l.Handle(context.Background(), blobOf(name, data)), "the second delivery is a success that does nothing")
	require.Equal(t, 2, storetest.Count(t, e.s, `SELECT 1 FROM warehouse_inventory`))
	require.Equal(t, 1, storetest.Count(t, e.s, `SELECT 1 FROM warehouse_load_log WHERE file_name = $1 AND rows = 2`, name))
	// Even after the rows were changed by hand, a re-delivery does not load again.
	storetest.Exec(t, e.s, `DELETE FROM warehouse_inventory`)
	res, err := e.wh.Load(context.Background(), StagedFile{Name: name, Part: mustPart(t, name), Data: data})
	require.NoError(t, err)
	require.True(t, res.Skipped)
	require.Zero(t, storetest.Count(t, e.s, `SELECT 1 FROM warehouse_inventory`))
}

func mustPart(t *testing.T, name string) staging.Part {
	t.Helper()
	p, err := staging.ParseName(name)
	require.NoError(t, err)
	return p
}

func TestConcurrentDeliveriesOfOneFileLoadItOnce(t *testing.T) {
	e := newEnv(t)
	name := "inventory/2026-12-04/run-2-0001.ndjson.gz"
	data := gz(t, rowA1, rowB)
	var wg sync.WaitGroup
	results := make([]Loaded, 8)
	errs := make([]error, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = e.wh.Load(context.Background(), StagedFile{Name: name, Part: mustPart(t, name), Data: data})
		}()
	}
	wg.Wait()
	loaded := 0
	for i := range results {
		require.NoError(t, errs[i])
		if !results[i].Skipped {
			loaded++
			require.EqualValues(t, 2, results[i].Rows)
		}
	}
	require.Equal(t, 1, loaded)
}

func TestOverlappingFilesKeepTheNewestRow(t *testing.T) {
	e := newEnv(t)
	l := &Load{Warehouse: e.wh}
	// One file holds two versions of a key (deduplicated inside it), the
	// next holds an older one (which must not win).
	require.NoError(t, l.Handle(context.Background(), blobOf("inventory/2026-12-04/run-3-0001.ndjson.gz", gz(t, rowA1, rowA2, rowB))))
	require.NoError(t, l.Handle(context.Background(), blobOf("inventory/2026-12-04/run-4-0001.ndjson.gz", gz(t, rowA1))))
	var onHand int64
	var at time.Time
	require.NoError(t, e.s.Pool.QueryRow(context.Background(),
		`SELECT on_hand, updated_at FROM warehouse_inventory WHERE warehouse = 'CIRRO-LA' AND sku = 'PS-1'`).Scan(&onHand, &at))
	require.EqualValues(t, 12, onHand)
	require.True(t, at.Equal(time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)))
	require.Equal(t, 2, storetest.Count(t, e.s, `SELECT 1 FROM warehouse_inventory`))
}

func TestARefusedFileIsParkedWithItsRejectedRowsAndNothingLoads(t *testing.T) {
	e := newEnv(t)
	l := &Load{Warehouse: e.wh}
	name := "inventory/2026-12-04/run-5-0001.ndjson.gz"
	err := l.Handle(context.Background(), blobOf(name, gz(t, rowA1,
		`{"warehouse":"CIRRO-LA","sku":"PS-9","as_of":"2026-11-01","on_hand":"many","available":1,"allocated":0,"updated_at":"2026-11-01T23:59:59Z"}`,
		`not json`,
		`{"warehouse":"CIRRO-LA","sku":"PS-8","as_of":"2026-11-01","on_hand":1,"available":1,"allocated":0}`)))
	require.Error(t, err)
	require.Equal(t, fault.ClassPermanent, fault.ClassOf(err), "parked and alerted by the host: %v", err)
	var rej *RejectedFile
	require.True(t, errors.As(err, &rej))
	require.Equal(t, []Rejected{{Line: 2, Message: "column on_hand is not a bigint"}, {Line: 3, Message: "not a JSON object"},
		{Line: 4, Message: "column updated_at is missing"}}, rej.Rows)
	require.Contains(t, err.Error(), "line 2: column on_hand is not a bigint")
	require.Zero(t, storetest.Count(t, e.s, `SELECT 1 FROM warehouse_inventory`), "nothing half-written")
	require.Zero(t, storetest.Count(t, e.s, `SELECT 1 FROM warehouse_load_log`), "a fixed file can load later")

	err = l.Handle(context.Background(), blobOf("inventory/2026-12-04/run-6-0001.ndjson.gz", []byte("plain text")))
	require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
	require.Contains(t, err.Error(), "not gzip")
}

func TestABlobThatIsNotAStagedFileIsMalformed(t *testing.T) {
	e := newEnv(t)
	l := &Load{Warehouse: e.wh}
	err := l.Handle(context.Background(), blobOf("inventory/today/run.csv", gz(t, rowA1)))
	require.Equal(t, fault.ClassMalformed, fault.ClassOf(err))
	err = l.Handle(context.Background(), &azfunc.Blob{Container: "archive", Name: "inventory/2026-12-04/run-1-0001.ndjson.gz"})
	require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
}

func TestTheExportedHistoryLoadsIntoTheWarehouse(t *testing.T) {
	e := newEnv(t)
	e.export.PartBytes = 4 << 10
	_, ans := e.post(t, `{"data": [[0, "2026-11-01", "2026-11-04", null]]}`, nil)
	_, r := ans.result(t, 0)
	require.NoError(t, e.deliver(t, e.sent.All()[0]))
	files := e.staged(t, "inventory/2026-12-04/"+r.RequestID)
	require.Greater(t, len(files), 1)
	for name := range files {
		res, err := e.load(t, name)
		require.NoError(t, err)
		require.False(t, res.Skipped)
	}
	require.Equal(t, 4*2*25, storetest.Count(t, e.s, `SELECT 1 FROM warehouse_inventory`))
}
