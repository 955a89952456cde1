package check_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/infra/check"
	"github.com/popsockets/integration/shared/messaging"
)

// repoRoot is where .tools/ and infra/ are, seen from this package.
const repoRoot = "../.."

func runner(t *testing.T) *check.Runner {
	t.Helper()
	r, err := check.NewRunner(repoRoot)
	require.NoError(t, err, "the Bicep checks cannot run")
	return r
}

func outline(t *testing.T, files ...string) *check.Report {
	t.Helper()
	rep, err := runner(t).Outline(context.Background(), files...)
	require.NoError(t, err)
	return rep
}

func problems(ps []check.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}

// TestInfraBicepParsesAndHoldsTogether parses every .bicep and .bicepparam
// file under infra/ and checks them against each other: module paths and
// params, module outputs, load*() paths, and every environment's
// parameters against main.bicep.
func TestInfraBicepParsesAndHoldsTogether(t *testing.T) {
	t.Parallel()
	files, err := check.Find(filepath.Join(repoRoot, "infra"))
	require.NoError(t, err)
	rep := outline(t, files...)

	var names []string
	for _, f := range rep.Files {
		rel, err := filepath.Rel(repoRoot, f.Path)
		require.NoError(t, err)
		names = append(names, filepath.ToSlash(rel))
	}
	for _, want := range []string{
		"infra/main.bicep",
		"infra/params/dev.bicepparam", "infra/params/test.bicepparam", "infra/params/prod.bicepparam",
		"infra/modules/functionapp.bicep", "infra/modules/servicebus.bicep", "infra/modules/servicebus-topic.bicep",
		"infra/check/testdata/many-topics.bicep",
	} {
		require.Contains(t, names, want)
	}
	ps := check.Validate(rep)
	require.Empty(t, ps, "Bicep problems:\n%s", problems(ps))
}

// TestManyTopicsFixture keeps the many-topics fixture a valid catalog that
// exercises what messaging.json does not yet (filters of each kind,
// overrides, a topic without subscriptions), and its topic settings the
// same expression as main.bicep's.
func TestManyTopicsFixture(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("testdata", "many-topics.json"))
	require.NoError(t, err)
	cat, err := messaging.Parse(b)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(cat.Topics), 4)
	var filtered, unfiltered, overrides, labels, correlationIDs, empty int
	for _, tp := range cat.Topics {
		if len(tp.Subscriptions) == 0 {
			empty++
		}
		for _, s := range tp.Subscriptions {
			if s.CorrelationFilter == nil {
				unfiltered++
				continue
			}
			filtered++
			if s.CorrelationFilter.Label != "" {
				labels++
			}
			if s.CorrelationFilter.CorrelationID != "" {
				correlationIDs++
			}
			if s.MaxDeliveryCount > 0 || s.LockDuration != "" {
				overrides++
			}
		}
	}
	for what, n := range map[string]int{"filtered": filtered, "unfiltered": unfiltered, "override": overrides,
		"label": labels, "correlationId": correlationIDs, "no-subscription topic": empty} {
		require.Positive(t, n, "the fixture needs a %s subscription", what)
	}

	rep := outline(t, filepath.Join(repoRoot, "infra", "main.bicep"), filepath.Join("testdata", "many-topics.bicep"))
	main, fixture := rep.Files[0], rep.Files[1]
	v, ok := main.Var("topicSettings")
	require.True(t, ok, "main.bicep builds its topic settings in var topicSettings")
	require.Contains(t, string(mustRead(t, filepath.Join("testdata", "many-topics.bicep"))), v.Text,
		"the fixture uses main.bicep's topicSettings expression")
	require.Empty(t, fixture.Errors)
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

// TestCheckerReportsSyntaxErrors proves the parser check can fail, and says
// where: a broken Bicep snippet and a broken parameters file.
func TestCheckerReportsSyntaxErrors(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{
		"broken.bicep":      "param ok string\n\nresource sa 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'x'\n  properties: {\n    allowSharedKeyAccess: false\n  \n}\n\nvar bad = [for x in : x]\n",
		"main.bicep":        "param a string\n",
		"broken.bicepparam": "using 'main.bicep'\n\nparam a = {\n  b: \n}\n",
	})
	rep := outline(t, filepath.Join(dir, "broken.bicep"), filepath.Join(dir, "main.bicep"), filepath.Join(dir, "broken.bicepparam"))
	ps := check.Validate(rep)
	out := problems(ps)
	require.NotEmpty(t, ps)
	require.Contains(t, out, filepath.Join(dir, "broken.bicep")+":")
	require.Contains(t, out, filepath.Join(dir, "broken.bicepparam")+":")
	require.NotContains(t, out, filepath.Join(dir, "main.bicep")+":")
	for _, p := range ps {
		require.Positive(t, p.Line, "every problem names its line: %s", p)
	}
}

// TestValidateFindsWhatTheCompilerWould feeds one mistake at a time and
// expects each to be reported.
func TestValidateFindsWhatTheCompilerWould(t *testing.T) {
	t.Parallel()
	const module = "param name string\nparam size int = 1\noutput id string = name\n"
	cases := map[string]struct {
		main, params string
		want         string
	}{
		"AnUndeclaredModuleParam": {
			main: "module m 'mod.bicep' = {\n  name: 'm'\n  params: {\n    name: 'a'\n    colour: 'red'\n  }\n}\n",
			want: `module m passes "colour", which mod.bicep does not declare`,
		},
		"AMissingRequiredModuleParam": {
			main: "module m 'mod.bicep' = {\n  name: 'm'\n  params: {\n    size: 2\n  }\n}\n",
			want: `module m does not pass "name", which mod.bicep requires`,
		},
		"AModuleThatIsNotThere": {
			main: "module m 'modules/nope.bicep' = {\n  name: 'm'\n}\n",
			want: `"modules/nope.bicep" is not a checked Bicep file`,
		},
		"AnOutputTheModuleLacks": {
			main: "module m 'mod.bicep' = {\n  name: 'm'\n  params: {\n    name: 'a'\n  }\n}\noutput x string = m.outputs.missing\n",
			want: "m.outputs.missing: the module has no such output",
		},
		"ALoadOfAMissingFile": {
			main: "var c = loadJsonContent('nope.json')\n",
			want: `loadJsonContent("nope.json"): no such file`,
		},
		"ASymbolDeclaredTwice": {
			main: "param a string\nvar a = 1\n",
			want: `"a" is declared twice`,
		},
		"AParamsFileSettingAnUndeclaredParameter": {
			main:   "param env string\n",
			params: "using 'main.bicep'\n\nparam env = 'dev'\nparam region = 'westeurope'\n",
			want:   `parameter "region" is not declared in main.bicep`,
		},
		"AParamsFileLeavingARequiredParameterUnset": {
			main:   "param env string\nparam owner string\nparam tier string = 'x'\n",
			params: "using 'main.bicep'\n\nparam env = 'dev'\n",
			want:   `parameter "owner" of main.bicep has no default and is not set`,
		},
		"AParamsFileWithoutUsing": {
			main:   "param env string = 'dev'\n",
			params: "param env = 'dev'\n",
			want:   "needs `using",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			files := map[string]string{"main.bicep": c.main, "mod.bicep": module}
			paths := []string{"main.bicep", "mod.bicep"}
			if c.params != "" {
				files["env.bicepparam"] = c.params
				paths = append(paths, "env.bicepparam")
			}
			dir := writeFiles(t, files)
			for i := range paths {
				paths[i] = filepath.Join(dir, paths[i])
			}
			ps := check.Validate(outline(t, paths...))
			require.Contains(t, problems(ps), c.want)
		})
	}
}

// TestNewRunnerFailsWithoutTheParser: without `make tools` the checks fail
// and say what to run; they never pass by skipping.
func TestNewRunnerFailsWithoutTheParser(t *testing.T) {
	t.Parallel()
	_, err := check.NewRunner(t.TempDir())
	require.ErrorContains(t, err, "run `make tools`")
}
