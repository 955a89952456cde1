package platform_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/handlers/platform"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/messaging"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

type schema struct {
	current, target int64
	err             error
}

func (s schema) SchemaVersion(context.Context) (int64, int64, error) {
	return s.current, s.target, s.err
}

type buffer struct {
	mu sync.Mutex
	strings.Builder
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Builder.Write(p)
}

func server(t *testing.T, register func(*azfunc.Server)) (*httptest.Server, *buffer) {
	t.Helper()
	logs := &buffer{}
	srv, err := azfunc.NewServer(azfunc.Config{Logging: azfunc.NewLogging(logs, logs, nil, nil)})
	require.NoError(t, err)
	register(srv)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs, logs
}

type readiness struct {
	flows  map[string]bool
	status []kit.FunctionStatus
}

func (r readiness) FlowsReady() map[string]bool  { return r.flows }
func (r readiness) Status() []kit.FunctionStatus { return r.status }

func TestHealth(t *testing.T) {
	t.Parallel()
	allReady := readiness{flows: map[string]bool{"platform": true, "fulfillment": true}}
	xbMissing := readiness{flows: map[string]bool{"platform": true, "fulfillment": false},
		status: []kit.FunctionStatus{{Flow: "fulfillment", Function: "xb-fulfill", Err: errors.New("xb-fulfill is not configured: XB_API_KEY is not set")}}}
	cases := []struct {
		name   string
		health *platform.Health
		status int
		state  string
		checks map[string]string
		flows  map[string]string
	}{
		{"AllGood", &platform.Health{DB: schema{current: 3, target: 3}, Flows: allReady}, 200, "ok",
			map[string]string{"database": "ok"}, map[string]string{"platform": "ready", "fulfillment": "ready"}},
		{"SchemaAheadIsFine", &platform.Health{DB: schema{current: 4, target: 3}, Flows: allReady}, 200, "ok",
			map[string]string{"database": "ok"}, map[string]string{"platform": "ready", "fulfillment": "ready"}},
		{"SchemaBehind", &platform.Health{DB: schema{current: 2, target: 3}, Flows: allReady}, 503, "unavailable",
			map[string]string{"database": "schema behind the binary: run `handler migrate`"}, map[string]string{"platform": "ready", "fulfillment": "ready"}},
		{"DatabaseDownHidesTheCause", &platform.Health{DB: schema{err: errors.New("dial tcp 10.1.2.3:5432: refused")}, Flows: allReady}, 503, "unavailable",
			map[string]string{"database": "unreachable"}, map[string]string{"platform": "ready", "fulfillment": "ready"}},
		{"AFlowNotReadyIsDegradedAndNamesOnlyTheFlow", &platform.Health{DB: schema{current: 3, target: 3}, Flows: xbMissing}, 200, "degraded",
			map[string]string{"database": "ok"}, map[string]string{"platform": "ready", "fulfillment": "not ready"}},
		{"NoDatabase", &platform.Health{Flows: allReady}, 503, "unavailable",
			map[string]string{"database": "not ready"}, map[string]string{"platform": "ready", "fulfillment": "ready"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.health.Version, tc.health.Environment = "abc123", "test"
			hs, logs := server(t, func(s *azfunc.Server) { s.HTTP("health", "GET", "health", tc.health, azfunc.SkipGate()) })
			resp, err := http.Get(hs.URL + "/api/health")
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, tc.status, resp.StatusCode)
			var rep platform.HealthReport
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&rep))
			require.Equal(t, tc.checks, rep.Checks)
			require.Equal(t, tc.flows, rep.Flows)
			require.Equal(t, tc.state, rep.Status)
			require.Equal(t, "abc123", rep.Version)
			if tc.state != "ok" {
				require.Contains(t, logs.String(), "health check failing", "the details are in the logs")
			}
			body, _ := json.Marshal(rep)
			require.NotContains(t, string(body), "10.1.2.3")
			require.NotContains(t, string(body), "XB_API_KEY", "anonymous callers learn which flow, not which setting")
		})
	}
	t.Run("DetailsGoToTheLog", func(t *testing.T) {
		t.Parallel()
		hs, logs := server(t, func(s *azfunc.Server) {
			s.HTTP("health", "GET", "health", &platform.Health{DB: schema{current: 3, target: 3}, Flows: xbMissing}, azfunc.SkipGate())
		})
		resp, err := http.Get(hs.URL + "/api/health")
		require.NoError(t, err)
		resp.Body.Close()
		require.Contains(t, logs.String(), "XB_API_KEY is not set")
	})
}

// alertsOn is the kit's alert sender on a migrated test schema.
func alertsOn(t *testing.T) (*kit.Alerts, *store.Store) {
	t.Helper()
	cfg := storetest.Schema(t)
	_, err := store.Migrate(context.Background(), cfg, nil)
	require.NoError(t, err)
	values := map[string]string{"DATABASE_URL": storetest.SchemaURL(cfg), "ENVIRONMENT": "test"}
	app, err := kit.New(kit.Config{Getenv: func(k string) string { return values[k] }, Catalog: &messaging.Catalog{}})
	require.NoError(t, err)
	t.Cleanup(app.Close)
	return app.Alerts(), app.Store()
}

type deadLetters struct {
	counts []bus.DeadLetterCount
	err    error
}

func (d deadLetters) DeadLetters(context.Context) ([]bus.DeadLetterCount, error) {
	return d.counts, d.err
}

func invokeTimer(t *testing.T, url, function string) int {
	t.Helper()
	body := `{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"IsPastDue":false}},"Metadata":{"sys":{"MethodName":"x","UtcNow":"2026-11-25T18:15:00Z","RandGuid":"r"}}}`
	resp, err := http.Post(url+"/"+function, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestDeadLetterWatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("ReportsEachParkedMessageOnceAndEveryNonEmptyQueue", func(t *testing.T) {
		t.Parallel()
		alerts, s := alertsOn(t)
		for _, id := range []string{"ORD-1/fulfillment-request", "ORD-2/fulfillment-request"} {
			_, err := s.Park(ctx, azfunc.Parked{Function: "cirro-fulfill", Trigger: azfunc.KindServiceBus, MessageID: id,
				CorrelationID: strings.Split(id, "/")[0], Reason: "ship method XYZ is not mapped", Payload: []byte("{}")})
			require.NoError(t, err)
		}
		w := &platform.DeadLetterWatch{Parked: alerts, DeadLetters: deadLetters{counts: []bus.DeadLetterCount{
			{Topic: "int-test-shipped", Subscription: "oms", Count: 4}, {Topic: "int-test-shipped", Subscription: "edi", Count: 0},
		}}}
		hs, logs := server(t, func(srv *azfunc.Server) { srv.Timer("dead-letter-watch", "timer", w.Run) })
		require.Equal(t, 200, invokeTimer(t, hs.URL, "dead-letter-watch"))
		require.Equal(t, 2, strings.Count(logs.String(), "parked message needs attention"))
		require.Contains(t, logs.String(), `"parked_correlation_id":"ORD-1"`)
		require.Equal(t, 1, strings.Count(logs.String(), "dead-lettered messages need attention"))
		require.Contains(t, logs.String(), `"subscription":"oms","dead_letter_count":4`)
		require.Equal(t, 0, storetest.Count(t, s, `SELECT * FROM parked_messages WHERE alerted_at IS NULL`))

		require.Equal(t, 200, invokeTimer(t, hs.URL, "dead-letter-watch"))
		require.Equal(t, 2, strings.Count(logs.String(), "parked message needs attention"), "parked messages are reported once")
		require.Equal(t, 2, strings.Count(logs.String(), "dead-lettered messages need attention"), "a queue is reported while it is not empty")
	})

	t.Run("UnreadableQueuesFailTheRunAfterReportingParked", func(t *testing.T) {
		t.Parallel()
		alerts, s := alertsOn(t)
		_, err := s.Park(ctx, azfunc.Parked{Function: "f", Trigger: azfunc.KindServiceBus, MessageID: "m", Reason: "r", Payload: []byte("{}")})
		require.NoError(t, err)
		w := &platform.DeadLetterWatch{Parked: alerts, DeadLetters: deadLetters{err: errors.New("management API: 503")}}
		hs, logs := server(t, func(srv *azfunc.Server) { srv.Timer("dead-letter-watch", "timer", w.Run) })
		require.Equal(t, 500, invokeTimer(t, hs.URL, "dead-letter-watch"))
		require.Contains(t, logs.String(), "parked message needs attention")
		require.Contains(t, logs.String(), "management API: 503")
	})
}
