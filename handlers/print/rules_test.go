package print

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
)

func TestEmbeddedRulesParse(t *testing.T) {
	r := DefaultRules()
	require.Equal(t, []string{"CPOD", "CYO", "STD"}, r.PrintableImageTypes)
	require.Contains(t, r.Sites, "KH")
	require.Contains(t, r.Sites, "CROF")
}

func TestLoadRules(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rules.json")
	require.NoError(t, os.WriteFile(file, []byte(testRules), 0o600))
	for _, tc := range []struct {
		name, setting string
		maxAtCROF     int
		err           string
	}{
		{name: "EmptyIsTheEmbeddedDefault", setting: "", maxAtCROF: 48},
		{name: "JSONInTheSetting", setting: testRules, maxAtCROF: 3},
		{name: "PathToAFile", setting: file, maxAtCROF: 3},
		{name: "MissingFileIsAnError", setting: filepath.Join(t.TempDir(), "nope.json"), err: "reading the print rules file"},
		{name: "BrokenJSONIsAnError", setting: `{"printableImageTypes": [`, err: "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := LoadRules(tc.setting)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.maxAtCROF, r.Sites["CROF"].MaxItemsPerBatch)
		})
	}
}

func TestParseRulesRefusesWhatCannotWork(t *testing.T) {
	for _, tc := range []struct{ name, json, err string }{
		{"UnknownFieldIsAMisspeltRule", `{"printableImageTypes":["STD"],"maxItems":3}`, `unknown field "maxItems"`},
		{"NoPrintableImageTypes", `{"printableImageTypes":[]}`, "nothing would ever be printable"},
		{"WarehouseBatchesForAnUnknownSite", `{"printableImageTypes":["STD"],"warehouses":{"CROF":{"printStationBatching":true,"printSite":"XX"}}}`,
			`print site "XX", which sites does not declare`},
		{"ZeroMaxItems", `{"printableImageTypes":["STD"],"sites":{"KH":{"maxItemsPerBatch":0,"timezone":"UTC","cutoff":"10:00"}}}`, "maxItemsPerBatch must be above zero"},
		{"BadTimezone", `{"printableImageTypes":["STD"],"sites":{"KH":{"maxItemsPerBatch":2,"timezone":"Mars/Olympus","cutoff":"10:00"}}}`, "not an IANA time zone"},
		{"BadCutoff", `{"printableImageTypes":["STD"],"sites":{"KH":{"maxItemsPerBatch":2,"timezone":"UTC","cutoff":"25:00"}}}`, "not a time HH:MM"},
		{"BadMaxWait", `{"printableImageTypes":["STD"],"sites":{"KH":{"maxItemsPerBatch":2,"timezone":"UTC","cutoff":"10:00","maxWait":"soon"}}}`, "not a positive duration"},
		{"NamelessCategory", `{"printableImageTypes":["STD"],"categories":[{"imageTypes":["STD"]}]}`, "no category name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRules([]byte(tc.json))
			require.ErrorContains(t, err, tc.err)
		})
	}
}

// testRules: CROF batches 3 items, cut-off 16:00 UTC, no max wait; KH
// batches 2, cut-off 10:00 Shanghai, max wait 2h; NJ has batching off.
const testRules = `{
  "printableImageTypes": ["CPOD", "CYO", "STD"],
  "batchedElsewhere": {"jackyun": "BatchStation"},
  "withdrawStatuses": ["CANCELLED"],
  "warehouses": {
    "CROF": {"printStationBatching": true, "printSite": "CROF"},
    "KH": {"printStationBatching": true, "printSite": "KH"},
    "NJ": {"printStationBatching": false}
  },
  "sites": {
    "CROF": {"maxItemsPerBatch": 3, "timezone": "UTC", "cutoff": "16:00"},
    "KH": {"maxItemsPerBatch": 2, "timezone": "Asia/Shanghai", "cutoff": "10:00", "maxWait": "2h"}
  },
  "categories": [
    {"category": "grip", "skuPrefixes": ["PG"]},
    {"category": "custom-photo", "imageTypes": ["CPOD"]},
    {"category": "standard", "imageTypes": ["STD", "CYO"]}
  ]
}`

func mustRules(t testing.TB, js string) *Rules {
	t.Helper()
	r, err := ParseRules([]byte(js))
	require.NoError(t, err)
	return r
}

func TestCategoryFirstMatchWins(t *testing.T) {
	r := mustRules(t, testRules)
	for _, tc := range []struct{ sku, imageType, want string }{
		{"PG-100", "CPOD", "grip"},
		{"801330", "CPOD", "custom-photo"},
		{"801330", "cyo", "standard"},
		{"801330", "STD", "standard"},
		{"801330", "POD", "POD"},
	} {
		t.Run(tc.sku+"_"+tc.imageType, func(t *testing.T) {
			require.Equal(t, tc.want, r.Category(tc.sku, tc.imageType))
		})
	}
}

func line(n, imageType string) OrderItem {
	return OrderItem{OrderLineNumber: n, Quantity: 1, ProductSKU: "801330", ImageType: imageType, RecipeID: "R-" + n,
		ImageURL: "https://images.example/" + n + ".png"}
}

func TestDecide(t *testing.T) {
	r := mustRules(t, testRules)
	base := func(wh string, items ...OrderItem) OrderUpdate {
		return OrderUpdate{SiteID: "CROF", OrderID: "ORD-1", Warehouse: wh, Date: "2026-12-04", Status: "NEW", OrderItems: items}
	}
	for _, tc := range []struct {
		name      string
		o         OrderUpdate
		printable bool
		lines     int
		site      string
		reason    string
		malformed string
	}{
		{name: "PrintableLineAtABatchingWarehouse", o: base("CROF", line("10000", "CPOD"), line("20000", "FG")), printable: true, lines: 1, site: "CROF"},
		{name: "EveryPrintableImageType", o: base("CROF", line("1", "CPOD"), line("2", "CYO"), line("3", "std")), printable: true, lines: 3, site: "CROF"},
		{name: "WarehouseDefaultsToTheSite", o: func() OrderUpdate { o := base("", line("1", "STD")); o.SiteID = "KH"; return o }(), printable: true, lines: 1, site: "KH"},
		{name: "NoPrintableLine", o: base("CROF", line("10000", "FG"), line("20000", "POD")),
			reason: "not printable: no line has image type CPOD, CYO, STD (lines: 10000 FG, 20000 POD)"},
		{name: "BatchingOff", o: base("NJ", line("1", "CPOD")), reason: "not printable here: warehouse NJ has print-station batching off"},
		{name: "UnknownWarehouse", o: base("ZZ", line("1", "CPOD")), reason: "not printable here: warehouse ZZ has no print-station batching configured"},
		{name: "NotNew", o: func() OrderUpdate { o := base("CROF", line("1", "CPOD")); o.Status = "CANCELLED"; return o }(),
			reason: "not for print: order-update status CANCELLED is not NEW"},
		{name: "NoOrderID", o: func() OrderUpdate { o := base("CROF", line("1", "CPOD")); o.OrderID = ""; return o }(), malformed: "orderId is missing"},
		{name: "NoWarehouseNorSite", o: func() OrderUpdate { o := base("", line("1", "CPOD")); o.SiteID = ""; return o }(), malformed: "neither a warehouse nor a siteId"},
		{name: "NoLines", o: base("CROF"), malformed: "has no orderItems"},
		{name: "PrintableLineWithoutImage", o: base("CROF", OrderItem{OrderLineNumber: "1", Quantity: 1, ProductSKU: "S", ImageType: "CPOD"}),
			malformed: "line 1 (CPOD): no imageUrl: it cannot be validated or printed"},
		{name: "ImageNotAURL", o: base("CROF", func() OrderItem { i := line("1", "CPOD"); i.ImageURL = "file:///etc/passwd"; return i }()),
			malformed: "imageUrl is not an absolute http(s) URL"},
		{name: "ZeroQuantity", o: base("CROF", func() OrderItem { i := line("1", "CPOD"); i.Quantity = 0; return i }()), malformed: "quantity 0 is not above zero"},
		{name: "RepeatedLine", o: base("CROF", line("1", "CPOD"), line("1", "STD")), malformed: "has line 1 twice"},
		{name: "BadDate", o: func() OrderUpdate { o := base("CROF", line("1", "CPOD")); o.Date = "04/12/2026"; return o }(), malformed: "date \"04/12/2026\" is not a date"},
		{name: "ControlCharacterInSKU", o: base("CROF", func() OrderItem { i := line("1", "CPOD"); i.ProductSKU = "a\nb"; return i }()),
			malformed: "orderItems[0].productSku holds a control character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Decide(tc.o, r)
			if tc.malformed != "" {
				require.Error(t, err)
				require.Equal(t, fault.ClassMalformed, fault.ClassOf(err))
				require.ErrorContains(t, err, tc.malformed)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.printable, d.Printable)
			require.Len(t, d.Lines, tc.lines)
			require.Equal(t, tc.site, d.Site)
			if tc.reason != "" {
				require.True(t, strings.HasPrefix(d.Reason, tc.reason), "%q", d.Reason)
			}
		})
	}
}

func TestDecideUsesTheDueDateBeforeTheOrderDate(t *testing.T) {
	r := mustRules(t, testRules)
	o := OrderUpdate{OrderID: "O", Warehouse: "CROF", Date: "2026-12-01", DueDate: "2026-12-09", OrderItems: []OrderItem{line("1", "CPOD")}}
	d, err := Decide(o, r)
	require.NoError(t, err)
	require.Equal(t, "2026-12-09", d.Lines[0].Due.Format(time.DateOnly))
}

func TestPlan(t *testing.T) {
	r := mustRules(t, testRules)
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return tm
	}
	for _, tc := range []struct {
		name   string
		g      Group
		now    string
		send   bool
		size   int
		reason string
	}{
		{name: "FullBatchLeavesAtOnce", g: Group{Site: "CROF", Category: "standard", Count: 3}, now: "2026-12-04T09:00:00Z", send: true, size: 3, reason: "full batch of 3"},
		{name: "MoreThanABatchLeavesAsAFullOne", g: Group{Site: "CROF", Category: "standard", Count: 3}, now: "2026-12-04T09:00:00Z", send: true, size: 3},
		{name: "PartialWaitsBeforeTheCutoff", g: Group{Site: "CROF", Category: "standard", Count: 2}, now: "2026-12-04T15:59:59Z",
			reason: "waiting for a batch: 3 standard items at CROF make a batch; a partial batch leaves after the 16:00 cut-off (UTC)"},
		{name: "PartialLeavesAtTheCutoff", g: Group{Site: "CROF", Category: "standard", Count: 2}, now: "2026-12-04T16:00:00Z", send: true, size: 2,
			reason: "partial batch of 2: past the 16:00 cut-off at CROF (UTC)"},
		{name: "PartialLeavesUntilMidnight", g: Group{Site: "CROF", Category: "standard", Count: 1}, now: "2026-12-04T23:59:00Z", send: true, size: 1},
		{name: "PartialWaitsAgainAfterMidnight", g: Group{Site: "CROF", Category: "standard", Count: 1}, now: "2026-12-05T00:01:00Z"},
		{name: "CutoffIsTheSitesLocalTime", g: Group{Site: "KH", Category: "custom-photo", Count: 1, OldestQueued: at("2026-12-04T01:30:00Z")},
			now: "2026-12-04T02:00:00Z", send: true, size: 1, reason: "past the 10:00 cut-off at KH (Asia/Shanghai)"},
		{name: "BeforeTheLocalCutoffItWaits", g: Group{Site: "KH", Category: "custom-photo", Count: 1, OldestQueued: at("2026-12-04T01:30:00Z")},
			now: "2026-12-04T01:59:00Z", reason: "or once its oldest item has waited 2h"},
		{name: "MaxWaitSendsAPartialBatch", g: Group{Site: "KH", Category: "custom-photo", Count: 1, OldestQueued: at("2026-12-03T22:00:00Z")},
			now: "2026-12-04T00:00:00Z", send: true, size: 1, reason: "its oldest item waited 2h0m0s (max 2h)"},
		{name: "UnknownSiteWaitsAndSaysWhy", g: Group{Site: "XX", Category: "standard", Count: 9}, now: "2026-12-04T09:00:00Z",
			reason: "print site XX is not configured"},
		{name: "NothingToBatch", g: Group{Site: "CROF", Category: "standard"}, now: "2026-12-04T17:00:00Z", reason: "nothing to batch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := r.Plan(tc.g, at(tc.now))
			require.Equal(t, tc.send, p.Send, p.Why)
			require.Equal(t, tc.size, p.Size)
			require.Contains(t, p.Why, tc.reason)
		})
	}
}
