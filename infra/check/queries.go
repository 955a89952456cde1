package check

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/popsockets/integration/shared/kql"
)

// QueryDir is where the KQL of the README and the alert rules lives,
// relative to the repository root. alerts.bicep loads its queries from
// here with loadTextContent and fills in their __PLACEHOLDERS__ with
// replace(); the local host's tests run them over its telemetry.
const QueryDir = "infra/queries"

// ADXQueryDir holds the KQL over the audit trail's ADX table (AuditEvents),
// which the README carries too; the tests run them over the trail a flow
// leaves, not over the host's telemetry.
const ADXQueryDir = "infra/adx/queries"

// tableTypes are the Application Insights tables and the telemetry type
// sampling settings name them by.
var tableTypes = map[string]string{
	"requests": "Request", "traces": "Trace", "exceptions": "Exception", "dependencies": "Dependency",
	"customEvents": "Event", "pageViews": "PageView", "customMetrics": "Metric",
}

// Queries checks the repository at root:
//   - every infra/queries/*.kql and infra/adx/queries/*.kql parses as the
//     KQL the tests can run;
//   - every ```kusto block of README.md, and of any other Markdown file
//     named in extra (a flow's README part, before it is merged into the
//     README), is one of those files, verbatim, so that what operators
//     copy is what the tests ran;
//   - a query over a table whose telemetry type host.json lets sampling
//     thin out counts rows with sum(itemCount) (or sumif), never count()
//     or countif(), which would count the rows that survived sampling.
func Queries(root string, extra ...string) ([]Problem, error) {
	files, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(QueryDir), "*.kql"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return []Problem{{File: filepath.Join(root, QueryDir), Line: 1, Message: "no .kql files"}}, nil
	}
	adx, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(ADXQueryDir), "*.kql"))
	if err != nil {
		return nil, err
	}
	files = append(files, adx...)
	sort.Strings(files)
	sampled, err := sampledTypes(filepath.Join(root, "host.json"))
	if err != nil {
		return nil, err
	}
	var out []Problem
	texts := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		texts[f] = string(b)
		q, err := kql.Parse(string(b))
		if err != nil {
			out = append(out, Problem{File: f, Line: 1, Message: err.Error()})
			continue
		}
		var counts []string
		for _, a := range q.Aggregations() {
			if a == "count" || a == "countif" {
				counts = append(counts, a+"()")
			}
		}
		for _, t := range q.Tables() {
			if typ := tableTypes[t]; sampled(typ) && len(counts) > 0 {
				out = append(out, Problem{File: f, Line: 1, Message: fmt.Sprintf(
					"reads %s, which host.json samples (%s is not in excludedTypes), with %s: count with sum(itemCount) or exclude %s from sampling",
					t, typ, strings.Join(counts, ", "), typ)})
			}
		}
	}
	readmes := []string{filepath.Join(root, "README.md")}
	for _, e := range extra {
		readmes = append(readmes, filepath.Join(root, filepath.FromSlash(e)))
	}
	for _, readme := range readmes {
		b, err := os.ReadFile(readme)
		if err != nil {
			return nil, err
		}
		for _, blk := range kustoBlocks(string(b)) {
			found := false
			for _, text := range texts {
				found = found || strings.TrimRight(text, "\n") == strings.TrimRight(blk.text, "\n")
			}
			if !found {
				out = append(out, Problem{File: readme, Line: blk.line, Message: "this kusto block is not one of " + QueryDir + "/*.kql verbatim: put the query in a file there and copy it here (" + ADXQueryDir + " for the audit trail's)"})
			}
		}
	}
	return out, nil
}

type block struct {
	line int
	text string
}

// kustoBlocks returns the ```kusto fenced blocks of a Markdown document.
func kustoBlocks(md string) []block {
	var out []block
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```kusto" {
			continue
		}
		start := i + 1
		j := start
		for j < len(lines) && strings.TrimSpace(lines[j]) != "```" {
			j++
		}
		out = append(out, block{line: start + 1, text: strings.Join(lines[start:j], "\n") + "\n"})
		i = j
	}
	return out
}

// sampledTypes reads host.json's sampling settings: which telemetry types
// adaptive sampling may thin out. Sampling is on unless isEnabled is
// false; excludedTypes wins over includedTypes; no includedTypes means all.
func sampledTypes(hostJSON string) (func(string) bool, error) {
	b, err := os.ReadFile(hostJSON)
	if err != nil {
		return nil, err
	}
	var f struct {
		Logging struct {
			ApplicationInsights struct {
				SamplingSettings *struct {
					IsEnabled     *bool  `json:"isEnabled"`
					ExcludedTypes string `json:"excludedTypes"`
					IncludedTypes string `json:"includedTypes"`
				} `json:"samplingSettings"`
			} `json:"applicationInsights"`
		} `json:"logging"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", hostJSON, err)
	}
	s := f.Logging.ApplicationInsights.SamplingSettings
	set := func(list string) map[string]bool {
		m := map[string]bool{}
		for _, t := range strings.Split(list, ";") {
			if t = strings.TrimSpace(t); t != "" {
				m[strings.ToLower(t)] = true
			}
		}
		return m
	}
	if s == nil {
		return func(typ string) bool { return typ != "" }, nil
	}
	enabled := s.IsEnabled == nil || *s.IsEnabled
	excluded, included := set(s.ExcludedTypes), set(s.IncludedTypes)
	return func(typ string) bool {
		t := strings.ToLower(typ)
		return typ != "" && enabled && !excluded[t] && (len(included) == 0 || included[t])
	}, nil
}
