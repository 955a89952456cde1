package kit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/messaging"
)

var demo = kit.Flow{
	Name: "demo",
	Settings: []kit.Setting{
		{Name: "DEMO_URL", Description: "where", Check: kit.HTTPSURL, Functions: []string{"demo-hook"}},
		{Name: "DEMO_TOKEN", Description: "secret", Secret: true, Functions: []string{"demo-hook"}},
		{Name: "DEMO_RATE", Description: "rate", Default: "5", Check: kit.PositiveInt, Functions: []string{"demo-timer"}},
	},
	Register: func(r *kit.Registry) {
		r.HTTP("demo-hook", http.MethodPost, "demo", func(p *kit.Parts) (http.Handler, error) {
			_, _ = p.Setting("DEMO_URL"), p.Setting("DEMO_TOKEN")
			return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }), nil
		})
		r.Timer("demo-timer", "timer", func(p *kit.Parts) (kit.TimerFunc, error) {
			n := p.Int("DEMO_RATE")
			return func(context.Context, *azfunc.Timer) error { _ = n; return nil }, nil
		})
	},
}

func build(t *testing.T, env map[string]string, flows ...kit.Flow) (*kit.App, *azfunc.Server, *strings.Builder) {
	t.Helper()
	logs := &strings.Builder{}
	app, err := kit.New(kit.Config{Getenv: func(k string) string { return env[k] }, Flows: flows, Catalog: &messaging.Catalog{},
		Stdout: logs, Stderr: logs})
	require.NoError(t, err)
	srv, err := azfunc.NewServer(azfunc.Config{Logging: app.Logging(), Parker: app, Gate: app})
	require.NoError(t, err)
	app.Register(srv)
	t.Cleanup(app.Close)
	return app, srv, logs
}

func TestAMissingSettingStopsOnlyItsFunction(t *testing.T) {
	t.Parallel()
	app, srv, logs := build(t, map[string]string{"DEMO_URL": "not a url", "DEMO_TOKEN": "tok-TOPSECRET"}, demo)
	status := map[string]error{}
	for _, s := range app.Status() {
		status[s.Function] = s.Err
	}
	require.ErrorContains(t, status["demo-hook"], "DEMO_URL: is not an absolute http(s) URL")
	require.NoError(t, status["demo-timer"], "the default rate needs no setting")
	require.Equal(t, map[string]bool{"demo": false}, app.FlowsReady())
	require.Equal(t, map[string][]string{"demo-hook": {"DEMO_URL", "DEMO_TOKEN"}, "demo-timer": {"DEMO_RATE"}}, app.Reads())

	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	resp, err := http.Post(hs.URL+"/api/demo", "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "the stub answers like any transient failure")
	require.Contains(t, logs.String(), "demo-hook is not configured")
	app.Logger().Info("echo tok-TOPSECRET")
	require.NotContains(t, logs.String(), "TOPSECRET", "declared secrets are redacted even when the function is broken")
}

func TestReadingAnUndeclaredSettingPanics(t *testing.T) {
	t.Parallel()
	bad := kit.Flow{Name: "bad", Register: func(r *kit.Registry) {
		r.Timer("bad-timer", "timer", func(p *kit.Parts) (kit.TimerFunc, error) {
			p.Setting("NOBODY_DECLARED_THIS")
			return nil, nil
		})
	}}
	require.PanicsWithValue(t, "kit: flow bad reads setting NOBODY_DECLARED_THIS, which neither it nor the platform declares", func() {
		build(t, nil, bad)
	})
}

func TestASettingDeclaredTwiceIsRefusedUnlessAlike(t *testing.T) {
	t.Parallel()
	twice := kit.Flow{Name: "twice", Settings: []kit.Setting{{Name: "DATABASE_URL"}}, Register: func(*kit.Registry) {}}
	_, err := kit.New(kit.Config{Getenv: func(string) string { return "" }, Flows: []kit.Flow{twice}, Catalog: &messaging.Catalog{}})
	require.ErrorContains(t, err, "setting DATABASE_URL is declared by both platform and twice, differently")

	shared := kit.Setting{Name: "PARTNER_URL", Description: "the partner"}
	one, two := shared, shared
	one.Functions, two.Functions = []string{"a"}, []string{"b"}
	flows := []kit.Flow{{Name: "one", Settings: []kit.Setting{one}, Register: func(*kit.Registry) {}},
		{Name: "two", Settings: []kit.Setting{two}, Register: func(*kit.Registry) {}}}
	app, err := kit.New(kit.Config{Getenv: func(string) string { return "" }, Flows: flows, Catalog: &messaging.Catalog{}})
	require.NoError(t, err, "two flows may share a partner's setting, declared alike")
	for _, s := range app.Settings() {
		if s.Name == "PARTNER_URL" {
			require.Equal(t, []string{"a", "b"}, s.Functions, "listed once, with both flows' readers")
		}
	}
	two.Secret = true
	flows[1].Settings = []kit.Setting{two}
	_, err = kit.New(kit.Config{Getenv: func(string) string { return "" }, Flows: flows, Catalog: &messaging.Catalog{}})
	require.ErrorContains(t, err, "differently")
}
