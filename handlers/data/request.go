package data

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/staging"
	"github.com/popsockets/integration/shared/store"
)

// Headers Snowflake sends with an external function's request (and with
// every GET poll of an asynchronous one).
const (
	// HeaderBatchID names one batch of rows; the polls repeat it.
	HeaderBatchID = "sf-external-function-query-batch-id"
	// HeaderWait is the function's custom header HEADERS = ('wait' = 'true'):
	// answer 202 and let Snowflake poll until every requested export has
	// finished. (Assumption, from memory of Snowflake's docs, not confirmed
	// in what could be searched here: Snowflake sends custom headers with
	// the prefix sf-custom-. Change it here if a live call shows otherwise.)
	HeaderWait = "sf-custom-wait"
)

// Limits of one external-function batch.
const (
	// MaxRows is the most rows one batch may hold (Snowflake sends a few
	// hundred at most).
	MaxRows = 1000
	// MaxDays is the longest period one row may ask for.
	MaxDays = 366
)

// Export states (export_requests.state).
const (
	StateQueued  = "queued"
	StateRunning = "running"
	StateDone    = "done"
	StateFailed  = "failed"
)

// Result is what one row of the batch is answered with: Snowflake gets it
// as a VARIANT.
type Result struct {
	RequestID string `json:"request_id,omitempty"`
	State     string `json:"state,omitempty"`
	// Prefix is where the export's parts land: staging/{dataset}/{day}/{run}-.
	Prefix string `json:"prefix,omitempty"`
	Parts  int    `json:"parts,omitempty"`
	Rows   int64  `json:"rows,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Notifier hands a committed outbox row to the background publisher.
type Notifier interface {
	Notify(id int64, m bus.Message)
}

var _ Notifier = (*kit.Outbox)(nil)

// HistoryRequest is the inventory-history-request function.
type HistoryRequest struct {
	Store  *store.Store
	Outbox Notifier
	Now    func() time.Time
}

// historyArgs are one row's arguments.
type historyArgs struct {
	From, To  time.Time
	Warehouse string
}

var warehousePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,40}$`)

// parseRow reads [row, from, to, warehouse]; warehouse may be null or ""
// for every warehouse.
func parseRow(raw json.RawMessage) (int64, historyArgs, error) {
	var cells []json.RawMessage
	if err := json.Unmarshal(raw, &cells); err != nil || len(cells) == 0 {
		return -1, historyArgs{}, errors.New("a row is [row number, from, to, warehouse]")
	}
	var n int64
	if err := json.Unmarshal(cells[0], &n); err != nil || n < 0 {
		return -1, historyArgs{}, errors.New("the row number is not a whole number")
	}
	if len(cells) < 3 || len(cells) > 4 {
		return n, historyArgs{}, fmt.Errorf("%d arguments: want from, to and an optional warehouse", len(cells)-1)
	}
	var a historyArgs
	var err error
	if a.From, err = dateCell(cells[1], "from"); err != nil {
		return n, a, err
	}
	if a.To, err = dateCell(cells[2], "to"); err != nil {
		return n, a, err
	}
	if a.To.Before(a.From) {
		return n, a, fmt.Errorf("to %s is before from %s", a.To.Format(time.DateOnly), a.From.Format(time.DateOnly))
	}
	if days := int(a.To.Sub(a.From)/(24*time.Hour)) + 1; days > MaxDays {
		return n, a, fmt.Errorf("%d days: at most %d in one request", days, MaxDays)
	}
	if len(cells) == 4 && string(cells[3]) != "null" {
		if err := json.Unmarshal(cells[3], &a.Warehouse); err != nil {
			return n, a, errors.New("warehouse is not a string")
		}
		a.Warehouse = strings.TrimSpace(a.Warehouse)
		if a.Warehouse != "" && !warehousePattern.MatchString(a.Warehouse) {
			return n, a, errors.New("warehouse: letters, digits, '_', '.', '-' only, at most 40")
		}
	}
	return n, a, nil
}

// dateCell reads a DATE argument: Snowflake sends "YYYY-MM-DD"; a
// TIMESTAMP's date part is taken too.
func dateCell(raw json.RawMessage, name string) (time.Time, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return time.Time{}, fmt.Errorf("%s is not a date string", name)
	}
	s = strings.TrimSpace(s)
	if len(s) > 10 {
		s = s[:10]
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not YYYY-MM-DD", name, azfunc.Clip(s, 20))
	}
	return d, nil
}

// requestID derives the export request's id from its arguments.
func (a historyArgs) requestID() string {
	sum := sha256.Sum256([]byte(strings.Join([]string{staging.Inventory.Name, a.Warehouse,
		a.From.Format(time.DateOnly), a.To.Format(time.DateOnly)}, "|")))
	return "inv-" + hex.EncodeToString(sum[:])[:24]
}

// batchRow is one row of a batch: its number and its request, or its error.
type batchRow struct {
	Row       int64  `json:"row"`
	RequestID string `json:"request_id,omitempty"`
	Error     string `json:"error,omitempty"`
}

func (h *HistoryRequest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var status int
	var data any
	var err error
	switch r.Method {
	case http.MethodPost:
		status, data, err = h.post(r)
	case http.MethodGet:
		status, data, err = h.poll(r)
	default:
		err = fault.Permanentf("use POST (a batch) or GET (a poll of an asynchronous batch)")
	}
	if err != nil {
		azfunc.Fail(w, r, err)
		return
	}
	if data == nil {
		w.WriteHeader(status)
		return
	}
	azfunc.WriteJSON(w, status, data)
}

// answer is the external function's reply: {"data": [[row, result], ...]}.
type answer struct {
	Data [][2]any `json:"data"`
}

func (h *HistoryRequest) post(r *http.Request) (int, any, error) {
	ctx := r.Context()
	body, err := azfunc.ReadBody(r)
	if err != nil {
		return 0, nil, err
	}
	if body, err = gunzipped(r.Header, body); err != nil {
		return 0, nil, err
	}
	if err := azfunc.CheckJSONText(body); err != nil {
		return 0, nil, err
	}
	var in struct {
		Data []json.RawMessage `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&in); err != nil || in.Data == nil {
		return 0, nil, fault.Malformedf(`the body is not an external-function batch {"data": [[row, from, to, warehouse], ...]}`)
	}
	if len(in.Data) > MaxRows {
		return 0, nil, fault.TooLargef("%d rows: at most %d in one batch", len(in.Data), MaxRows)
	}
	rows := make([]batchRow, len(in.Data))
	args := map[string]historyArgs{}
	for i, raw := range in.Data {
		n, a, err := parseRow(raw)
		if n < 0 {
			// Without a row number the row cannot be answered in place:
			// Snowflake needs one answer per row, so the batch is refused.
			return 0, nil, fault.Malformedf("row %d: %v", i, err)
		}
		rows[i].Row = n
		if err != nil {
			rows[i].Error = err.Error()
			continue
		}
		rows[i].RequestID = a.requestID()
		args[rows[i].RequestID] = a
	}
	batchID := strings.TrimSpace(r.Header.Get(HeaderBatchID))
	wait := strings.EqualFold(strings.TrimSpace(r.Header.Get(HeaderWait)), "true") && batchID != ""
	if wait && len(batchID) > 200 {
		return 0, nil, fault.Malformedf("%s is longer than 200 characters", HeaderBatchID)
	}
	if batchID != "" {
		azfunc.SetCorrelationID(ctx, batchID)
	}
	var notify []queued
	err = h.Store.InTx(ctx, func(tx pgx.Tx) error {
		notify = notify[:0]
		for id, a := range args {
			q, err := h.request(ctx, tx, id, a)
			if err != nil {
				return err
			}
			if q != nil {
				notify = append(notify, *q)
			}
		}
		if wait {
			b, _ := json.Marshal(rows)
			if _, err := tx.Exec(ctx, `INSERT INTO external_batches (batch_id, rows) VALUES ($1, $2) ON CONFLICT (batch_id) DO NOTHING`,
				batchID, b); err != nil {
				return fmt.Errorf("recording batch %s: %w", batchID, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, nil, store.Classify(err)
	}
	for _, q := range notify {
		h.Outbox.Notify(q.id, q.msg)
	}
	azfunc.Note(ctx, "rows", len(rows), "exports_queued", len(notify))
	if wait {
		return http.StatusAccepted, nil, nil
	}
	ans, _, err := h.results(ctx, rows)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, ans, nil
}

// maxBatchBytes bounds a batch once decompressed.
const maxBatchBytes = 16 << 20

// gunzipped is the body as JSON: Snowflake compresses the batch with gzip
// unless the function says COMPRESSION = NONE (the README's does), and
// says so in Content-Encoding.
func gunzipped(h http.Header, body []byte) ([]byte, error) {
	if !strings.EqualFold(strings.TrimSpace(h.Get("Content-Encoding")), "gzip") {
		return body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fault.Malformedf("the body says Content-Encoding gzip but is not gzip")
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxBatchBytes+1))
	if err != nil {
		return nil, fault.Malformedf("the gzip body is broken: %v", err)
	}
	if len(out) > maxBatchBytes {
		return nil, fault.TooLargef("the batch is over %d bytes once decompressed", maxBatchBytes)
	}
	return out, nil
}

type queued struct {
	id  int64
	msg bus.Message
}

// request records the export request id (or finds it) and, when it is new
// or its earlier export failed, queues the export.
func (h *HistoryRequest) request(ctx context.Context, tx pgx.Tx, id string, a historyArgs) (*queued, error) {
	day := h.Now().UTC()
	prefix := fmt.Sprintf("%s/%s/%s/%s-", staging.Container, staging.Inventory.Name, day.Format(time.DateOnly), id)
	var attempt int
	err := tx.QueryRow(ctx, `
		INSERT INTO export_requests (request_id, dataset, warehouse, from_day, to_day, prefix, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
		ON CONFLICT (request_id) DO UPDATE
		   SET state = 'queued', error = '', attempts = export_requests.attempts + 1, updated_at = excluded.updated_at
		 WHERE export_requests.state = 'failed'
		RETURNING attempts`, id, staging.Inventory.Name, a.Warehouse, a.From, a.To, prefix, day).Scan(&attempt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil // asked before, and not failed: the earlier export stands
	}
	if err != nil {
		return nil, fmt.Errorf("recording export request %s: %w", id, err)
	}
	msg, err := ExportMessage(ExportRequest{RequestID: id, Warehouse: a.Warehouse, From: a.From.Format(time.DateOnly),
		To: a.To.Format(time.DateOnly), Attempt: attempt}, h.Now())
	if err != nil {
		return nil, err
	}
	oid, err := store.Enqueue(ctx, tx, msg)
	if err != nil {
		return nil, err
	}
	return &queued{id: oid, msg: msg}, nil
}

// results answers rows from export_requests; done reports whether every
// requested export has finished (done or failed).
func (h *HistoryRequest) results(ctx context.Context, rows []batchRow) (answer, bool, error) {
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		if r.RequestID != "" {
			ids = append(ids, r.RequestID)
		}
	}
	found := map[string]Result{}
	q, err := h.Store.Pool.Query(ctx, `SELECT request_id, state, prefix, parts, rows, error FROM export_requests WHERE request_id = ANY($1)`, ids)
	if err != nil {
		return answer{}, false, store.Classify(fmt.Errorf("reading export requests: %w", err))
	}
	for q.Next() {
		var res Result
		if err := q.Scan(&res.RequestID, &res.State, &res.Prefix, &res.Parts, &res.Rows, &res.Error); err != nil {
			q.Close()
			return answer{}, false, store.Classify(fmt.Errorf("reading export requests: %w", err))
		}
		found[res.RequestID] = res
	}
	q.Close()
	if err := q.Err(); err != nil {
		return answer{}, false, store.Classify(fmt.Errorf("reading export requests: %w", err))
	}
	done := true
	ans := answer{Data: make([][2]any, len(rows))}
	for i, r := range rows {
		res := Result{Error: r.Error}
		if r.RequestID != "" {
			var ok bool
			if res, ok = found[r.RequestID]; !ok {
				return answer{}, false, fmt.Errorf("export request %s is not recorded", r.RequestID)
			}
			done = done && (res.State == StateDone || res.State == StateFailed)
		}
		ans.Data[i] = [2]any{r.Row, res}
	}
	return ans, done, nil
}

// poll answers Snowflake's GET for an asynchronous batch: 202 while an
// export runs, 200 with the rows' results when all have finished.
func (h *HistoryRequest) poll(r *http.Request) (int, any, error) {
	ctx := r.Context()
	batchID := strings.TrimSpace(r.Header.Get(HeaderBatchID))
	if batchID == "" {
		return 0, nil, fault.Malformedf("a poll names its batch in %s", HeaderBatchID)
	}
	azfunc.SetCorrelationID(ctx, batchID)
	var raw []byte
	err := h.Store.Pool.QueryRow(ctx, `SELECT rows FROM external_batches WHERE batch_id = $1`, batchID).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, fault.Permanentf("batch %s is not known: POST it first", azfunc.Clip(batchID, 80))
	}
	if err != nil {
		return 0, nil, store.Classify(fmt.Errorf("reading batch %s: %w", batchID, err))
	}
	var rows []batchRow
	if err := json.Unmarshal(raw, &rows); err != nil {
		return 0, nil, fmt.Errorf("reading batch %s: %w", batchID, err)
	}
	ans, done, err := h.results(ctx, rows)
	if err != nil {
		return 0, nil, err
	}
	if !done {
		return http.StatusAccepted, nil, nil
	}
	return http.StatusOK, ans, nil
}
