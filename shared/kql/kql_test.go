package kql_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/kql"
)

var now = time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)

func env() kql.Env {
	requests := &kql.Table{Columns: []string{"timestamp", "operation_Name", "success", "resultCode", "itemCount", "customDimensions"}}
	add := func(ago time.Duration, fn string, ok bool, code string, inv string) {
		requests.Rows = append(requests.Rows, kql.Row{"timestamp": now.Add(-ago), "operation_Name": fn, "success": ok,
			"resultCode": code, "itemCount": 1, "customDimensions": map[string]string{"InvocationId": inv}})
	}
	add(time.Minute, "intake", true, "503", "i1")
	add(2*time.Minute, "intake", true, "200", "i2")
	add(3*time.Minute, "intake", false, "500", "i3")
	add(2*time.Hour, "intake", true, "503", "i4")
	add(time.Minute, "sink", false, "0", "i5")
	add(time.Minute, "sink", true, "0", "i6")

	traces := &kql.Table{Columns: []string{"timestamp", "message", "severityLevel", "customDimensions"}}
	line := func(ago time.Duration, msg string, sev int, cat string) {
		traces.Rows = append(traces.Rows, kql.Row{"timestamp": now.Add(-ago), "message": msg, "severityLevel": sev,
			"customDimensions": map[string]any{"Category": cat}})
	}
	line(time.Minute, `{"invocation_id":"i3","outcome":"failed","error":"cirro answered 503","delivery_count":2}`, 3, "Host.Function.Console")
	line(time.Minute, `{"invocation_id":"i5","outcome":"needs_attention","parked_id":7}`, 3, "Host.Function.Console")
	line(time.Minute, `not json at all`, 1, "Host.Function.Console")
	line(time.Minute, `{"invocation_id":"i3","outcome":"failed"}`, 1, "Function.intake.User")
	return kql.Env{Now: now, Tables: map[string]*kql.Table{"requests": requests, "traces": traces}}
}

func run(t *testing.T, q string) *kql.Table {
	t.Helper()
	out, err := kql.Run(q, env())
	require.NoError(t, err, q)
	return out
}

func TestOperators(t *testing.T) {
	t.Parallel()
	t.Run("WhereWithAgoAndOr", func(t *testing.T) {
		t.Parallel()
		out := run(t, `requests | where timestamp > ago(1h) and (success == false or toint(resultCode) >= 500) | project operation_Name, resultCode`)
		require.Len(t, out.Rows, 3)
		require.Equal(t, []string{"operation_Name", "resultCode"}, out.Columns)
	})
	t.Run("SummarizeCountIfRoundAndLongDivision", func(t *testing.T) {
		t.Parallel()
		out := run(t, `requests
| summarize total = count(), failed = countif(success == false or toint(resultCode) >= 500), items = sum(itemCount) by operation_Name
| extend pct = round(100.0 * failed / total, 1), truncated = failed * 100 / total
| order by operation_Name asc`)
		require.Equal(t, []string{"operation_Name", "total", "failed", "items", "pct", "truncated"}, out.Columns)
		require.Len(t, out.Rows, 2)
		require.Equal(t, kql.Row{"operation_Name": "intake", "total": int64(4), "failed": int64(3), "items": int64(4), "pct": 75.0, "truncated": int64(75)}, out.Rows[0])
		require.Equal(t, 50.0, out.Rows[1]["pct"])
	})
	t.Run("SummarizeWithoutByOverNoRowsIsOneRow", func(t *testing.T) {
		t.Parallel()
		out := run(t, `requests | where operation_Name == "nobody" | summarize n = count(), d = dcount(resultCode), m = max(timestamp)`)
		require.Equal(t, []kql.Row{{"n": int64(0), "d": int64(0), "m": nil}}, out.Rows)
	})
	t.Run("OrderByDefaultsToDescending", func(t *testing.T) {
		t.Parallel()
		out := run(t, `requests | order by timestamp | take 2 | project resultCode`)
		require.Equal(t, "503", out.Rows[0]["resultCode"])
		require.Equal(t, "0", out.Rows[1]["resultCode"])
	})
	t.Run("ParseJsonMembersInAndHas", func(t *testing.T) {
		t.Parallel()
		out := run(t, `traces
| where customDimensions.Category == "Host.Function.Console" and message has "needs_attention"
| extend j = parse_json(message)
| where j.outcome in ("needs_attention", "parked")
| project id = toint(j.parked_id), missing = tostring(j.nope), e = isempty(j.nope), s = strcat("p-", tostring(j.parked_id))`)
		require.Equal(t, []kql.Row{{"id": int64(7), "missing": "", "e": true, "s": "p-7"}}, out.Rows)
	})
	t.Run("NotJSONStaysAString", func(t *testing.T) {
		t.Parallel()
		out := run(t, `traces | extend j = parse_json(message) | where tostring(j) == "not json at all" | project sev = severityLevel`)
		require.Equal(t, []kql.Row{{"sev": int64(1)}}, out.Rows)
	})
	t.Run("JoinLeftOuterOnDifferentNames", func(t *testing.T) {
		t.Parallel()
		out := run(t, `requests
| where success == false
| extend invocation_id = tostring(customDimensions.InvocationId)
| join kind=leftouter (
    traces
    | where customDimensions.Category == "Host.Function.Console"
    | extend j = parse_json(message)
    | project inv = tostring(j.invocation_id), error = tostring(j.error)
  ) on $left.invocation_id == $right.inv
| project operation_Name, invocation_id, error
| order by invocation_id asc`)
		require.Equal(t, []kql.Row{
			{"operation_Name": "intake", "invocation_id": "i3", "error": "cirro answered 503"},
			{"operation_Name": "sink", "invocation_id": "i5", "error": ""},
		}, out.Rows)
	})
	t.Run("DefaultJoinKeepsOneLeftRowPerKey", func(t *testing.T) {
		t.Parallel()
		out := run(t, `requests | project operation_Name | join (requests | project operation_Name, resultCode) on operation_Name`)
		require.Len(t, out.Rows, 6, "two distinct left keys, each matching all its right rows")
		require.Equal(t, []string{"operation_Name", "operation_Name1", "resultCode"}, out.Columns)
	})
	t.Run("IffAndNot", func(t *testing.T) {
		t.Parallel()
		out := run(t, `requests | where not(success) | extend k = iff(toint(resultCode) >= 500, "http", "other") | summarize n = count() by k | order by k asc`)
		require.Equal(t, []kql.Row{{"k": "http", "n": int64(1)}, {"k": "other", "n": int64(1)}}, out.Rows)
	})
}

func TestErrors(t *testing.T) {
	t.Parallel()
	for name, q := range map[string]string{
		"AStringColumnComparedWithANumber": `requests | where resultCode >= 500`,
		"AnUnknownColumn":                  `requests | where resultcode == "500"`,
		"AnUnknownTable":                   `exceptions | take 1`,
		"AnUnsupportedOperator":            `requests | mv-expand customDimensions`,
		"AnUnsupportedFunction":            `requests | extend x = tohex(1)`,
		"AnAggregationOutsideSummarize":    `requests | extend n = count()`,
		"TrailingTokens":                   `requests | take 1 )`,
		"AnUnterminatedString":             `requests | where operation_Name == "x`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := kql.Run(q, env())
			require.Error(t, err)
		})
	}
}

func TestInspect(t *testing.T) {
	t.Parallel()
	q, err := kql.Parse(`requests | summarize n = count() by operation_Name | join kind=inner (traces | summarize s = sum(itemCount) by operation_Name) on operation_Name`)
	require.NoError(t, err)
	require.Equal(t, []string{"requests", "traces"}, q.Tables())
	require.Equal(t, []string{"count", "sum"}, q.Aggregations())
}
