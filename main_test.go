package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/infra"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/devhost"
	"github.com/popsockets/integration/shared/messaging"
)

// registered builds the server exactly as serve does, with no settings.
func registered(t *testing.T) []azfunc.Registration {
	t.Helper()
	cfg, cfgErr := loadConfig(func(string) string { return "" }, catalog())
	logging := azfunc.NewLogging(&strings.Builder{}, &strings.Builder{}, nil, nil)
	d := buildDeps(cfg, cfgErr, logging.Logger())
	srv, err := azfunc.NewServer(azfunc.Config{Logging: logging, Parker: d, Gate: d})
	require.NoError(t, err)
	register(srv, d)
	return srv.Registrations()
}

// TestFunctionFoldersMatchRegisteredHandlers holds functions/*/function.json
// and the handlers registered in the binary to one list, trigger by trigger.
func TestFunctionFoldersMatchRegisteredHandlers(t *testing.T) {
	t.Parallel()
	fns, err := devhost.LoadFunctions(".")
	require.NoError(t, err)
	regs := registered(t)
	var folders, handlers []string
	for _, f := range fns {
		folders = append(folders, f.Name)
	}
	for _, r := range regs {
		handlers = append(handlers, r.Name)
	}
	require.Equal(t, folders, handlers, "every function folder has a handler and every handler a folder")

	byName := map[string]azfunc.Registration{}
	for _, r := range regs {
		byName[r.Name] = r
	}
	for _, f := range fns {
		reg := byName[f.Name]
		trig := f.Trigger()
		require.Equal(t, trig.Type, reg.Kind, "function %s: trigger kind", f.Name)
		if reg.Kind == azfunc.KindHTTP {
			require.True(t, f.IsForwardedHTTP(), "function %s: HTTP functions are forwarded (one httpTrigger, one http output)", f.Name)
			require.Equal(t, strings.Trim(trig.Route, "/"), reg.Route, "function %s: route", f.Name)
			var methods []string
			for _, m := range trig.Methods {
				methods = append(methods, strings.ToUpper(m))
			}
			require.Equal(t, methods, reg.Methods, "function %s: methods", f.Name)
			continue
		}
		require.Equal(t, trig.Name, reg.Binding, "function %s: binding name", f.Name)
		require.Equal(t, trig.DataType == "binary", reg.Binary, "function %s: dataType binary", f.Name)
	}
}

func readSample(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("local.settings.sample.json")
	require.NoError(t, err)
	var f struct {
		IsEncrypted bool              `json:"IsEncrypted"`
		Values      map[string]string `json:"Values"`
	}
	require.NoError(t, json.Unmarshal(b, &f))
	require.False(t, f.IsEncrypted)
	return f.Values
}

// TestSettingsAreDeclared checks that every setting the code or a
// function.json reads is in local.settings.sample.json, that the sample holds
// nothing unknown, and that it carries no secret value.
func TestSettingsAreDeclared(t *testing.T) {
	t.Parallel()
	sample := readSample(t)
	cat := catalog()
	fns, err := devhost.LoadFunctions(".")
	require.NoError(t, err)
	for _, err := range devhost.Check(fns, cat, sample) {
		t.Error(err)
	}
	known := map[string]bool{"FUNCTIONS_WORKER_RUNTIME": true, "AzureWebJobsStorage": true}
	for _, s := range settings {
		known[s.Name] = true
		_, ok := sample[s.Name]
		require.True(t, ok, "setting %s is read by the code but missing from local.settings.sample.json", s.Name)
		if s.Secret {
			require.Empty(t, sample[s.Name], "the sample must not carry a value for secret %s", s.Name)
		}
	}
	for _, tp := range cat.Topics {
		known[tp.Setting] = true
		require.Contains(t, sample, tp.Setting, "topic setting %s is missing from the sample", tp.Setting)
		require.Equal(t, cat.EntityName("dev", tp.Name), sample[tp.Setting], "topic %s follows int-{env}-{topic}", tp.Name)
	}
	for _, f := range fns {
		for _, ref := range f.SettingRefs() {
			known[ref] = true
		}
	}
	var unknown []string
	for k := range sample {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	require.Empty(t, unknown, "local.settings.sample.json declares settings nothing reads")
}

func TestEmbeddedMessagingCatalogIsTheFileInInfra(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("infra", "messaging.json"))
	require.NoError(t, err)
	require.Equal(t, string(b), string(infra.MessagingJSON))
	_, err = messaging.Parse(b)
	require.NoError(t, err)
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"ENVIRONMENT":          "prod",
		"DATABASE_URL":         "postgres://app:S3cr3t%2Fpw@db.internal:5432/integration",
		"ServiceBusConnection": "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=K3yK3yK3yK3y=",
		"LOG_LEVEL":            "debug",
	}
	for _, tp := range catalog().Topics {
		env[tp.Setting] = catalog().EntityName("prod", tp.Name)
	}
	cfg, err := loadConfig(func(k string) string { return env[k] }, catalog())
	require.NoError(t, err)
	require.Equal(t, "prod", cfg.Environment)
	require.Contains(t, cfg.secrets, "S3cr3t/pw", "a URL's password is redacted on its own")
	require.Contains(t, cfg.secrets, "K3yK3yK3yK3y=", "a connection string's key is redacted on its own")

	_, err = loadConfig(func(string) string { return "" }, catalog())
	require.ErrorContains(t, err, "DATABASE_URL is not set")
	require.ErrorContains(t, err, "ENVIRONMENT is not set")
	_, err = loadConfig(func(k string) string {
		return map[string]string{"LOG_LEVEL": "loud", "DATABASE_URL": "x", "ENVIRONMENT": "dev"}[k]
	}, catalog())
	require.ErrorContains(t, err, `LOG_LEVEL "loud"`)
}

func TestEDICommandIsWired(t *testing.T) {
	t.Parallel()
	var out, errOut strings.Builder
	getenv := func(string) string { return "" }
	require.Equal(t, 0, run(context.Background(), []string{"edi", "validate", "shared/x12/testdata/850.edi"}, getenv, &out, &errOut), errOut.String())
	out.Reset()
	require.Equal(t, 1, run(context.Background(), []string{"edi", "validate", "shared/x12/testdata/invalid/envelope.edi"}, getenv, &out, &errOut))
	require.Contains(t, out.String(), "envelope.edi: segment 1 (ISA), element 9: invalid date")
	require.Equal(t, 2, run(context.Background(), []string{"nonsense"}, getenv, &out, &errOut))
}
