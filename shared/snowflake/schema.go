package snowflake

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"github.com/popsockets/integration/shared/staging"
)

//go:embed schema.sql
var schemaSQL string

// DDL returns the one-time setup the runbook runs: the load log, a
// commented example of the storage integration and external stage, and
// for every dataset in staging.Datasets its target table and transient
// stage table. Statements end with ";" at the end of a line.
//
// It panics if staging.Datasets holds a dataset that cannot be planned, a
// programming error the tests catch.
func DDL() string {
	names := make([]string, 0, len(staging.Datasets))
	for n := range staging.Datasets {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(schemaSQL)
	for _, n := range names {
		ddl, err := DatasetDDL(staging.Datasets[n])
		if err != nil {
			panic(err)
		}
		b.WriteString("\n")
		b.WriteString(ddl)
	}
	return b.String()
}

// DatasetDDL returns the CREATE statements of d's target table and its
// transient stage table.
func DatasetDDL(d staging.Dataset) (string, error) {
	p, err := newPlan(d)
	if err != nil {
		return "", fmt.Errorf("planning tables of %s: %w", d.Name, err)
	}
	return p.tables(), nil
}
