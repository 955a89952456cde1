package check

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Functions reads every functions/<name>/function.json under root and
// reports what the Functions host would refuse on Flex Consumption: a
// blobTrigger whose source is not EventGrid. Flex supports only Event Grid
// blob triggers, and the host refuses to index one with a missing source
// (polling is the default) or another one (ScriptHost.cs, with
// FunctionMetadataExtensions.IsLegacyBlobTriggerFunction).
func Functions(root string) ([]Problem, error) {
	paths, err := filepath.Glob(filepath.Join(root, "functions", "*", "function.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []Problem
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var f struct {
			Bindings []map[string]any `json:"bindings"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			out = append(out, Problem{File: p, Line: 1, Message: fmt.Sprintf("not valid JSON: %v", err)})
			continue
		}
		for _, bd := range f.Bindings {
			typ, _ := bd["type"].(string)
			if !strings.EqualFold(typ, "blobTrigger") {
				continue
			}
			// Binding keys are case-insensitive for the host.
			source := ""
			for k, v := range bd {
				if strings.EqualFold(k, "source") {
					source, _ = v.(string)
				}
			}
			if !strings.EqualFold(source, "EventGrid") {
				out = append(out, Problem{File: p, Line: lineOf(b, "blobTrigger"), Message: fmt.Sprintf(
					`blobTrigger %v needs "source": "EventGrid": Flex Consumption runs no other blob trigger (got %q)`, bd["name"], source)})
			}
		}
	}
	return out, nil
}

// lineOf is the 1-based line of the first occurrence of s, or 1.
func lineOf(b []byte, s string) int {
	i := strings.Index(string(b), s)
	if i < 0 {
		return 1
	}
	return strings.Count(string(b[:i]), "\n") + 1
}
