package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/infra"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/devhost"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/messaging"
)

// built is the app and server exactly as serve builds them, from settings.
func built(t *testing.T, values map[string]string) (*kit.App, *azfunc.Server) {
	t.Helper()
	app, srv, err := build(func(k string) string { return values[k] }, &strings.Builder{}, &strings.Builder{}, options{})
	require.NoError(t, err)
	t.Cleanup(app.Close)
	return app, srv
}

// declaredSettings are the platform's, the topics' and every flow's
// settings, and who declares each.
func declaredSettings(t *testing.T) ([]kit.Setting, map[string]string) {
	t.Helper()
	app, _ := built(t, nil)
	owner := map[string]string{}
	for _, s := range app.Settings() {
		owner[s.Name] = "the platform"
	}
	for _, tp := range catalog().Topics {
		owner[tp.Setting] = "topic " + tp.Name
	}
	for _, f := range app.Flows() {
		for _, s := range f.Settings {
			owner[s.Name] = "flow " + f.Name
		}
	}
	return app.Settings(), owner
}

// TestFunctionFoldersMatchRegisteredHandlers holds functions/*/function.json
// and the handlers registered in the binary to one list, trigger by trigger.
func TestFunctionFoldersMatchRegisteredHandlers(t *testing.T) {
	t.Parallel()
	fns, err := devhost.LoadFunctions(".")
	require.NoError(t, err)
	_, srv := built(t, nil)
	regs := srv.Registrations()
	var folders, handlers []string
	for _, f := range fns {
		folders = append(folders, f.Name)
	}
	for _, r := range regs {
		handlers = append(handlers, r.Name)
	}
	sort.Strings(folders) // LoadFunctions sorts by path: "arena-item-poll/..." before "arena-item/..."
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
// function.json reads is in local.settings.sample.json with its default,
// that the sample holds nothing unknown, and that it carries no secret value.
func TestSettingsAreDeclared(t *testing.T) {
	t.Parallel()
	sample := readSample(t)
	cat := catalog()
	fns, err := devhost.LoadFunctions(".")
	require.NoError(t, err)
	for _, err := range devhost.Check(fns, cat, sample) {
		t.Error(err)
	}
	table, _ := declaredSettings(t)
	known := map[string]bool{"FUNCTIONS_WORKER_RUNTIME": true, "AzureWebJobsStorage": true}
	for _, s := range table {
		known[s.Name] = true
		v, ok := sample[s.Name]
		require.True(t, ok, "setting %s is declared but missing from local.settings.sample.json", s.Name)
		if s.Secret {
			require.Empty(t, v, "the sample must not carry a value for secret %s", s.Name)
		} else if s.Default != "" {
			require.Equal(t, s.Default, v, "the sample carries %s's default", s.Name)
		}
	}
	for _, tp := range cat.Topics {
		require.Equal(t, cat.EntityName("dev", tp.Name), sample[tp.Setting], "topic %s follows int-{env}-{topic}", tp.Name)
	}
	for _, f := range fns {
		for _, ref := range f.SettingRefs() {
			require.True(t, known[ref], "function %s reads %%%s%%, which no flow declares", f.Name, ref)
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

// TestFlowSettingsDeclareWhoReadsThem holds each flow setting's Functions
// to the functions whose build reads it, and each timer's schedule setting
// to a Host setting of its flow.
func TestFlowSettingsDeclareWhoReadsThem(t *testing.T) {
	t.Parallel()
	app, _ := built(t, readSample(t))
	reads := app.Reads()
	flowOf := map[string]bool{}
	for _, f := range app.Flows() {
		for _, s := range f.Settings {
			flowOf[s.Name] = true
		}
	}
	for _, s := range app.Settings() { // a setting several flows share is listed once, with all their readers
		if !flowOf[s.Name] {
			continue
		}
		if s.Host {
			require.Empty(t, s.Functions, "host setting %s is read by the host, not by a function's build", s.Name)
			continue
		}
		var readers []string
		for fn, names := range reads {
			if slices.Contains(names, s.Name) {
				readers = append(readers, fn)
			}
		}
		sort.Strings(readers)
		declared := slices.Clone(s.Functions)
		sort.Strings(declared)
		require.Equal(t, declared, readers, "setting %s is read by exactly the functions that declare it", s.Name)
	}
	fns, err := devhost.LoadFunctions(".")
	require.NoError(t, err)
	host := map[string]bool{}
	for _, f := range app.Flows() {
		for _, s := range f.Settings {
			if s.Host {
				host[s.Name] = true
			}
		}
	}
	for _, f := range fns {
		if trig := f.Trigger(); trig.Type == "timerTrigger" {
			name := strings.Trim(trig.Schedule, "%")
			require.True(t, host[name], "timer %s: its schedule setting %s is declared as a Host setting of its flow", f.Name, name)
		}
	}
}

func TestEmbeddedMessagingCatalogIsTheFileInInfra(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("infra", "messaging.json"))
	require.NoError(t, err)
	require.Equal(t, string(b), string(infra.MessagingJSON))
	_, err = messaging.Parse(b)
	require.NoError(t, err)
}

// TestAMissingSettingStopsOnlyTheFunctionsThatReadIt builds the app from
// the sample with one partner unconfigured: only that partner's functions
// are stubs, each naming the setting; config check says the same and fails.
func TestAMissingSettingStopsOnlyTheFunctionsThatReadIt(t *testing.T) {
	t.Parallel()
	values := readSample(t)
	for _, k := range []string{"OMS_API_TOKEN", "OMS_WEBHOOK_SECRETS", "CIRRO_APP_TOKEN", "CIRRO_WEBHOOK_SECRETS", "XB_API_KEY", "OMS_AES_KEY"} {
		values[k] = "whsec_" + strings.Repeat("A", 32)
	}
	values["OMS_AES_KEY"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	values["OMS_AES_KEY_ID"] = "k1"
	values["DATABASE_URL"] = "postgres://app:pw@127.0.0.1:1/integration"
	values["DEVHOST_URL"] = "http://127.0.0.1:1"
	values["OMS_BASE_URL"], values["CIRRO_BASE_URL"], values["XB_BASE_URL"] = "https://oms.example", "https://cirro.example", "https://xb.example"
	values["SHIP_METHODS"] = `{"cirro":{"STANDARD":"USPS_GROUND"}}`
	values["CIRRO_APP_KEY"] = "app"
	for k, v := range map[string]string{"SPS_SFTP_ADDR": "sftp.spscommerce.com:10022", "SPS_SFTP_USER": "popsockets", "SPS_SFTP_PASSWORD": "pw",
		"SPS_SFTP_KNOWN_HOSTS": "[sftp.spscommerce.com]:10022 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKLzLt2DFeZmrAXCmq/LzWbeDxF3YzWDcVnnXoS6nMcz",
		"NAV_SFTP_ADDR":        "nav-sftp.example:22", "NAV_SFTP_USER": "edi", "NAV_SFTP_PASSWORD": "pw",
		"NAV_SFTP_KNOWN_HOSTS": "[nav-sftp.example]:22 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKLzLt2DFeZmrAXCmq/LzWbeDxF3YzWDcVnnXoS6nMcz",
		"NAV_BASE_URL":         "https://nav.example:7047/DynamicsNAV/WS/PopSockets", "NAV_USER": `POPCORP\svc`, "NAV_PASSWORD": "pw",
		"BlobStorage__blobServiceUri": "https://st.blob.core.windows.net",
		"PRINTSTATION_BASE_URL":       "https://ps.example", "PRINTSTATION_API_KEY": "k", "PRINTSTATION_WEBHOOK_SECRETS": "whsec_" + strings.Repeat("A", 32),
		"IMAGE_VALIDATOR_BASE_URL": "https://iv.example", "IMAGE_VALIDATOR_TOKEN_URL": "https://iv.example/token", "IMAGE_VALIDATOR_CLIENT_ID": "c", "IMAGE_VALIDATOR_CLIENT_SECRET": "s"} {
		values[k] = v
	}
	configureChinaAndProduct(values) // china_test.go
	values["BLOB_LOCAL_DIR"] = t.TempDir()
	values["GLADLY_SIGNING_KEYS"] = "key"
	app, _ := built(t, values)
	for _, s := range app.Status() {
		require.NoError(t, s.Err, "%s is configured", s.Function)
	}

	values["XB_BASE_URL"] = ""
	values["CIRRO_RATE_PER_MINUTE"] = "lots"
	app, _ = built(t, values)
	broken := map[string]string{}
	for _, s := range app.Status() {
		if s.Err != nil {
			broken[s.Function] = s.Err.Error()
		}
	}
	require.Len(t, broken, 4, "only the functions that read the settings stop: %v", broken)
	require.Contains(t, broken["xb-fulfill"], "XB_BASE_URL is not set")
	for _, fn := range []string{"cirro-fulfill", "inventory-export", "inventory-export-daily"} {
		require.Contains(t, broken[fn], "CIRRO_RATE_PER_MINUTE: is not a positive whole number", "every reader of Cirro's settings")
	}
	require.NotContains(t, broken["cirro-fulfill"], "lots", "the value is not echoed")
	require.Equal(t, map[string]bool{"platform": true, "fulfillment": false, "edi": true, "print": true, "china": true, "product": true,
		"gladly": true, "data": false}, app.FlowsReady())

	var out, errOut strings.Builder
	require.Equal(t, 1, checkConfig(app, &out, false))
	require.Contains(t, out.String(), "xb-fulfill")
	require.Contains(t, out.String(), "missing: XB_BASE_URL is not set")
	require.Regexp(t, `fulfillment\s+fulfillment-request\s+ready`, out.String())
	_ = errOut
}

// TestRedactionDoesNotDependOnTheRestOfTheConfiguration: a malformed
// setting must not turn redaction off (it once returned before the secrets
// were collected).
func TestRedactionDoesNotDependOnTheRestOfTheConfiguration(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	values := map[string]string{"CIRRO_RATE_PER_MINUTE": "not-a-number", "LOG_LEVEL": "loud", "CIRRO_APP_TOKEN": "tok-SUPERSECRET-42"}
	app, _, err := build(func(k string) string { return values[k] }, &out, &out, options{})
	require.NoError(t, err)
	defer app.Close()
	app.Logger().Error("partner said", "error", "token tok-SUPERSECRET-42 refused")
	require.NotContains(t, out.String(), "SUPERSECRET")
	require.Contains(t, out.String(), azfunc.Redacted)
	var problems []string
	for _, p := range app.Problems() {
		problems = append(problems, p.Error())
	}
	require.Contains(t, strings.Join(problems, "\n"), "LOG_LEVEL: is not one of debug, info, warn, error", "every problem is reported")
}

func TestEDICommandIsWired(t *testing.T) {
	t.Parallel()
	var out, errOut strings.Builder
	getenv := func(string) string { return "" }
	require.Equal(t, 0, run(context.Background(), []string{"edi", "validate", "shared/x12/testdata/850.edi"}, getenv, nil, &out, &errOut), errOut.String())
	out.Reset()
	require.Equal(t, 1, run(context.Background(), []string{"edi", "validate", "shared/x12/testdata/invalid/envelope.edi"}, getenv, nil, &out, &errOut))
	require.Contains(t, out.String(), "envelope.edi: segment 1 (ISA), element 9: invalid date")
	require.Equal(t, 2, run(context.Background(), []string{"nonsense"}, getenv, nil, &out, &errOut))
}

// TestProductionBinaryCarriesNoFakes: the deployed handler links no partner
// fake, no throwaway PostgreSQL and no local host; those live in the
// development binary tools/devrun.
func TestProductionBinaryCarriesNoFakes(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, pkg := range strings.Fields(string(out)) {
		if !strings.HasPrefix(pkg, "github.com/popsockets/integration/") {
			continue
		}
		require.False(t, strings.HasSuffix(pkg, "test"), "the handler links the fake %s", pkg)
		for _, dev := range []string{"/pglocal", "/shared/devhost", "/localpartners", "/fakeserver"} {
			require.NotContains(t, pkg, dev, "the handler links the development package %s", pkg)
		}
	}
	dev, err := exec.Command("go", "list", "-deps", "./tools/devrun").CombinedOutput()
	require.NoError(t, err, "%s", dev)
	require.Contains(t, string(dev), "github.com/popsockets/integration/shared/cirro/cirrotest", "the fakes are in the development binary")
}

// TestEverySubscriptionHasOneConsumer holds infra/messaging.json's
// subscriptions to the functions: each one is consumed by exactly one
// function.json of this app (a subscription another system reads would be
// declared by that system, not here), so no message piles up unread.
func TestEverySubscriptionHasOneConsumer(t *testing.T) {
	t.Parallel()
	fns, err := devhost.LoadFunctions(".")
	require.NoError(t, err)
	consumers := map[string][]string{}
	for _, f := range fns {
		if trig := f.Trigger(); trig.Type == "serviceBusTrigger" {
			k := strings.Trim(trig.TopicName, "%") + "/" + trig.SubscriptionName
			consumers[k] = append(consumers[k], f.Name)
		}
	}
	for _, tp := range catalog().Topics {
		for _, s := range tp.Subscriptions {
			k := tp.Setting + "/" + s.Name
			if s.ConsumedBy != "" {
				require.Empty(t, consumers[k], "subscription %s of topic %s is read by %s, not by a function here", s.Name, tp.Name, s.ConsumedBy)
				continue
			}
			require.Len(t, consumers[k], 1, "subscription %s of topic %s: consumed by %v", s.Name, tp.Name, consumers[k])
			delete(consumers, k)
		}
	}
	require.Empty(t, consumers, "functions consume subscriptions messaging.json does not declare")
}
