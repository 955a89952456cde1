package data

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/partnerset"
)

// Function names (the folders under functions/).
const (
	FnHistoryRequest  = "inventory-history-request"
	FnInventoryExport = "inventory-export"
	FnInventoryDaily  = "inventory-export-daily"
	FnOrderExport     = "order-export"
	FnLoad            = "snowflake-load"
)

var (
	inventoryFns = []string{FnInventoryExport, FnInventoryDaily}
	exportFns    = []string{FnInventoryExport, FnInventoryDaily, FnOrderExport}
	loadFns      = []string{FnLoad}
)

// Warehouse kinds (WAREHOUSE).
const (
	WarehouseSnowflake = "snowflake"
	WarehouseLocal     = "local"
)

// Flow is the data flow: exports to Blob staging and their load into the warehouse.
var Flow = kit.Flow{
	Name: "data",
	Settings: slices.Concat(partnerset.Cirro(inventoryFns...), []kit.Setting{
		{Name: "INVENTORY_EXPORT_SCHEDULE", Description: "NCRONTAB schedule of inventory-export-daily (UTC)", Default: "0 30 2 * * *", Host: true},
		{Name: "ORDER_EXPORT_SCHEDULE", Description: "NCRONTAB schedule of order-export", Default: "0 */15 * * * *", Host: true},
		{Name: "INVENTORY_EXPORT_FIRST_DAY", Description: "first day (YYYY-MM-DD) the daily inventory export takes when it has no watermark (empty: yesterday)",
			Optional: true, Check: checkDay, Functions: []string{FnInventoryDaily}},
		{Name: "INVENTORY_EXPORT_MAX_DAYS", Description: "most days one daily inventory run exports; the next run goes on from its watermark",
			Default: "31", Check: kit.PositiveInt, Functions: []string{FnInventoryDaily}},
		{Name: "EXPORT_PAGE_SIZE", Description: "Cirro inventory history rows per page (at most 1000)", Default: "1000", Check: pageSize, Functions: inventoryFns},
		{Name: "EXPORT_PART_MB", Description: "most MiB of NDJSON (before compression) in one staged part; memory holds one compressed part", Default: "16", Check: kit.PositiveInt, Functions: exportFns},
		{Name: "ORDER_EXPORT_LAG_SECONDS", Description: "how long an order change waits before it is exported (a transaction stamped earlier may commit later)",
			Default: "60", Check: kit.PositiveInt, Functions: []string{FnOrderExport}},
		{Name: "WAREHOUSE", Description: "where staged files load: snowflake (Azure) or local (the warehouse_* tables in PostgreSQL)",
			Check: kit.OneOf(WarehouseSnowflake, WarehouseLocal), Functions: loadFns},
	}, SnowflakeSettings(loadFns...)),
	Register: register,
}

func checkDay(v string) error {
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		return errors.New("is not YYYY-MM-DD")
	}
	return nil
}

func pageSize(v string) error {
	if err := kit.PositiveInt(v); err != nil {
		return err
	}
	var n int
	if _, err := fmt.Sscan(v, &n); err != nil || n > 1000 {
		return errors.New("is more than 1000")
	}
	return nil
}

func register(r *kit.Registry) {
	r.HTTP(FnHistoryRequest, "POST,GET", "snowflake/inventory-history", func(p *kit.Parts) (http.Handler, error) {
		return &HistoryRequest{Store: p.Store(), Outbox: p.Outbox(TopicInventoryHistory), Now: p.Now()}, nil
	})
	inventory := func(p *kit.Parts) *InventoryExport {
		return &InventoryExport{Store: p.Store(), Cirro: partnerset.CirroClient(p), Blobs: p.Blobs(), PageSize: p.Int("EXPORT_PAGE_SIZE"),
			PartBytes: p.Int("EXPORT_PART_MB") << 20, Now: p.Now()}
	}
	r.ServiceBus(FnInventoryExport, "msg", false, func(p *kit.Parts) (kit.MessageFunc, error) {
		return inventory(p).Handle, nil
	})
	r.Timer(FnInventoryDaily, "timer", func(p *kit.Parts) (kit.TimerFunc, error) {
		x := inventory(p)
		x.MaxDays = p.Int("INVENTORY_EXPORT_MAX_DAYS")
		if d := p.Setting("INVENTORY_EXPORT_FIRST_DAY"); d != "" {
			x.FirstDay, _ = time.Parse(time.DateOnly, d) // Check reports a bad value
		}
		return x.Daily, nil
	})
	r.Timer(FnOrderExport, "timer", func(p *kit.Parts) (kit.TimerFunc, error) {
		return (&OrderExport{Store: p.Store(), Blobs: p.Blobs(), PartBytes: p.Int("EXPORT_PART_MB") << 20,
			Lag: time.Duration(p.Int("ORDER_EXPORT_LAG_SECONDS")) * time.Second, Now: p.Now()}).Run, nil
	})
	r.Blob(FnLoad, "file", true, func(p *kit.Parts) (kit.BlobFunc, error) {
		var w Warehouse
		// The Snowflake settings are read either way, so config check
		// lists them with the function.
		cfg := snowflakeConfig(p)
		switch strings.ToLower(p.Setting("WAREHOUSE")) {
		case WarehouseSnowflake:
			sw, err := snowflakeWarehouse(cfg)
			if err != nil {
				// A missing SNOWFLAKE_* setting is named here: they are
				// optional for the kit, needed only with WAREHOUSE=snowflake.
				return nil, err
			}
			w = sw
		default:
			w = &LocalWarehouse{Store: p.Store()}
		}
		p.Parker() // a refused file is parked and alerted
		return (&Load{Warehouse: w}).Handle, nil
	})
}
