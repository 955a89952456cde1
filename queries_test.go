package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/gladly"
	"github.com/popsockets/integration/shared/gladly/gladlytest"
	"github.com/popsockets/integration/shared/kql"
)

// shipped reads infra/queries/<name>.kql.
func shipped(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("infra", "queries", name+".kql"))
	require.NoError(t, err)
	return string(b)
}

func byColumn(rows []kql.Row, col string, value any) kql.Row {
	for _, r := range rows {
		if r[col] == value {
			return r
		}
	}
	return nil
}

// TestOperatorQueriesOverTheLocalTelemetry runs the workbook's and the
// alert rules' queries over what Application Insights would hold after a
// dead letter, a stopped poller and Gladly lookups (some refused), with
// the built handler writing its lines as in Azure.
func TestOperatorQueriesOverTheLocalTelemetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := startFlow(t, flowOptions{exec: true, settings: func(v map[string]string) { v["DEAD_LETTER_WATCH_SCHEDULE"] = "* * * * * *" }})
	deadLetterNAVRelease(t, f, "ORD-Q-1")
	inv, err := f.host.RunTimer(ctx, "dead-letter-watch")
	require.NoError(t, err)
	require.True(t, inv.OK)

	g := f.partners.Gladly
	status, _, err := g.Lookup(ctx, gladlytest.Detailed(f.partners.Customers[0].ID))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	for range 2 {
		r, err := g.NewRawRequest(ctx, []byte(`{"lookupLevel":"BASIC","query":{"name":"x"},"uniqueMatchRequired":false}`))
		require.NoError(t, err)
		r.Header.Set(gladly.HeaderCorrelationID, "tampered")
		status, _, err := g.Do(r)
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, status)
	}

	ok, err := f.store.AcquireLease(ctx, "dead-letter-watch", "a hung instance", time.Hour)
	require.NoError(t, err)
	require.True(t, ok)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(f.logs.String(), `"msg":"poller stopped"`) {
		select {
		case <-tick.C:
			inv, err := f.host.RunTimer(ctx, "poller-watchdog")
			require.NoError(t, err)
			require.True(t, inv.OK)
		case <-deadline:
			t.Fatal("the watchdog never noticed")
		}
	}
	query := func(name string) []kql.Row {
		t.Helper()
		// The host records a console line when the handler's pipe delivers it.
		deadline := time.After(10 * time.Second)
		for {
			out, err := f.host.Telemetry().Query(shipped(t, name))
			require.NoError(t, err, name)
			if len(out.Rows) > 0 {
				return out.Rows
			}
			select {
			case <-tick.C:
			case <-deadline:
				return nil
			}
		}
	}
	queue := f.settings["TOPIC_NAV_ORDER_RELEASE"] + "/oms"

	act := byColumn(query("function-activity"), "function", "nav-order-release")
	require.NotNil(t, act)
	require.EqualValues(t, 10, act["failures"], "every delivery failed before it was dead-lettered")

	depth := byColumn(query("dead-letter-depth"), "queue", queue)
	require.NotNil(t, depth)
	require.EqualValues(t, 1, depth["dead_lettered"])
	require.Contains(t, depth["replay"], "handler replay -dead-letter")

	rec := byColumn(query("dead-letters-recorded"), "subscription", "oms")
	require.NotNil(t, rec)
	require.EqualValues(t, 1, rec["recorded"])
	require.Equal(t, "MaxDeliveryCountExceeded", rec["reason"])

	poller := byColumn(query("poller-last-success"), "timer", "dead-letter-watch")
	require.NotNil(t, poller)
	require.Equal(t, true, poller["stale"])

	stopped := query("poller-stopped")
	require.Len(t, stopped, 1, "one alert line")
	require.Equal(t, "dead-letter-watch", stopped[0]["timer"])

	rej := byColumn(query("webhook-rejections"), "function", "gladly-lookup")
	require.NotNil(t, rej)
	require.EqualValues(t, 2, rej["rejections"])
	require.Equal(t, gladly.ReasonSignature, rej["reason"])
	require.EqualValues(t, 401, rej["status"])

	fails := byColumn(query("function-failures"), "operation_Name", "nav-order-release")
	require.NotNil(t, fails)
	require.EqualValues(t, 10, fails["failures"])

	journey := f.host.Telemetry()
	out, err := journey.Query(strings.ReplaceAll(shipped(t, "order-journey"), "ORD-1001", "ORD-Q-1"))
	require.NoError(t, err)
	var msgs []string
	for _, r := range out.Rows {
		msgs = append(msgs, r["msg"].(string))
	}
	require.Contains(t, msgs, "dead-lettered message recorded", "the order's journey shows its dead letter")
}
