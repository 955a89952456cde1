package kit_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/messaging"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
	"github.com/popsockets/integration/shared/teams"
	"github.com/popsockets/integration/shared/teams/teamstest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// opsApp is an app on a migrated schema, with Teams when teamsURL is set.
func opsApp(t *testing.T, env map[string]string, flows ...kit.Flow) (*kit.App, *azfunc.Server, *store.Store) {
	t.Helper()
	cfg := storetest.Schema(t)
	_, err := store.Migrate(context.Background(), cfg, nil)
	require.NoError(t, err)
	values := map[string]string{"DATABASE_URL": storetest.SchemaURL(cfg), "ENVIRONMENT": "test"}
	for k, v := range env {
		values[k] = v
	}
	app, err := kit.New(kit.Config{Getenv: func(k string) string { return values[k] }, Flows: flows, Catalog: &messaging.Catalog{},
		Stdout: io.Discard, Stderr: io.Discard})
	require.NoError(t, err)
	srv, err := azfunc.NewServer(azfunc.Config{Logging: app.Logging(), Parker: app, Gate: app})
	require.NoError(t, err)
	app.Register(srv)
	t.Cleanup(app.Close)
	return app, srv, app.Store()
}

func runTimer(t *testing.T, srv *azfunc.Server, name string) int {
	t.Helper()
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	body := `{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"IsPastDue":false}},"Metadata":{"sys":{"MethodName":"x","UtcNow":"2026-11-25T18:15:00Z","RandGuid":"r"}}}`
	req, err := http.NewRequest(http.MethodPost, hs.URL+"/"+name, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-Azure-Functions-InvocationId", "inv-"+name)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// TestEveryTimerRecordsItsRuns: the kit records each timer's successful
// runs (and its failures) with the schedule its function.json names.
func TestEveryTimerRecordsItsRuns(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for name, sched := range map[string]string{"tick": "%TICK_SCHEDULE%", "broken-tick": "0 */5 * * * *"} {
		dir := filepath.Join(root, "functions", name)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "function.json"),
			[]byte(`{"bindings":[{"type":"timerTrigger","direction":"in","name":"timer","schedule":"`+sched+`"}]}`), 0o644))
	}
	flow := kit.Flow{Name: "ticks", Settings: []kit.Setting{
		{Name: "TICK_SCHEDULE", Description: "schedule", Default: "0 */2 * * * *", Host: true},
	}, Register: func(r *kit.Registry) {
		r.Timer("tick", "timer", func(*kit.Parts) (kit.TimerFunc, error) {
			return func(context.Context, *azfunc.Timer) error { return nil }, nil
		})
		r.Timer("broken-tick", "timer", func(*kit.Parts) (kit.TimerFunc, error) {
			return func(context.Context, *azfunc.Timer) error { return errors.New("SFTP refused the key") }, nil
		})
	}}
	_, srv, s := opsApp(t, map[string]string{"FUNCTIONS_APP_ROOT_PATH": root}, flow)
	require.Equal(t, http.StatusOK, runTimer(t, srv, "tick"))
	require.Equal(t, http.StatusOK, runTimer(t, srv, "tick"))
	require.Equal(t, http.StatusInternalServerError, runTimer(t, srv, "broken-tick"))
	runs, err := s.TimerRuns(context.Background())
	require.NoError(t, err)
	require.Len(t, runs, 2)
	broken, tick := runs[0], runs[1]
	require.Equal(t, "tick", tick.Function)
	require.Equal(t, "0 */2 * * * *", tick.Schedule, "the %SETTING% resolves to the declared default")
	require.NotNil(t, tick.LastSuccessAt)
	require.EqualValues(t, 2, tick.Successes)
	require.Equal(t, "inv-tick", tick.LastInvocationID)
	require.Equal(t, "broken-tick", broken.Function)
	require.Nil(t, broken.LastSuccessAt, "a failed run is no success")
	require.Equal(t, "0 */5 * * * *", broken.Schedule)
	require.Contains(t, broken.LastError, "SFTP refused the key")
}

// TestAlertsOncePerKind: Raise posts one card per kind and window, with the
// correlation id and the replay command, within Teams's size limit; a card
// Teams refused is posted by the next caller.
func TestAlertsOncePerKind(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tm := teamstest.NewServer(teamstest.Config{})
	t.Cleanup(tm.Close)
	app, _, _ := opsApp(t, map[string]string{"TEAMS_WORKFLOW_URL": tm.URL()})
	a := app.Alerts()
	long := strings.Repeat("reason ", 10_000)
	n := kit.Notice{Kind: "dead-letter/int-test-shipped/oms/MaxDeliveryCountExceeded", CorrelationID: "ORD-7",
		Replay: "handler replay -dead-letter 3", Alert: teams.Alert{Title: "dead-lettered", Severity: teams.SeverityError,
			Facts: []teams.Fact{{Name: "Description", Value: long}}}}

	tm.FailNext(http.StatusServiceUnavailable, 1)
	_, err := a.Raise(ctx, n, 0)
	require.Error(t, err, "Teams refused the card")

	got, err := a.Raise(ctx, n, 0)
	require.NoError(t, err)
	require.Equal(t, kit.Posted, got, "the card Teams refused is posted next time")
	got, err = a.Raise(ctx, n, 500*time.Hour)
	require.NoError(t, err)
	require.Equal(t, kit.HeldBack, got, "a kind is posted once within its window")

	cards := tm.Cards()
	require.Len(t, cards, 1)
	var facts = map[string]string{}
	for _, el := range cards[0].Body {
		for _, f := range el.Facts {
			facts[f.Title] = f.Value
		}
	}
	require.Equal(t, "ORD-7", facts["Correlation id"])
	require.Equal(t, "handler replay -dead-letter 3", facts["Replay"])
	require.Contains(t, facts["Description"], teams.TruncatedMark)
	for _, c := range tm.Calls() {
		require.Less(t, c.Bytes, 20_001, "cards are cut under 20 KB")
	}

	other := n
	other.Kind = "poller-stopped/outbox-relay"
	got, err = a.Raise(ctx, other, 500*time.Hour)
	require.NoError(t, err)
	require.Equal(t, kit.Posted, got, "another kind has its own window")
}
