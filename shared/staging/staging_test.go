package staging

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPartNamesRoundTrip(t *testing.T) {
	day := time.Date(2026, 12, 4, 23, 30, 0, 0, time.FixedZone("CST", 8*3600)) // 15:30 UTC
	name, err := PartName(Inventory, day, "req-42", 3)
	require.NoError(t, err)
	require.Equal(t, "inventory/2026-12-04/req-42-0003.ndjson.gz", name)
	p, err := ParseName(Container + "/" + name)
	require.NoError(t, err)
	require.Equal(t, Part{Dataset: Inventory, Day: "2026-12-04", Run: "req-42", N: 3}, p)
}

func TestBadNamesAreRefused(t *testing.T) {
	for _, run := range []string{"", "a/b", "a b", string(make([]byte, 101))} {
		_, err := PartName(Orders, time.Now(), run, 1)
		require.Error(t, err, "run %q", run)
	}
	_, err := PartName(Orders, time.Now(), "r", 0)
	require.Error(t, err)
	for _, name := range []string{
		"inventory/2026-12-04/r-0001.ndjson", "inventory/2026-13-04/r-0001.ndjson.gz", "stock/2026-12-04/r-0001.ndjson.gz",
		"inventory/2026-12-04/r-0000.ndjson.gz", "inventory/r-0001.ndjson.gz", "../inventory/2026-12-04/r-0001.ndjson.gz",
	} {
		_, err := ParseName(name)
		require.Error(t, err, name)
	}
}

func TestDatasetKeysAreColumns(t *testing.T) {
	for _, d := range Datasets {
		cols := map[string]bool{}
		for _, c := range d.Columns {
			require.Contains(t, []string{"text", "bigint", "date", "timestamp"}, c.Type, d.Name+"."+c.Name)
			cols[c.Name] = true
		}
		for _, k := range append([]string{d.Newest}, d.Key...) {
			require.True(t, cols[k], "%s: key %s is a column", d.Name, k)
		}
	}
}

func TestRowTypesCarryEveryColumn(t *testing.T) {
	for d, row := range map[string]any{Inventory.Name: InventoryRow{}, Orders.Name: OrderRow{}} {
		typ := reflect.TypeOf(row)
		var tags []string
		for i := range typ.NumField() {
			tags = append(tags, typ.Field(i).Tag.Get("json"))
		}
		var cols []string
		for _, c := range Datasets[d].Columns {
			cols = append(cols, c.Name)
		}
		require.Equal(t, cols, tags, d)
	}
}
