package check_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/infra/check"
)

// TestBlobTriggersMustUseEventGrid: Flex Consumption runs only Event Grid
// blob triggers; the check refuses the rest, and the repository has none.
func TestBlobTriggersMustUseEventGrid(t *testing.T) {
	t.Parallel()
	ps, err := check.Functions(repoRoot)
	require.NoError(t, err)
	require.Empty(t, ps, "function.json problems:\n%s", problems(ps))

	dir := writeFiles(t, map[string]string{
		"functions/polling/function.json": `{"bindings":[{"type":"blobTrigger","direction":"in","name":"file","path":"staging/{name}","connection":"Storage"}]}`,
		"functions/scan/function.json":    `{"bindings":[{"type":"blobTrigger","direction":"in","name":"file","path":"staging/{name}","connection":"Storage","source":"LogsAndContainerScan"}]}`,
		"functions/events/function.json":  `{"bindings":[{"type":"blobTrigger","direction":"in","name":"file","path":"staging/{name}","connection":"Storage","Source":"eventgrid"}]}`,
		"functions/timer/function.json":   `{"bindings":[{"type":"timerTrigger","direction":"in","name":"t","schedule":"%S%"}]}`,
	})
	ps, err = check.Functions(dir)
	require.NoError(t, err)
	out := problems(ps)
	require.Len(t, ps, 2, out)
	require.Contains(t, out, filepath.Join(dir, "functions", "polling", "function.json")+`:1: blobTrigger file needs "source": "EventGrid"`)
	require.Contains(t, out, `(got "LogsAndContainerScan")`)
}

// TestQueriesAreTheFilesTheTestsRun: every query file parses, every kusto
// block of the README is one of them verbatim, and nothing counts rows of a
// table that host.json samples.
func TestQueriesAreTheFilesTheTestsRun(t *testing.T) {
	t.Parallel()
	// The flows' README parts that carry the operators' queries hold the
	// same promise before the lead merges them into the README.
	ps, err := check.Queries(repoRoot, "handlers/platform/README.md", "handlers/gladly/README.md", "handlers/data/README.md")
	require.NoError(t, err)
	require.Empty(t, ps, "query problems:\n%s", problems(ps))

	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, strings.Count(string(readme), "```kusto"), 4, "the README carries the operators' queries")

	const hostJSON = `{"version":"2.0","logging":{"applicationInsights":{"samplingSettings":{"isEnabled":true,"excludedTypes":"Request;Exception"}}}}`
	dir := writeFiles(t, map[string]string{
		"host.json":                     hostJSON,
		"infra/queries/ok.kql":          "requests\n| summarize n = count() by operation_Name\n",
		"infra/queries/sampled.kql":     "traces\n| summarize n = count() by operation_Name\n",
		"infra/queries/items.kql":       "traces\n| summarize n = sum(itemCount) by operation_Name\n",
		"infra/queries/broken.kql":      "requests\n| wherever x\n",
		"README.md":                     "# x\n\n```kusto\nrequests\n| summarize n = count() by operation_Name\n```\n\ntext\n\n```kusto\nrequests | take 1\n```\n",
		"infra/queries/placeholder.kql": "requests\n| where operation_Name == \"__FUNCTION__\" and toint(resultCode) >= __MIN__\n",
		"handlers/flow/README.md":       "# flow\n\n```kusto\nrequests\n| summarize n = count() by operation_Name\n```\n\n```kusto\ntraces | take 2\n```\n",
	})
	ps, err = check.Queries(dir, "handlers/flow/README.md")
	require.NoError(t, err)
	out := problems(ps)
	require.Len(t, ps, 4, out)
	require.Contains(t, out, filepath.Join("handlers", "flow", "README.md")+":9: this kusto block is not one of", "a flow's README part is held to the files too")
	require.Contains(t, out, "sampled.kql:1: reads traces, which host.json samples")
	require.Contains(t, out, "broken.kql:1:")
	require.Contains(t, out, "README.md:11: this kusto block is not one of infra/queries/*.kql verbatim")
}

// TestAlertsLoadTheQueryFiles: the log alert rules take their queries from
// infra/queries and fill in every placeholder those files have.
func TestAlertsLoadTheQueryFiles(t *testing.T) {
	t.Parallel()
	alerts := filepath.Join(repoRoot, "infra", "modules", "alerts.bicep")
	rep := outline(t, alerts)
	f := rep.Files[0]
	loaded := map[string]bool{}
	for _, l := range f.Loads {
		if l.Function == "loadTextContent" {
			loaded[filepath.Base(l.Path)] = true
		}
	}
	for _, want := range []string{"function-failure-rate.kql", "timer-succeeded.kql", "messages-need-attention.kql", "function-failures.kql", "poller-stopped.kql"} {
		require.True(t, loaded[want], "alerts.bicep loads %s", want)
	}
	src := string(mustRead(t, alerts))
	placeholder := regexp.MustCompile(`__[A-Z_]+__`)
	for name := range loaded {
		q := string(mustRead(t, filepath.Join(repoRoot, "infra", "queries", name)))
		for _, p := range placeholder.FindAllString(q, -1) {
			require.Contains(t, src, "'"+p+"'", "alerts.bicep replaces %s of %s", p, name)
		}
	}
	require.NotContains(t, src, "success == false'", "no inline failure query is left in the Bicep")
}

// TestWorkbookTilesAreTheQueryFiles: every tile of the operations workbook
// loads its query from infra/queries, and the order journey's sample
// order becomes the workbook's OrderId parameter.
func TestWorkbookTilesAreTheQueryFiles(t *testing.T) {
	t.Parallel()
	wb := filepath.Join(repoRoot, "infra", "modules", "workbook.bicep")
	rep := outline(t, wb)
	loaded := map[string]bool{}
	for _, l := range rep.Files[0].Loads {
		if l.Function == "loadTextContent" {
			loaded[filepath.Base(l.Path)] = true
		}
	}
	for _, want := range []string{"function-activity.kql", "dead-letter-depth.kql", "dead-letters-recorded.kql",
		"poller-last-success.kql", "webhook-rejections.kql", "order-journey.kql"} {
		require.True(t, loaded[want], "the workbook loads %s", want)
	}
	src := string(mustRead(t, wb))
	journey := string(mustRead(t, filepath.Join(repoRoot, "infra", "queries", "order-journey.kql")))
	require.Contains(t, journey, `"ORD-1001"`)
	require.Contains(t, src, `replace(loadTextContent('../queries/order-journey.kql'), 'ORD-1001', '{OrderId}')`)
	main := string(mustRead(t, filepath.Join(repoRoot, "infra", "main.bicep")))
	require.Contains(t, main, "module workbook 'modules/workbook.bicep'")
}
