package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/infra/check"
	"github.com/popsockets/integration/shared/devhost"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/messaging"
)

// The app settings the Bicep declares are held to what the code reads:
// the settings the platform and each flow declare (shared/kit), every
// %SETTING% of a function.json, and one
// TOPIC_* setting per topic of infra/messaging.json. These lists are the
// exceptions, each with its reason.

// hostSettings are read by the Functions host, not by the handler.
var hostSettings = map[string]string{
	"AzureWebJobsStorage__accountName":          "host storage (timer leases, keys) reached with the app's identity",
	"APPLICATIONINSIGHTS_CONNECTION_STRING":     "where the host sends requests and the handler's log lines",
	"APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "the host authenticates telemetry with Entra ID; Application Insights has local auth off",
}

// unsetInAzure are read by the code but deliberately absent from Azure: not
// declared, not even empty, so that no one fills them with a key.
var unsetInAzure = map[string]string{
	"ServiceBusConnection": "the connection-string variant; in Azure the identity uses ServiceBusConnection__fullyQualifiedNamespace",
	"BlobStorage":          "the connection-string variant; in Azure the identity uses BlobStorage__blobServiceUri",
}

// forbiddenInAzure must never be an app setting of the Flex Consumption app.
var forbiddenInAzure = map[string]string{
	"FUNCTIONS_WORKER_RUNTIME":                 "Flex rejects it; functionAppConfig.runtime is {name: 'custom'}",
	"FUNCTIONS_EXTENSION_VERSION":              "Flex rejects it; the plan fixes the host version",
	"WEBSITE_RUN_FROM_PACKAGE":                 "Flex always runs from its deployment container",
	"WEBSITE_CONTENTSHARE":                     "Flex has no content share",
	"WEBSITE_CONTENTAZUREFILECONNECTIONSTRING": "Flex has no content share",
	"AzureWebJobsStorage":                      "a connection string; shared keys are off, the host uses AzureWebJobsStorage__accountName",
}

// environments are the parameter files under infra/params.
var environments = []string{"dev", "test", "prod"}

// timerParam is one entry of a .bicepparam file's `timers` parameter.
type timerParam struct {
	Function        string `json:"function"`
	Setting         string `json:"setting"`
	Schedule        string `json:"schedule"`
	IntervalMinutes int    `json:"intervalMinutes"`
}

// envParams is what one environment's .bicepparam file sets that concerns
// app settings.
type envParams struct {
	appConfig map[string]json.RawMessage
	absent    []string
	timers    []timerParam
}

// azureSettings is what the app-settings rules look at.
type azureSettings struct {
	table []kit.Setting
	// owner names who declares each setting of table (the platform, a flow).
	owner     map[string]string
	functions []*devhost.Function
	catalog   *messaging.Catalog
	sample    map[string]string
	// bicep is main.bicep's literal app settings: name to value expression.
	bicep map[string]string
	// keyVault is main.bicep's keyVaultSettings: settings valued by Key Vault references.
	keyVault []string
	// envs is each environment's parameters; nil when its file sets none.
	envs map[string]*envParams
}

var settingRefPattern = regexp.MustCompile(`^%([A-Za-z0-9_]+)%$`)

// logAlertWindows are the window sizes (minutes) a log alert rule accepts.
var logAlertWindows = map[int]bool{5: true, 10: true, 15: true, 30: true, 45: true, 60: true, 120: true,
	180: true, 240: true, 300: true, 360: true, 1440: true, 2880: true}

// problems applies every rule and returns what is wrong, one line each.
func (a azureSettings) problems() []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	// What the code and the functions read, and who reads it.
	required := map[string]string{}
	local, secret := map[string]bool{}, map[string]bool{}
	for _, s := range a.table {
		if s.Local {
			local[s.Name] = true
			continue
		}
		if s.Host {
			continue // read through the function.json that names it
		}
		required[s.Name] = a.owner[s.Name]
		secret[s.Name] = s.Secret
	}
	topicSettings := map[string]bool{}
	for _, t := range a.catalog.Topics {
		required[t.Setting] = "topic " + t.Name
		topicSettings[t.Setting] = true
	}
	schedules := map[string]string{} // timer function -> its schedule setting
	for _, f := range a.functions {
		for _, ref := range f.SettingRefs() {
			required[ref] = "function " + f.Name
		}
		if trig := f.Trigger(); trig != nil && trig.Type == "timerTrigger" {
			m := settingRefPattern.FindStringSubmatch(trig.Schedule)
			if m == nil {
				add("function %s: schedule %q must be an app setting (%%NAME%%), set per environment in infra/params", f.Name, trig.Schedule)
				continue
			}
			schedules[f.Name] = m[1]
		}
	}

	// main.bicep's literal settings.
	for name, value := range a.bicep {
		switch _, read := required[name]; {
		case unsetInAzure[name] != "":
			add("%s is declared in main.bicep but stays unset in Azure: %s", name, unsetInAzure[name])
		case forbiddenInAzure[name] != "":
			add("%s must not be an app setting: %s", name, forbiddenInAzure[name])
		case local[name]:
			add("%s is a local-only setting and must not be set in Azure", name)
		case secret[name]:
			add("%s is a secret: list it in keyVaultSettings instead of giving it the value %s", name, value)
		case topicSettings[name]:
			add("%s is generated from messaging.json; main.bicep must not also declare it", name)
		case read, hostSettings[name] != "":
		default:
			add("main.bicep declares app setting %s, which nothing reads (not a declared setting, a function.json or messaging.json; not a host setting)", name)
		}
	}
	for _, f := range a.functions {
		for _, b := range f.Bindings {
			if b.Connection == "" {
				continue
			}
			found := false
			for name := range a.bicep {
				found = found || strings.HasPrefix(name, b.Connection+"__")
			}
			if !found {
				add("function %s: connection %s has no identity-based setting %s__... in main.bicep", f.Name, b.Connection, b.Connection)
			}
		}
	}

	// Secrets come from Key Vault, all of them, and nothing else does.
	inVault := map[string]bool{}
	for _, name := range a.keyVault {
		if inVault[name] {
			add("keyVaultSettings lists %s twice", name)
		}
		inVault[name] = true
		if !secret[name] || unsetInAzure[name] != "" {
			add("keyVaultSettings lists %s, which is not a secret setting read in Azure", name)
		}
	}
	for name, isSecret := range secret {
		if isSecret && unsetInAzure[name] == "" && !inVault[name] {
			add("%s is a secret: add it to keyVaultSettings in main.bicep (its value comes from Key Vault)", name)
		}
	}

	// Each environment covers everything that is read.
	for _, env := range environments {
		p := a.envs[env]
		if p == nil {
			add("%s: infra/params/%s.bicepparam must set appConfig and timers as literals", env, env)
			continue
		}
		declared := map[string]string{}
		for name := range a.bicep {
			declared[name] = "main.bicep"
		}
		for name := range topicSettings {
			declared[name] = "messaging.json"
		}
		for name := range inVault {
			declared[name] = "keyVaultSettings"
		}
		for name := range p.appConfig {
			if where, dup := declared[name]; dup {
				add("%s: appConfig sets %s, which %s already sets", env, name, where)
			}
			declared[name] = "appConfig"
			switch _, read := required[name]; {
			case secret[name]:
				add("%s: appConfig sets secret %s; secrets come from Key Vault (keyVaultSettings)", env, name)
			case !read:
				add("%s: appConfig sets %s, which nothing reads", env, name)
			}
		}
		for _, name := range p.absent {
			if !inVault[name] {
				add("%s: absentSecretSettings lists %s, which is not in keyVaultSettings", env, name)
			}
		}
		seen := map[string]bool{}
		for _, t := range p.timers {
			if where, dup := declared[t.Setting]; dup {
				add("%s: timer setting %s is also set by %s", env, t.Setting, where)
			}
			declared[t.Setting] = "timers"
			want, ok := schedules[t.Function]
			switch {
			case !ok:
				add("%s: timers names %q, which is not a timer function", env, t.Function)
				continue
			case seen[t.Function]:
				add("%s: timers names %q twice", env, t.Function)
			case t.Setting != want:
				add("%s: timer %s: setting %s, but its function.json reads %%%s%%", env, t.Function, t.Setting, want)
			}
			seen[t.Function] = true
			if err := checkInterval(t); err != nil {
				add("%s: timer %s: %v", env, t.Function, err)
			}
		}
		for fn := range schedules {
			if !seen[fn] {
				add("%s: timer function %s is missing from the timers parameter (its schedule setting and its missed-run alert)", env, fn)
			}
		}
		for name, who := range required {
			if _, ok := declared[name]; !ok && unsetInAzure[name] == "" {
				add("%s: %s (read by %s) is not an app setting: add it to main.bicep, appConfig or keyVaultSettings", env, name, who)
			}
		}
	}

	// The sample declares everything the code reads.
	for name, who := range required {
		if _, ok := a.sample[name]; !ok {
			add("%s (read by %s) is missing from local.settings.sample.json", name, who)
		}
	}
	sort.Strings(out)
	return out
}

var ncrontab = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// checkInterval holds a timer's intervalMinutes to its NCRONTAB schedule
// (the longest gap between two runs over a week), and the missed-run
// alert's window (alerts.bicep: three intervals, at least 5 minutes, at
// most 2 days) to a size Azure Monitor accepts.
func checkInterval(t timerParam) error {
	sched, err := ncrontab.Parse(t.Schedule)
	if err != nil {
		return fmt.Errorf("schedule %q is not a six-field NCRONTAB expression: %w", t.Schedule, err)
	}
	if t.IntervalMinutes <= 0 {
		return fmt.Errorf("intervalMinutes %d must be positive", t.IntervalMinutes)
	}
	start := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	prev, longest := sched.Next(start), time.Duration(0)
	for prev.Before(start.Add(7 * 24 * time.Hour)) {
		next := sched.Next(prev)
		longest = max(longest, next.Sub(prev))
		prev = next
	}
	if got := int(longest / time.Minute); got != t.IntervalMinutes {
		return fmt.Errorf("intervalMinutes is %d, but schedule %q runs every %d minutes at most", t.IntervalMinutes, t.Schedule, got)
	}
	// The missed-run alert's window comes from intervalMinutes by
	// alerts.bicep's rounding (TestTimerWindowsAreAzureMonitorsSizes).
	return nil
}

// timerWindow is alerts.bicep's timerWindowMinutes for one timer: three
// intervals rounded up to a window size, at most 2 days.
func timerWindow(interval int) int {
	sizes := slices.Sorted(maps.Keys(logAlertWindows))
	for _, w := range sizes {
		if 3*interval <= w {
			return w
		}
	}
	return sizes[len(sizes)-1]
}

// TestTimerWindowsAreAzureMonitorsSizes holds alerts.bicep's rounding to
// the window sizes a log alert accepts, and to timerWindow.
func TestTimerWindowsAreAzureMonitorsSizes(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("infra", "modules", "alerts.bicep"))
	require.NoError(t, err)
	line := regexp.MustCompile(`(?m)^var timerWindowMinutes = \[for t in timers: (.*)\]$`).FindSubmatch(b)
	require.NotNil(t, line, "alerts.bicep declares timerWindowMinutes on one line")
	var sizes []int
	for _, m := range regexp.MustCompile(`3 \* t\.intervalMinutes <= (\d+) \? (\d+)`).FindAllSubmatch(line[1], -1) {
		require.Equal(t, string(m[1]), string(m[2]), "rounds up to the size it compares with")
		n, _ := strconv.Atoi(string(m[1]))
		sizes = append(sizes, n)
	}
	require.True(t, bytes.HasSuffix(line[1], []byte(": 2880")), "at most 2 days")
	all := slices.Sorted(maps.Keys(logAlertWindows))
	require.Equal(t, all[:len(all)-1], sizes, "every size Azure Monitor accepts, in order")
	for interval, want := range map[int]int{1: 5, 5: 15, 20: 60, 30: 120, 60: 180, 1440: 2880} {
		require.Equal(t, want, timerWindow(interval), "every %d minutes", interval)
	}
}

// outlineInfra parses main.bicep and the parameter files once per test binary.
var outlineInfra = sync.OnceValues(func() (*check.Report, error) {
	r, err := check.NewRunner(".")
	if err != nil {
		return nil, err
	}
	files := []string{filepath.Join("infra", "main.bicep")}
	for _, env := range environments {
		files = append(files, filepath.Join("infra", "params", env+".bicepparam"))
	}
	return r.Outline(context.Background(), files...)
})

// readAzureSettings reads the real inputs: the settings table, the function
// folders, the catalog, the sample, main.bicep and the parameter files.
// Each call returns its own copy, free to change.
func readAzureSettings(t *testing.T) azureSettings {
	t.Helper()
	fns, err := devhost.LoadFunctions(".")
	require.NoError(t, err)
	rep, err := outlineInfra()
	require.NoError(t, err, "the Bicep checks cannot run")

	main := rep.Files[0]
	catalogVar, ok := main.Var("catalog")
	require.True(t, ok, "main.bicep loads the catalog into var catalog")
	require.Contains(t, catalogVar.Text, "loadJsonContent('messaging.json')")
	topics, ok := main.Var("topicSettings")
	require.True(t, ok, "main.bicep builds var topicSettings from the catalog")
	for _, part := range []string{"catalog.topics", "t.setting", "catalog.topicNamePattern", "'{env}', envName"} {
		require.Contains(t, topics.Text, part)
	}
	timers, ok := main.Var("timerSettings")
	require.True(t, ok, "main.bicep builds var timerSettings from the timers parameter")
	require.Equal(t, "toObject(timers, t => t.setting, t => t.schedule)", timers.Text)
	secrets, ok := main.Var("secretSettings")
	require.True(t, ok, "main.bicep builds var secretSettings from keyVaultSettings")
	require.Contains(t, secrets.Text, "'@Microsoft.KeyVault(VaultName=${names.keyVault};SecretName=")
	kv, ok := main.Var("keyVaultSettings")
	require.True(t, ok, "main.bicep lists the secret settings in var keyVaultSettings")
	require.NotEmpty(t, kv.Value, "keyVaultSettings is a literal list")
	var keyVault []string
	require.NoError(t, json.Unmarshal(kv.Value, &keyVault))
	app, ok := main.Var("appSettings")
	require.True(t, ok, "main.bicep collects the app settings in var appSettings")
	require.ElementsMatch(t, []string{"appConfig", "secretSettings", "topicSettings", "timerSettings"}, app.Spreads,
		"appSettings is union({literal settings}, appConfig, secretSettings, topicSettings, timerSettings)")
	bicep := map[string]string{}
	for _, k := range app.Keys {
		require.NotContains(t, bicep, k.Name, "app setting %s declared twice", k.Name)
		bicep[k.Name] = k.Value
	}

	table, owner := declaredSettings(t)
	a := azureSettings{
		table: table, owner: owner, functions: fns, catalog: catalog(), sample: readSample(t),
		bicep: bicep, keyVault: keyVault, envs: map[string]*envParams{},
	}
	for i, env := range environments {
		f := rep.Files[i+1]
		envName, ok := f.Assignment("envName")
		require.True(t, ok, "%s sets envName", f.Path)
		require.JSONEq(t, fmt.Sprintf("%q", env), string(envName.Value), "%s sets envName to its own name", f.Path)
		cfg, okCfg := f.Assignment("appConfig")
		tp, okTimers := f.Assignment("timers")
		if !okCfg || !okTimers || len(cfg.Value) == 0 || len(tp.Value) == 0 {
			continue // reported by problems()
		}
		p := &envParams{}
		require.NoError(t, json.Unmarshal(cfg.Value, &p.appConfig), "%s: appConfig", f.Path)
		require.NoError(t, json.Unmarshal(tp.Value, &p.timers), "%s: timers", f.Path)
		if ab, ok := f.Assignment("absentSecretSettings"); ok {
			require.NoError(t, json.Unmarshal(ab.Value, &p.absent), "%s: absentSecretSettings is a literal list", f.Path)
		}
		a.envs[env] = p
	}
	return a
}

// TestAzureAppSettingsMatchTheCode: every setting the code, a function.json
// or the catalog needs is an app setting in Bicep (for every environment)
// and in local.settings.sample.json; Bicep declares nothing else beyond the
// host's own settings; every secret is a Key Vault reference and only
// secrets are; every timer has its schedule and its missed-run alert.
func TestAzureAppSettingsMatchTheCode(t *testing.T) {
	t.Parallel()
	a := readAzureSettings(t)
	require.Empty(t, a.problems())
	for name, reason := range hostSettings {
		require.Contains(t, a.bicep, name, "host setting %s (%s)", name, reason)
	}
	for name := range unsetInAzure {
		require.NotContains(t, a.bicep, name)
	}
}

// TestAzureAppSettingsWithManyTopics: with many more topics in the catalog
// and functions that read their settings, main.bicep needs no edit; only the
// sample must name the new settings.
func TestAzureAppSettingsWithManyTopics(t *testing.T) {
	t.Parallel()
	a := readAzureSettings(t)
	before := a.problems()
	b, err := os.ReadFile(filepath.Join("infra", "check", "testdata", "many-topics.json"))
	require.NoError(t, err)
	fixture, err := messaging.Parse(b)
	require.NoError(t, err)
	merged := *a.catalog
	merged.Topics = slices.Clone(a.catalog.Topics)
	for _, tp := range fixture.Topics {
		// Renamed, so the fixture adds topics however many the flows declare.
		tp.Name = "fixture-" + tp.Name
		tp.Setting = "TOPIC_FIXTURE_" + strings.TrimPrefix(tp.Setting, "TOPIC_")
		merged.Topics = append(merged.Topics, tp)
	}
	require.Greater(t, len(merged.Topics), len(a.catalog.Topics), "the fixture adds topics")
	a.catalog = &merged
	a.sample = clone(a.sample)
	a.functions = slices.Clone(a.functions)
	for _, tp := range merged.Topics {
		a.sample[tp.Setting] = merged.EntityName("dev", tp.Name)
		for _, s := range tp.Subscriptions {
			a.functions = append(a.functions, &devhost.Function{Name: "fixture-" + tp.Name + "-" + s.Name, Bindings: []devhost.Binding{{
				Type: "serviceBusTrigger", Direction: "in", Name: "msg", Connection: "ServiceBusConnection",
				TopicName: "%" + tp.Setting + "%", SubscriptionName: s.Name,
			}}})
		}
	}
	require.Subset(t, before, a.problems(), "many topics need no Bicep edit")

	delete(a.sample, "TOPIC_PRODUCTS")
	// Named by the topic, or by a function that reads it once the topic is real (the product flow's).
	require.True(t, slices.ContainsFunc(a.problems(), func(p string) bool {
		return strings.HasPrefix(p, "TOPIC_PRODUCTS (read by ") && strings.HasSuffix(p, ") is missing from local.settings.sample.json")
	}), "%v", a.problems())
}

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestAzureAppSettingsCheckCanFail breaks one thing at a time and expects
// the rule that catches it.
func TestAzureAppSettingsCheckCanFail(t *testing.T) {
	t.Parallel()
	timer := func(fn, schedule string) *devhost.Function {
		return &devhost.Function{Name: fn, Bindings: []devhost.Binding{{Type: "timerTrigger", Direction: "in", Name: "timer", Schedule: schedule}}}
	}
	cases := map[string]struct {
		change func(a *azureSettings)
		want   string
	}{
		"ASettingTheCodeReadsIsNotInBicep": {
			func(a *azureSettings) { delete(a.bicep, "ENVIRONMENT") },
			"dev: ENVIRONMENT (read by the platform) is not an app setting",
		},
		"BicepDeclaresASettingNothingReads": {
			func(a *azureSettings) { a.bicep["LEGACY_CAMEL_URL"] = "'x'" },
			"main.bicep declares app setting LEGACY_CAMEL_URL, which nothing reads",
		},
		"TheConnectionStringVariantIsDeclared": {
			func(a *azureSettings) { a.bicep["ServiceBusConnection"] = "''" },
			"ServiceBusConnection is declared in main.bicep but stays unset in Azure",
		},
		"FlexRejectsTheWorkerRuntimeSetting": {
			func(a *azureSettings) { a.bicep["FUNCTIONS_WORKER_RUNTIME"] = "'custom'" },
			"FUNCTIONS_WORKER_RUNTIME must not be an app setting: Flex rejects it",
		},
		"ALocalOnlySettingIsDeclared": {
			func(a *azureSettings) { a.bicep["DEVHOST_URL"] = "''" },
			"DEVHOST_URL is a local-only setting",
		},
		"ASecretIsALiteral": {
			func(a *azureSettings) { a.bicep["DATABASE_URL"] = "'postgres://app:pw@db/integration'" },
			"DATABASE_URL is a secret: list it in keyVaultSettings",
		},
		"ASecretIsNotInKeyVaultSettings": {
			func(a *azureSettings) {
				a.keyVault = slices.DeleteFunc(slices.Clone(a.keyVault), func(s string) bool { return s == "DATABASE_URL" })
			},
			"DATABASE_URL is a secret: add it to keyVaultSettings",
		},
		"KeyVaultSettingsListsAPlainSetting": {
			func(a *azureSettings) { a.keyVault = append(slices.Clone(a.keyVault), "LOG_LEVEL") },
			"keyVaultSettings lists LOG_LEVEL, which is not a secret setting",
		},
		"AppConfigSetsASecret": {
			func(a *azureSettings) { a.envs["test"].appConfig["DATABASE_URL"] = json.RawMessage(`"postgres://x"`) },
			"test: appConfig sets secret DATABASE_URL",
		},
		"AppConfigSetsSomethingNothingReads": {
			func(a *azureSettings) { a.envs["prod"].appConfig["CAMEL_ROUTE"] = json.RawMessage(`"x"`) },
			"prod: appConfig sets CAMEL_ROUTE, which nothing reads",
		},
		"AnAbsentSecretThatIsNoSecret": {
			func(a *azureSettings) { a.envs["dev"].absent = append(a.envs["dev"].absent, "LOG_LEVEL") },
			"dev: absentSecretSettings lists LOG_LEVEL, which is not in keyVaultSettings",
		},
		"AFunctionReadsAnUndeclaredSetting": {
			func(a *azureSettings) {
				a.functions = append(a.functions, &devhost.Function{Name: "sps-inbound-poll", Bindings: []devhost.Binding{{
					Type: "httpTrigger", Direction: "in", Name: "req", Route: "%SPS_ROUTE%"}}})
			},
			"prod: SPS_ROUTE (read by function sps-inbound-poll) is not an app setting",
		},
		"ATimerFunctionMissingFromAnEnvironment": {
			func(a *azureSettings) {
				a.functions = append(a.functions, timer("example-poll", "%EXAMPLE_POLL_SCHEDULE%"))
				for _, env := range []string{"dev", "test"} {
					a.envs[env].timers = append(a.envs[env].timers, timerParam{Function: "example-poll", Setting: "EXAMPLE_POLL_SCHEDULE", Schedule: "0 */10 * * * *", IntervalMinutes: 10})
				}
			},
			"prod: timer function example-poll is missing from the timers parameter",
		},
		"ATimerIntervalDisagreesWithItsSchedule": {
			func(a *azureSettings) { a.envs["test"].timers[0].IntervalMinutes = 15 },
			`test: timer dead-letter-watch: intervalMinutes is 15, but schedule "0 */5 * * * *" runs every 5 minutes at most`,
		},
		"ATimerScheduleIsNotNCRONTAB": {
			func(a *azureSettings) { a.envs["dev"].timers[0].Schedule = "*/5 * * * *" },
			"is not a six-field NCRONTAB expression",
		},
		"ATimerNamesTheWrongSetting": {
			func(a *azureSettings) { a.envs["dev"].timers[0].Setting = "DLW_SCHEDULE" },
			"dev: timer dead-letter-watch: setting DLW_SCHEDULE, but its function.json reads %DEAD_LETTER_WATCH_SCHEDULE%",
		},
		"ATimerScheduleIsALiteral": {
			func(a *azureSettings) { a.functions = append(a.functions, timer("order-export", "0 0 * * * *")) },
			`function order-export: schedule "0 0 * * * *" must be an app setting`,
		},
		"AnEnvironmentSetsNoTimers": {
			func(a *azureSettings) { delete(a.envs, "prod") },
			"prod: infra/params/prod.bicepparam must set appConfig and timers as literals",
		},
		"AConnectionWithoutAnIdentitySetting": {
			func(a *azureSettings) {
				a.functions = append(a.functions, &devhost.Function{Name: "snowflake-load", Bindings: []devhost.Binding{{
					Type: "blobTrigger", Direction: "in", Name: "file", Path: "staging/{name}", Connection: "StagingStorage"}}})
			},
			"function snowflake-load: connection StagingStorage has no identity-based setting StagingStorage__...",
		},
		"TheSampleLacksASetting": {
			func(a *azureSettings) { delete(a.sample, "LOG_LEVEL") },
			"LOG_LEVEL (read by the platform) is missing from local.settings.sample.json",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := readAzureSettings(t)
			c.change(&a)
			require.Contains(t, strings.Join(a.problems(), "\n"), c.want)
		})
	}
}

// TestBlobTriggersAreSubscribedThroughEventGrid holds infra/messaging.json's
// blobTriggers (which infra/blobtriggers.bicep subscribes) to the
// functions/ folders with a blobTrigger: each one listed, with the
// container its path watches.
func TestBlobTriggersAreSubscribedThroughEventGrid(t *testing.T) {
	fns, err := devhost.LoadFunctions(".")
	require.NoError(t, err)
	want := map[string]string{}
	for _, f := range fns {
		if trig := f.Trigger(); trig.Type == "blobTrigger" {
			container, _, _ := strings.Cut(trig.Path, "/")
			want[f.Name] = container
		}
	}
	require.NotEmpty(t, want, "snowflake-load is a blob trigger")
	got := map[string]string{}
	for _, bt := range catalog().BlobTriggers {
		got[bt.Function] = bt.Container
	}
	require.Equal(t, want, got, "infra/messaging.json blobTriggers")
}
