package product

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/arena"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/golden"
)

func arenaKit() (arena.Item, []arena.BOMLine) {
	it := arena.Item{GUID: "REVGUID000000000000B", Number: "800-1000", Name: "Custom grip kit, black", Description: "Grip and blank for CYO",
		RevisionNumber: "B", Status: arena.RevisionStatusEffective, EffectiveDateTime: "2026-03-02T09:00:00Z",
		Category: arena.Ref{Name: "Kits"}, LifecyclePhase: arena.Ref{Name: "In Production"}, UOM: "each",
		AdditionalAttributes: []arena.Attribute{
			{Name: "Image Type", FieldType: "SINGLE_LINE_TEXT", Value: json.RawMessage(`"CYO"`)},
			{Name: "UPC", FieldType: "SINGLE_LINE_TEXT", Value: json.RawMessage(`"840173720011"`)},
			{Name: "Weight g", FieldType: "NUMBER", Value: json.RawMessage(`24`)},
			{Name: "Markets", FieldType: "FIXED_DROP_DOWN", Value: json.RawMessage(`["CN","US"]`)},
		}}
	bom := []arena.BOMLine{
		{LineNumber: 1, Quantity: "1", Item: arena.ItemRef{Number: "800-0001", RevisionNumber: "C"}},
		{LineNumber: 2, Quantity: "2.5", RefDes: "A1", Item: arena.ItemRef{Number: "800-0002", RevisionNumber: "A"}},
	}
	return it, bom
}

func TestMappingGolden(t *testing.T) {
	t.Parallel()
	it, bom := arenaKit()
	r, err := FromArena(it, "ITEMGUID000000000000", bom)
	require.NoError(t, err)
	golden.JSON(t, "revision.golden", r)
	golden.JSON(t, "oms_product.golden", OMSProduct(r))
	ps, ok, why := PrintStationProduct(r)
	require.True(t, ok, why)
	golden.JSON(t, "printstation_product.golden", ps)
	golden.JSON(t, "jackyun_goods.golden", JackyunGoods(r))
}

func TestPrintStationTakesOnlyWhatItPrints(t *testing.T) {
	t.Parallel()
	for value, want := range map[string]bool{"CYO": true, "cpod": true, " STD ": true, "POD": true, "FG": false, "": false, "Sticker": false} {
		r := Revision{ItemNumber: "1", Revision: "A", Name: "x", Attributes: []Attribute{{Name: "image type", Value: value}}}
		_, ok, why := PrintStationProduct(r)
		require.Equal(t, want, ok, "%q: %s", value, why)
	}
}

func TestFromArenaRefusesWhatItCannotKey(t *testing.T) {
	t.Parallel()
	it, bom := arenaKit()
	it.RevisionNumber = ""
	_, err := FromArena(it, "", bom)
	require.Equal(t, fault.ClassMalformed, fault.ClassOf(err))
	it, _ = arenaKit()
	it.Name = " "
	_, err = FromArena(it, "", bom)
	require.ErrorContains(t, err, "has no name")
	it, _ = arenaKit()
	it.Number = "800\n1000"
	_, err = FromArena(it, "", bom)
	require.ErrorContains(t, err, "control character")
}

// TestNewer is the rule that keeps an older revision from overwriting a
// newer one, whatever the order of delivery.
func TestNewer(t *testing.T) {
	t.Parallel()
	at := func(h int) time.Time { return time.Date(2026, 3, 2, h, 0, 0, 0, time.UTC) }
	var zero time.Time
	cases := []struct {
		name         string
		a            string
		aAt          time.Time
		b            string
		bAt          time.Time
		aIsNewerThan bool
	}{
		{"LaterEffectiveIsNewer", "B", at(10), "A", at(9), true},
		{"EarlierEffectiveIsOlderWhateverTheLetter", "C", at(8), "B", at(9), false},
		{"SameRevisionIsNotNewer", "B", at(10), "B", at(10), false},
		{"WithoutTimesTheLetterDecides", "B", zero, "A", zero, true},
		{"ZIsOlderThanAA", "Z", zero, "AA", zero, false},
		{"AAIsNewerThanZ", "AA", zero, "Z", zero, true},
		{"TenIsNewerThanNine", "10", zero, "9", zero, true},
		{"ZeroPaddedNumbers", "02", zero, "01", zero, true},
		{"OneTimeMissingFallsBackToTheNumber", "B", at(1), "A", zero, true},
		{"SameTimeFallsBackToTheNumber", "B", at(9), "C", at(9), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, c.aIsNewerThan, Newer(c.a, c.aAt, c.b, c.bAt))
		})
	}
}

// FuzzDecodeRevision: whatever a products message holds, reading and
// mapping it never panics, and an accepted revision can be keyed.
func FuzzDecodeRevision(f *testing.F) {
	it, bom := arenaKit()
	r, err := FromArena(it, "ITEMGUID", bom)
	if err != nil {
		f.Fatal(err)
	}
	m, err := revisionMessage(r, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	if err != nil {
		f.Fatal(err)
	}
	body, _ := json.Marshal(m.Envelope)
	f.Add(body)
	f.Add([]byte(`{"event_type":"arena.item.revision","requested_payload":"e30="}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := decodeRevision(context.Background(), &azfunc.Message{Body: body})
		if err != nil {
			return
		}
		if r.ItemNumber == "" || r.Revision == "" {
			t.Fatal("accepted a revision without item number or revision")
		}
		_ = OMSProduct(r)
		_, _, _ = PrintStationProduct(r)
		_ = JackyunGoods(r)
	})
}
