// Package staging is the contract between the exports that write bulk data
// to Blob staging and the load that copies it into the warehouse
// (Snowflake in Azure, a PostgreSQL adapter locally): the container, how a
// staged file is named, and, per dataset, the rows it holds and the natural
// key a re-delivered or overlapping row is deduplicated on.
//
// A staged file is gzip-compressed NDJSON, one row object per line, named
//
//	staging/{dataset}/{date}/{run}-{n}.ndjson.gz
//
// where date is the run's day (UTC, YYYY-MM-DD), run is a deterministic id
// of the export run (the same request or window gives the same run) and n
// the part number from 1, four digits. Writing the same run again gives the
// same names, so a retried export overwrites rather than adds.
package staging

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Container is the blob container staged files go to.
const Container = "staging"

// Suffix ends every staged file's name.
const Suffix = ".ndjson.gz"

// Column is one field of a dataset's rows.
type Column struct {
	Name string
	// Type is the warehouse type: "text", "bigint", "date" or "timestamp".
	Type string
}

// Dataset describes one kind of staged file.
type Dataset struct {
	// Name is the first part of the blob name and the warehouse table's name.
	Name string
	// Key is the natural key: rows with the same key are one warehouse row.
	Key []string
	// Newest orders rows of one key; the greatest wins the deduplication.
	Newest string
	// Columns are every field of a row, in the table's order.
	Columns []Column
}

// InventoryRow is one row of Cirro inventory history: a SKU's quantities in
// one warehouse on one day.
type InventoryRow struct {
	Warehouse string    `json:"warehouse"`
	SKU       string    `json:"sku"`
	AsOf      string    `json:"as_of"` // YYYY-MM-DD, the warehouse's day
	OnHand    int64     `json:"on_hand"`
	Available int64     `json:"available"`
	Allocated int64     `json:"allocated"`
	UpdatedAt time.Time `json:"updated_at"`
}

// OrderRow is one order as the integration layer last saw it.
type OrderRow struct {
	OrderID     string    `json:"order_id"`
	OrderNumber string    `json:"order_number"`
	Source      string    `json:"source"`
	Channel     string    `json:"channel"`
	TPL         string    `json:"tpl"`
	State       string    `json:"state"`
	TPLOrderNo  string    `json:"tpl_order_no"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Inventory is Cirro's inventory history.
var Inventory = Dataset{
	Name:   "inventory",
	Key:    []string{"warehouse", "sku", "as_of"},
	Newest: "updated_at",
	Columns: []Column{
		{"warehouse", "text"}, {"sku", "text"}, {"as_of", "date"},
		{"on_hand", "bigint"}, {"available", "bigint"}, {"allocated", "bigint"},
		{"updated_at", "timestamp"},
	},
}

// Orders are the orders the layer tracks.
var Orders = Dataset{
	Name:   "orders",
	Key:    []string{"order_id"},
	Newest: "updated_at",
	Columns: []Column{
		{"order_id", "text"}, {"order_number", "text"}, {"source", "text"}, {"channel", "text"},
		{"tpl", "text"}, {"state", "text"}, {"tpl_order_no", "text"},
		{"created_at", "timestamp"}, {"updated_at", "timestamp"},
	},
}

// Datasets are every dataset, by name.
var Datasets = map[string]Dataset{Inventory.Name: Inventory, Orders.Name: Orders}

// runPattern is what a run id may hold: it is part of a blob name.
var runPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)

// PartName is the blob name (inside Container) of part n of a run.
func PartName(d Dataset, day time.Time, run string, n int) (string, error) {
	if !runPattern.MatchString(run) {
		return "", fmt.Errorf("run id %q: letters, digits, '_', '.', '-' only, at most 100", run)
	}
	if n < 1 || n > 9999 {
		return "", fmt.Errorf("part %d: from 1 to 9999", n)
	}
	return fmt.Sprintf("%s/%s/%s-%04d%s", d.Name, day.UTC().Format(time.DateOnly), run, n, Suffix), nil
}

// Part is what a staged file's name says.
type Part struct {
	Dataset Dataset
	Day     string
	Run     string
	N       int
}

var partPattern = regexp.MustCompile(`^([a-z]+)/(\d{4}-\d{2}-\d{2})/([A-Za-z0-9_.-]{1,100})-(\d{4})` + regexp.QuoteMeta(Suffix) + `$`)

// ParseName reads a blob name (inside Container, or with "staging/" in
// front, as a blob trigger's path gives it) back into its parts.
func ParseName(name string) (Part, error) {
	name = strings.TrimPrefix(name, Container+"/")
	m := partPattern.FindStringSubmatch(name)
	if m == nil {
		return Part{}, fmt.Errorf("staged file %q is not named {dataset}/{YYYY-MM-DD}/{run}-{nnnn}%s", name, Suffix)
	}
	d, ok := Datasets[m[1]]
	if !ok {
		return Part{}, fmt.Errorf("staged file %q: no dataset %q", name, m[1])
	}
	if _, err := time.Parse(time.DateOnly, m[2]); err != nil {
		return Part{}, fmt.Errorf("staged file %q: day %q is not a date", name, m[2])
	}
	var n int
	_, _ = fmt.Sscanf(m[4], "%d", &n)
	if n < 1 {
		return Part{}, fmt.Errorf("staged file %q: part numbers start at 1", name)
	}
	return Part{Dataset: d, Day: m[2], Run: m[3], N: n}, nil
}
