package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/popsockets/integration/handlers/data"
	"github.com/popsockets/integration/shared/devhost"
	"github.com/popsockets/integration/shared/store"
)

// dataSettings makes order-export take orders changed a second ago (Azure
// waits a minute), so the local run's orders reach the warehouse at once.
func dataSettings(values map[string]string) {
	if values["ORDER_EXPORT_LAG_SECONDS"] == "60" {
		values["ORDER_EXPORT_LAG_SECONDS"] = "1"
	}
}

// seedData plays Snowflake: an external-function batch asks for inventory
// history (a valid row, the same row again, a bad one), the export lands
// in staging and snowflake-load merges it into the local warehouse tables;
// then order-export stages the orders of this run, which load too.
func seedData(ctx context.Context, h *devhost.Host, values map[string]string, out io.Writer) {
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	say("")
	say("data: Snowflake asks for Cirro inventory history (POST /api/snowflake/inventory-history) ...")
	to := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	from := time.Now().UTC().AddDate(0, 0, -7).Format(time.DateOnly)
	body := fmt.Sprintf(`{"data": [[0, %q, %q, "CIRRO-LA"], [1, %q, %q, "CIRRO-LA"], [2, "2026-02-30", %q, null]]}`, from, to, from, to, to)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL()+"/api/snowflake/inventory-history", strings.NewReader(body))
	if err != nil {
		say("data demo: %v", err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-functions-key", values["DEVHOST_FUNCTION_KEY"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		say("data demo: %v", err)
		return
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	say("  %d %s", resp.StatusCode, strings.TrimSpace(string(answer)))
	var ans struct {
		Data [][2]json.RawMessage `json:"data"`
	}
	var first data.Result
	if json.Unmarshal(answer, &ans) != nil || len(ans.Data) == 0 || json.Unmarshal(ans.Data[0][1], &first) != nil {
		say("data demo: the answer is not an external-function answer")
		return
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	waitQuiet(wctx, h, values["DATABASE_URL"])
	h.ScanBlobs(wctx)
	if _, err := h.RunTimer(wctx, data.FnOrderExport); err != nil {
		say("data demo: %v", err)
	}
	h.ScanBlobs(wctx)
	s, err := store.Open(store.Config{URL: values["DATABASE_URL"], MaxConns: 2})
	if err != nil {
		say("data demo: %v", err)
		return
	}
	defer s.Close()
	var inv, orders, files int
	err = s.Pool.QueryRow(wctx, `SELECT (SELECT count(*) FROM warehouse_inventory), (SELECT count(*) FROM warehouse_orders),
		(SELECT count(*) FROM warehouse_load_log)`).Scan(&inv, &orders, &files)
	if err != nil {
		say("data demo: counting the warehouse rows: %v", err)
		return
	}
	say("  export %s: staged under %s; the warehouse now has %d inventory rows and %d orders from %d staged files",
		first.RequestID, first.Prefix, inv, orders, files)
	say("  try: .run/handler audit %s    psql \"%s\" -c 'SELECT * FROM warehouse_load_log'", first.RequestID, values["DATABASE_URL"])
}
