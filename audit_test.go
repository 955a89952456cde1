package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/audit"
	"github.com/popsockets/integration/shared/audit/dmfake"
	"github.com/popsockets/integration/shared/kql"
)

type fixedToken string

func (t fixedToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(t), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// TestAuditTrailReachesADXThroughItsIngestionEndpoint runs an order through
// the app with the audit trail set to ADX: the real azkustoingest client
// asks a data-management fake for its resources, uploads the events to
// Azurite's blob service and queues the ingestion message on Azurite's
// queue service, as it would for a cluster.
func TestAuditTrailReachesADXThroughItsIngestionEndpoint(t *testing.T) {
	t.Parallel()
	rig := dmfake.StartRig(t, "adx-test-token")
	f := startFlow(t, flowOptions{
		settings: func(v map[string]string) {
			v["ADX_CLUSTER_URI"] = rig.Fake.URL
			v["ADX_INGEST_URI"] = rig.Fake.URL
			v["ADX_DATABASE"] = "IntegrationAudit"
			v["ADX_INGESTION"] = "queued"
		},
		build: func(o *options) {
			o.auditCredential = fixedToken("adx-test-token")
			o.auditHTTPClient = rig.Fake.Client
		},
	})
	smp := b2c(1, 11)[0]
	id := smp.Request.OrderID
	require.Equal(t, http.StatusAccepted, f.request(t, "cirro", smp))
	f.idle(t)
	require.Len(t, f.partners.Cirro.Orders(), 1)

	// The recorder writes within seconds; each write is one blob and one
	// queue message.
	var events []audit.Event
	require.Eventually(t, func() bool {
		events = events[:0]
		for _, name := range rig.BlobNames(t) {
			for _, line := range rig.Lines(t, name) {
				var e audit.Event
				require.NoError(t, json.Unmarshal(line, &e), "%s", line)
				events = append(events, e)
			}
		}
		var sawCall, sawFulfill bool
		for _, e := range events {
			sawCall = sawCall || (e.Kind == audit.KindCall && e.System == "Cirro" && e.CorrelationID == id)
			sawFulfill = sawFulfill || (e.Kind == audit.KindInvocation && e.Function == "cirro-fulfill" && e.CorrelationID == id)
		}
		return sawCall && sawFulfill
	}, 30*time.Second, 200*time.Millisecond, "the order's Cirro call and cirro-fulfill reach the blob store")
	msgs := rig.Messages(t)
	require.NotEmpty(t, msgs)
	require.LessOrEqual(t, len(msgs), len(rig.BlobNames(t)), "one queue message per uploaded blob")
	for _, m := range msgs {
		s := string(m)
		require.Contains(t, s, `"DatabaseName":"IntegrationAudit"`)
		require.Contains(t, s, `"TableName":"AuditEvents"`)
		require.Contains(t, s, `"ingestionMappingReference":"AuditMapping"`)
		require.Contains(t, s, "ingest-by:")
	}
	for _, e := range events {
		raw, _ := json.Marshal(e)
		require.NotContains(t, string(raw), smp.Customer.Name, "no personal data in the audit trail")
		require.False(t, strings.Contains(e.Operation, "?"), "no query strings: %s", e.Operation)
	}
	var csls []string
	for _, c := range rig.Fake.Commands() {
		csls = append(csls, c.CSL)
	}
	require.Contains(t, csls, ".get ingestion resources")
}

// adxQuery reads infra/adx/queries/<name>.kql.
func adxQuery(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("infra", "adx", "queries", name+".kql"))
	require.NoError(t, err)
	return string(b)
}

// TestAuditQueriesOverTheTrail runs the operators' ADX queries
// (infra/adx/queries/*.kql) over the audit events a B2C order leaves,
// read back from the local trail (the rows ADX would hold: the same JSON
// names are the table's columns).
func TestAuditQueriesOverTheTrail(t *testing.T) {
	t.Parallel()
	f := startFlow(t, flowOptions{})
	smp := b2c(1, 12)[0]
	id := smp.Request.OrderID
	require.Equal(t, http.StatusAccepted, f.request(t, "cirro", smp))
	f.idle(t)
	ctx := context.Background()
	var rows []kql.Row
	require.Eventually(t, func() bool {
		trail, err := (&audit.Postgres{Store: f.store}).Trail(ctx, id)
		require.NoError(t, err)
		rows = rows[:0]
		var sawCall bool
		for _, e := range trail {
			raw, err := json.Marshal(e)
			require.NoError(t, err)
			r := kql.Row{}
			require.NoError(t, json.Unmarshal(raw, &r))
			r["time"] = e.Time
			r["archive"] = e.Archive
			rows = append(rows, r)
			sawCall = sawCall || (e.Kind == audit.KindCall && e.System == "Cirro")
		}
		return sawCall
	}, 20*time.Second, 100*time.Millisecond)
	env := kql.Env{Now: time.Now(), Tables: map[string]*kql.Table{"AuditEvents": {Columns: []string{"id", "time", "kind", "system",
		"operation", "function", "invocation_id", "correlation_id", "outcome", "status", "bytes", "duration_ms", "archive", "error"}, Rows: rows}}}

	out, err := kql.Run(strings.ReplaceAll(adxQuery(t, "audit-trail"), "ORD-1001", id), env)
	require.NoError(t, err)
	var steps []string
	for _, r := range out.Rows {
		steps = append(steps, r["kind"].(string)+" "+r["function"].(string)+" "+r["operation"].(string))
	}
	require.Contains(t, steps, "invocation fulfillment-request fulfillment-request")
	require.Contains(t, steps, "call cirro-fulfill POST /v1/order/create")
	require.Equal(t, "invocation fulfillment-request fulfillment-request", steps[0], "oldest first: the request came first")
	require.EqualValues(t, http.StatusAccepted, out.Rows[0]["status"], "the status the webhook answered")

	out, err = kql.Run(adxQuery(t, "audit-partner-calls"), env)
	require.NoError(t, err)
	create := byColumn(out.Rows, "operation", "POST /v1/order/create")
	require.NotNil(t, create, "%v", out.Rows)
	require.EqualValues(t, 1, create["calls"])
	require.EqualValues(t, 0, create["failed"])
	require.Equal(t, "Cirro", create["system"])
}
