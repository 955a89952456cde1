package data

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/azfunc/azfunctest"
	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/cirro"
	"github.com/popsockets/integration/shared/cirro/cirrotest"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/staging"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// env is the flow on a real schema, a filesystem blob store and the Cirro fake.
type env struct {
	s      *store.Store
	blobs  blob.Store
	cirro  *cirrotest.Server
	clock  *azfunctest.Clock
	sent   *azfunctest.Outbox
	req    *HistoryRequest
	srv    *httptest.Server
	export *InventoryExport
	wh     *LocalWarehouse
}

func newEnv(t *testing.T) *env { return newEnvB(t) }

func newEnvB(t testing.TB) *env {
	t.Helper()
	e := &env{s: storetest.Store(t), cirro: cirrotest.NewServer(cirrotest.Config{}), sent: &azfunctest.Outbox{},
		clock: azfunctest.NewClock(time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))}
	t.Cleanup(e.cirro.Close)
	var err error
	e.blobs, err = blob.NewFS(blob.FSConfig{Root: t.TempDir()})
	require.NoError(t, err)
	c, err := cirro.New(cirro.Config{BaseURL: e.cirro.URL(), AppKey: e.cirro.AppKey(), AppToken: e.cirro.AppToken(), Timeout: 5 * time.Second,
		RatePerMinute: 60000})
	require.NoError(t, err)
	e.req = &HistoryRequest{Store: e.s, Outbox: e.sent, Now: e.clock.Now}
	e.srv = httptest.NewServer(e.req)
	t.Cleanup(e.srv.Close)
	e.export = &InventoryExport{Store: e.s, Cirro: c, Blobs: e.blobs, PageSize: 20, Now: e.clock.Now}
	e.wh = &LocalWarehouse{Store: e.s}
	return e
}

// post sends an external-function batch as Snowflake does.
func (e *env) post(t *testing.T, body string, header map[string]string) (int, answerRows) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return e.do(t, req)
}

func (e *env) poll(t *testing.T, batchID string) (int, answerRows) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL, nil)
	require.NoError(t, err)
	req.Header.Set(HeaderBatchID, batchID)
	req.Header.Set(HeaderWait, "true")
	return e.do(t, req)
}

type answerRows struct {
	Data [][2]json.RawMessage `json:"data"`
}

func (a answerRows) result(t *testing.T, i int) (int64, Result) {
	t.Helper()
	var n int64
	var r Result
	require.NoError(t, json.Unmarshal(a.Data[i][0], &n))
	require.NoError(t, json.Unmarshal(a.Data[i][1], &r))
	return n, r
}

func (e *env) do(t *testing.T, req *http.Request) (int, answerRows) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var a answerRows
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.Unmarshal(b, &a), "body %s", b)
	}
	return resp.StatusCode, a
}

// deliver hands the export message of the i-th notification to inventory-export.
func (e *env) deliver(t *testing.T, m bus.Message) error {
	t.Helper()
	require.NoError(t, m.Encode())
	return e.export.Handle(context.Background(), &azfunc.Message{Body: m.Encoded, MessageID: bus.MessageID(m.Key), DeliveryCount: 1})
}

// staged lists the staged files under prefix, with their rows.
func (e *env) staged(t *testing.T, prefix string) map[string][]map[string]any {
	t.Helper()
	infos, err := e.blobs.List(context.Background(), staging.Container, prefix)
	require.NoError(t, err)
	out := map[string][]map[string]any{}
	for _, in := range infos {
		data, _, err := e.blobs.Get(context.Background(), staging.Container, in.Name)
		require.NoError(t, err)
		zr, err := gzip.NewReader(bytes.NewReader(data))
		require.NoError(t, err)
		dec := json.NewDecoder(zr)
		rows := []map[string]any{}
		for {
			var r map[string]any
			if err := dec.Decode(&r); err == io.EOF {
				break
			} else {
				require.NoError(t, err)
			}
			rows = append(rows, r)
		}
		out[in.Name] = rows
	}
	return out
}

func (e *env) load(t *testing.T, name string) (Loaded, error) {
	t.Helper()
	data, _, err := e.blobs.Get(context.Background(), staging.Container, name)
	require.NoError(t, err)
	part, err := staging.ParseName(name)
	require.NoError(t, err)
	return e.wh.Load(context.Background(), StagedFile{Name: name, Part: part, Data: data})
}

const mixedBatch = `{"data": [
	[0, "2026-11-01", "2026-11-02", "CIRRO-LA"],
	[1, "2026-13-01", "2026-11-02", null],
	[2, "2026-11-05", "2026-11-01", "CIRRO-LA"],
	[3, "2026-11-01", "2026-11-02", "CIRRO-LA"],
	[4, "2026-11-01"],
	[5, "2026-11-01", "2026-11-01", "bad warehouse!"],
	[6, "2026-11-03", "2026-11-03", null]
]}`

func TestExternalFunctionBatchIsAnsweredRowByRow(t *testing.T) {
	e := newEnv(t)
	status, ans := e.post(t, mixedBatch, nil)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, ans.Data, 7, "one answer per row")
	results := make([]Result, 7)
	for i := range 7 {
		n, r := ans.result(t, i)
		require.EqualValues(t, i, n, "rows answered in their order")
		results[i] = r
	}
	require.NotEmpty(t, results[0].RequestID)
	require.Equal(t, StateQueued, results[0].State)
	require.Equal(t, "staging/inventory/2026-12-04/"+results[0].RequestID+"-", results[0].Prefix)
	require.Equal(t, results[0].RequestID, results[3].RequestID, "a repeated row is the same request")
	require.Contains(t, results[1].Error, `from "2026-13-01" is not YYYY-MM-DD`)
	require.Contains(t, results[2].Error, "to 2026-11-01 is before from 2026-11-05")
	require.Contains(t, results[4].Error, "1 arguments")
	require.Contains(t, results[5].Error, "warehouse:")
	require.NotEmpty(t, results[6].RequestID)
	require.NotEqual(t, results[0].RequestID, results[6].RequestID)
	for _, i := range []int{1, 2, 4, 5} {
		require.Empty(t, results[i].RequestID, "row %d has no request", i)
	}
	require.Len(t, e.sent.All(), 2, "one export queued per distinct valid row")
	require.Equal(t, 2, storetest.Count(t, e.s, `SELECT 1 FROM outbox WHERE topic = $1`, TopicInventoryHistory))

	t.Run("TheSameBatchAgainQueuesNothingNew", func(t *testing.T) {
		status, again := e.post(t, mixedBatch, nil)
		require.Equal(t, http.StatusOK, status)
		_, r0 := again.result(t, 0)
		require.Equal(t, results[0].RequestID, r0.RequestID)
		require.Len(t, e.sent.All(), 2)
		require.Equal(t, 2, storetest.Count(t, e.s, `SELECT 1 FROM export_requests`))
	})

	t.Run("TheRequestedHistoryLandsInStaging", func(t *testing.T) {
		for _, m := range e.sent.All() {
			require.NoError(t, e.deliver(t, m))
		}
		files := e.staged(t, "inventory/2026-12-04/"+results[0].RequestID)
		require.Len(t, files, 1)
		name := "inventory/2026-12-04/" + results[0].RequestID + "-0001.ndjson.gz"
		rows := files[name]
		require.Len(t, rows, 2*cirrotest.DefaultInventorySKUs, "two days of one warehouse")
		want := cirrotest.InventorySnapshot("CIRRO-LA", 0, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
		require.Equal(t, map[string]any{"warehouse": "CIRRO-LA", "sku": want.SKU, "as_of": "2026-11-01", "on_hand": float64(want.OnHand),
			"available": float64(want.Available), "allocated": float64(want.Allocated), "updated_at": "2026-11-01T23:59:59Z"}, rows[0])
		// Every warehouse for the row without one.
		all := e.staged(t, "inventory/2026-12-04/"+results[6].RequestID)
		require.Len(t, all["inventory/2026-12-04/"+results[6].RequestID+"-0001.ndjson.gz"], 2*cirrotest.DefaultInventorySKUs)
		status, done := e.post(t, mixedBatch, nil)
		require.Equal(t, http.StatusOK, status)
		_, r := done.result(t, 0)
		require.Equal(t, Result{RequestID: results[0].RequestID, State: StateDone, Prefix: results[0].Prefix, Parts: 1,
			Rows: int64(2 * cirrotest.DefaultInventorySKUs)}, r)
	})

	t.Run("ARedeliveredExportIsNotRunAgain", func(t *testing.T) {
		calls := e.cirro.InventoryCalls()
		require.NoError(t, e.deliver(t, e.sent.All()[0]))
		require.Equal(t, calls, e.cirro.InventoryCalls())
	})
}

func TestAGzipBatchIsReadAsSnowflakeSendsIt(t *testing.T) {
	e := newEnv(t)
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, err := zw.Write([]byte(`{"data": [[0, "2026-11-01", "2026-11-02", "CIRRO-LA"], [1, "bad", "2026-11-02", null]]}`))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	status, ans := e.post(t, b.String(), map[string]string{"Content-Encoding": "gzip"})
	require.Equal(t, http.StatusOK, status)
	require.Len(t, ans.Data, 2)
	_, r0 := ans.result(t, 0)
	require.NotEmpty(t, r0.RequestID)
	_, r1 := ans.result(t, 1)
	require.Contains(t, r1.Error, "not YYYY-MM-DD")

	status, _ = e.post(t, `{"data": []}`, map[string]string{"Content-Encoding": "gzip"})
	require.Equal(t, http.StatusBadRequest, status, "says gzip, is not")
}

func TestMalformedBatchesAreRefusedWhole(t *testing.T) {
	e := newEnv(t)
	for name, body := range map[string]string{
		"NotJSON":             `{"data": [[0, "2026-11-01"`,
		"NoData":              `{"rows": []}`,
		"RowWithoutItsNumber": `{"data": [["2026-11-01", "2026-11-02"]]}`,
	} {
		t.Run(name, func(t *testing.T) {
			status, _ := e.post(t, body, nil)
			require.Equal(t, http.StatusBadRequest, status)
			require.Zero(t, storetest.Count(t, e.s, `SELECT 1 FROM export_requests`), "nothing half-written")
		})
	}
	t.Run("TooManyRows", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(`{"data": [`)
		for i := range MaxRows + 1 {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `[%d, "2026-11-01", "2026-11-01", null]`, i)
		}
		b.WriteString("]}")
		status, _ := e.post(t, b.String(), nil)
		require.Equal(t, http.StatusRequestEntityTooLarge, status)
	})
}

func TestAsynchronousBatchIsPolledUntilItsExportsFinish(t *testing.T) {
	e := newEnv(t)
	h := map[string]string{HeaderBatchID: "01b2c3d4-batch-1", HeaderWait: "true"}
	body := `{"data": [[0, "2026-11-01", "2026-11-01", "CIRRO-NJ"], [1, "nope", "2026-11-01", null]]}`
	status, _ := e.post(t, body, h)
	require.Equal(t, http.StatusAccepted, status)
	status, _ = e.poll(t, "01b2c3d4-batch-1")
	require.Equal(t, http.StatusAccepted, status, "still queued")
	status, _ = e.poll(t, "unknown-batch")
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Len(t, e.sent.All(), 1)
	require.NoError(t, e.deliver(t, e.sent.All()[0]))
	status, ans := e.poll(t, "01b2c3d4-batch-1")
	require.Equal(t, http.StatusOK, status)
	require.Len(t, ans.Data, 2)
	_, r0 := ans.result(t, 0)
	require.Equal(t, StateDone, r0.State)
	require.EqualValues(t, cirrotest.DefaultInventorySKUs, r0.Rows)
	_, r1 := ans.result(t, 1)
	require.Contains(t, r1.Error, "not YYYY-MM-DD")
}

func TestExportThatCirroRefusesFailsAndCanBeAskedAgain(t *testing.T) {
	e := newEnv(t)
	body := `{"data": [[0, "2026-11-01", "2026-11-01", "CIRRO-XX"]]}`
	_, ans := e.post(t, body, nil)
	_, r := ans.result(t, 0)
	err := e.deliver(t, e.sent.All()[0])
	require.Error(t, err)
	require.Equal(t, fault.ClassPermanent, fault.ClassOf(err), "parked: %v", err)
	_, ans = e.post(t, body, nil)
	_, failed := ans.result(t, 0)
	require.Equal(t, r.RequestID, failed.RequestID)
	require.Equal(t, StateQueued, failed.State, "asked again after it failed: queued once more")
	require.Len(t, e.sent.All(), 2)
	require.NotEqual(t, e.sent.All()[0].Key, e.sent.All()[1].Key, "a new message, not one Service Bus drops as a duplicate")
	require.Error(t, e.deliver(t, e.sent.All()[1]))
	got := storetest.Count(t, e.s, `SELECT 1 FROM export_requests WHERE state = 'failed' AND error LIKE '%CIRRO-XX does not exist%'`)
	require.Equal(t, 1, got)
	require.Empty(t, e.staged(t, "inventory/"), "nothing staged")
}

func TestExportRetriesAfterATransientCirroFailure(t *testing.T) {
	e := newEnv(t)
	_, _ = e.post(t, `{"data": [[0, "2026-11-01", "2026-11-03", null]]}`, nil)
	m := e.sent.All()[0]
	e.cirro.FailNext(http.StatusServiceUnavailable, 1)
	err := e.deliver(t, m)
	require.Error(t, err)
	require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	require.NoError(t, e.deliver(t, m), "the next delivery takes the released claim")
	require.Equal(t, 1, storetest.Count(t, e.s, `SELECT 1 FROM export_requests WHERE state = 'done' AND rows = $1`,
		3*2*cirrotest.DefaultInventorySKUs))
}

func TestPartsAreBoundedAndNamedTheSameOnARetry(t *testing.T) {
	e := newEnv(t)
	e.export.PartBytes = 2 << 10
	_, ans := e.post(t, `{"data": [[0, "2026-10-01", "2026-10-10", null]]}`, nil)
	_, r := ans.result(t, 0)
	require.NoError(t, e.deliver(t, e.sent.All()[0]))
	prefix := strings.TrimPrefix(r.Prefix, "staging/")
	first := e.staged(t, prefix)
	require.Greater(t, len(first), 3, "several parts")
	total := 0
	for name, rows := range first {
		total += len(rows)
		info, err := e.blobs.List(context.Background(), staging.Container, name)
		require.NoError(t, err)
		require.Less(t, info[0].Size, int64(2<<10), "compressed, a part is smaller than its bound on NDJSON")
	}
	require.Equal(t, 10*2*cirrotest.DefaultInventorySKUs, total)
	// The same run again (a retry after a crash) overwrites the same names.
	_, _, err := e.export.export(context.Background(), cirro.InventoryQuery{StartDate: "2026-10-01", EndDate: "2026-10-10"},
		time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC), r.RequestID)
	require.NoError(t, err)
	again := e.staged(t, prefix)
	require.Equal(t, len(first), len(again))
	for name := range first {
		require.Contains(t, again, name)
	}
}

func TestDailyRunMovesItsWatermarkOnlyAfterEveryPartIsCommitted(t *testing.T) {
	e := newEnv(t)
	e.export.FirstDay = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	broken := &failingBlobs{Store: e.blobs, failAfter: 1}
	e.export.Blobs = broken
	e.export.PartBytes = 1 << 10
	require.Error(t, e.export.Daily(context.Background(), nil))
	_, ok, err := store.GetWatermark(context.Background(), e.s.Pool, WatermarkInventory)
	require.NoError(t, err)
	require.False(t, ok, "a part failed: the watermark stays")

	e.export.Blobs = e.blobs
	require.NoError(t, e.export.Daily(context.Background(), nil))
	mark, _, err := store.GetWatermark(context.Background(), e.s.Pool, WatermarkInventory)
	require.NoError(t, err)
	require.Equal(t, "2026-12-03", mark, "up to yesterday")
	files := e.staged(t, "inventory/2026-12-04/daily-20261201-20261203")
	n := 0
	for _, rows := range files {
		n += len(rows)
	}
	require.Equal(t, 3*2*cirrotest.DefaultInventorySKUs, n)

	calls := e.cirro.InventoryCalls()
	require.NoError(t, e.export.Daily(context.Background(), nil))
	require.Equal(t, calls, e.cirro.InventoryCalls(), "nothing new until tomorrow")
	e.clock.Add(24 * time.Hour)
	require.NoError(t, e.export.Daily(context.Background(), nil))
	mark, _, _ = store.GetWatermark(context.Background(), e.s.Pool, WatermarkInventory)
	require.Equal(t, "2026-12-04", mark)
	require.NotEmpty(t, e.staged(t, "inventory/2026-12-05/daily-20261204-20261204"))
}

// failingBlobs fails every Put after the first failAfter.
type failingBlobs struct {
	blob.Store
	mu        sync.Mutex
	failAfter int
	puts      int
}

func (f *failingBlobs) Put(ctx context.Context, c, n string, d []byte, o *blob.PutOptions) (blob.Info, error) {
	f.mu.Lock()
	f.puts++
	fail := f.puts > f.failAfter
	f.mu.Unlock()
	if fail {
		return blob.Info{}, fault.Transient(fmt.Errorf("storage is down"), 0)
	}
	return f.Store.Put(ctx, c, n, d, o)
}
