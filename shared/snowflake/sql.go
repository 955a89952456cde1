package snowflake

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/popsockets/integration/shared/staging"
)

// Names spliced into SQL are checked against these, since neither
// identifiers nor stage paths can be bound as parameters.
var (
	identPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,254}$`)
	stagePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$`)
)

// logTable is the load log: one row per staged file that was loaded.
const logTable = "LOAD_LOG"

// fileColumn holds, in the stage table and the target, the staged file a
// row came from.
const fileColumn = "_FILE"

var warehouseTypes = map[string]string{
	"text":      "VARCHAR",
	"bigint":    "NUMBER(38,0)",
	"date":      "DATE",
	"timestamp": "TIMESTAMP_TZ",
}

func checkStage(stage string) error {
	if !stagePattern.MatchString(stage) {
		return fmt.Errorf("stage %q: letters, digits and '_', optionally qualified with '.'", stage)
	}
	return nil
}

// ident quotes a checked identifier in upper case, the form an unquoted
// identifier resolves to, so quoted and unquoted uses name the same object.
func ident(name string) string { return `"` + strings.ToUpper(name) + `"` }

// literal quotes s as a single-quoted SQL string.
func literal(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}

// statements are the SQL Load runs for one dataset.
type statements struct {
	claim, copy, validate, merge, logRows, cleanup string
}

// plan is a dataset checked for splicing into SQL.
type plan struct {
	d      staging.Dataset
	table  string // quoted target table
	stage  string // quoted stage table
	cols   []string
	types  []string
	key    map[string]bool
	newest string
}

func newPlan(d staging.Dataset) (*plan, error) {
	if !identPattern.MatchString(d.Name) || len(d.Name)+len("_STAGE") > 255 {
		return nil, fmt.Errorf("dataset name %q is not a plain identifier", d.Name)
	}
	if len(d.Columns) == 0 || len(d.Key) == 0 || d.Newest == "" {
		return nil, fmt.Errorf("dataset %s needs columns, a key and a newest column", d.Name)
	}
	p := &plan{
		d:     d,
		table: ident(d.Name),
		stage: ident(d.Name + "_STAGE"),
		key:   map[string]bool{},
	}
	seen := map[string]bool{}
	for _, c := range d.Columns {
		if !identPattern.MatchString(c.Name) {
			return nil, fmt.Errorf("dataset %s: column %q is not a plain identifier", d.Name, c.Name)
		}
		if strings.EqualFold(c.Name, fileColumn) {
			return nil, fmt.Errorf("dataset %s: column %s is reserved for the load", d.Name, fileColumn)
		}
		up := strings.ToUpper(c.Name)
		if seen[up] {
			return nil, fmt.Errorf("dataset %s: column %s appears twice", d.Name, up)
		}
		seen[up] = true
		t, ok := warehouseTypes[c.Type]
		if !ok {
			return nil, fmt.Errorf("dataset %s: column %s has unknown type %q", d.Name, c.Name, c.Type)
		}
		p.cols = append(p.cols, c.Name)
		p.types = append(p.types, t)
	}
	for _, k := range d.Key {
		if !seen[strings.ToUpper(k)] {
			return nil, fmt.Errorf("dataset %s: key column %q is not a column", d.Name, k)
		}
		p.key[strings.ToUpper(k)] = true
	}
	if !seen[strings.ToUpper(d.Newest)] {
		return nil, fmt.Errorf("dataset %s: newest column %q is not a column", d.Name, d.Newest)
	}
	p.newest = d.Newest
	return p, nil
}

// required reports whether column c may not be NULL: the key identifies a
// row and the newest column orders them, so both must be present.
func (p *plan) required(c string) bool {
	return p.key[strings.ToUpper(c)] || strings.EqualFold(c, p.newest)
}

func (p *plan) quoted(prefix string, extra ...string) string {
	var b []string
	for _, c := range append(append([]string{}, p.cols...), extra...) {
		b = append(b, prefix+ident(c))
	}
	return strings.Join(b, ", ")
}

// statements returns the SQL for loading file (a name staging.ParseName
// accepted) from stage (checked with checkStage).
func (p *plan) statements(stage, file string) statements {
	files := "FILES = (" + literal(file) + ")"
	format := "FILE_FORMAT = (TYPE = JSON COMPRESSION = GZIP)"

	var sel []string
	for i, c := range p.cols {
		// JSON keys are case-sensitive: the path uses the dataset's own spelling.
		sel = append(sel, fmt.Sprintf(`$1:"%s"::%s`, c, p.types[i]))
	}
	sel = append(sel, "METADATA$FILENAME")

	var keys, on, set []string
	for _, k := range p.d.Key {
		keys = append(keys, ident(k))
		on = append(on, fmt.Sprintf("t.%s = s.%s", ident(k), ident(k)))
	}
	for _, c := range append(append([]string{}, p.cols...), fileColumn) {
		if !p.key[strings.ToUpper(c)] {
			set = append(set, fmt.Sprintf("%s = s.%s", ident(c), ident(c)))
		}
	}
	newest := ident(p.newest)

	return statements{
		claim: "MERGE INTO " + ident(logTable) + " l" +
			` USING (SELECT ? AS "FILE_NAME", ? AS "DATASET") c ON l."FILE_NAME" = c."FILE_NAME"` +
			` WHEN NOT MATCHED THEN INSERT ("FILE_NAME", "DATASET", "LOADED_AT")` +
			` VALUES (c."FILE_NAME", c."DATASET", CURRENT_TIMESTAMP())`,

		copy: "COPY INTO " + p.stage + " (" + p.quoted("", fileColumn) + ")" +
			" FROM (SELECT " + strings.Join(sel, ", ") + " FROM @" + stage + ")" +
			" " + files + " " + format +
			" ON_ERROR = ABORT_STATEMENT FORCE = TRUE",

		validate: "COPY INTO " + p.stage + " FROM @" + stage +
			" " + files + " " + format +
			" MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE VALIDATION_MODE = RETURN_ERRORS",

		merge: "MERGE INTO " + p.table + " t USING (" +
			"SELECT " + p.quoted("", fileColumn) + " FROM " + p.stage + " WHERE " + ident(fileColumn) + " = ?" +
			" QUALIFY ROW_NUMBER() OVER (PARTITION BY " + strings.Join(keys, ", ") + " ORDER BY " + newest + " DESC) = 1" +
			") s ON " + strings.Join(on, " AND ") +
			" WHEN MATCHED AND s." + newest + " >= t." + newest + " THEN UPDATE SET " + strings.Join(set, ", ") +
			" WHEN NOT MATCHED THEN INSERT (" + p.quoted("", fileColumn) + ")" +
			" VALUES (" + p.quoted("s.", fileColumn) + ")",

		logRows: "UPDATE " + ident(logTable) + ` SET "ROWS_COPIED" = ?, "ROWS_MERGED" = ? WHERE "FILE_NAME" = ?`,

		cleanup: "DELETE FROM " + p.stage + " WHERE " + ident(fileColumn) + " = ?",
	}
}

// tables returns the DDL of the dataset's target table and its transient
// stage table.
func (p *plan) tables() string {
	var cols []string
	for i, c := range p.cols {
		def := "  " + ident(c) + " " + p.types[i]
		if p.required(c) {
			def += " NOT NULL"
		}
		cols = append(cols, def)
	}
	file := "  " + ident(fileColumn) + " VARCHAR"
	var keys []string
	for _, k := range p.d.Key {
		keys = append(keys, ident(k))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s: one row per %s; the greatest %s wins.\n", p.d.Name, strings.Join(p.d.Key, ", "), p.d.Newest)
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n%s,\n%s,\n  PRIMARY KEY (%s)\n);\n\n",
		p.table, strings.Join(cols, ",\n"), file, strings.Join(keys, ", "))
	fmt.Fprintf(&b, "CREATE TRANSIENT TABLE IF NOT EXISTS %s (\n%s,\n%s\n) DATA_RETENTION_TIME_IN_DAYS = 0;\n",
		p.stage, strings.Join(cols, ",\n"), file)
	return b.String()
}
