package china

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/golden"
	"github.com/popsockets/integration/shared/jackyun"
)

func readTrade(t *testing.T, name string) jackyun.Trade {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	tr, err := jackyun.DecodeTrade(raw)
	require.NoError(t, err)
	return tr
}

func TestOMSOrderGolden(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"trade_pod", "trade_fg_pascal"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o, err := OMSOrder(readTrade(t, name+".json"), "KH")
			require.NoError(t, err)
			golden.JSON(t, name+".oms.golden", o)
		})
	}
}

func TestBatchStationGolden(t *testing.T) {
	t.Parallel()
	p, ok, err := BatchStation(readTrade(t, "trade_pod.json"), "KH")
	require.NoError(t, err)
	require.True(t, ok)
	golden.JSON(t, "trade_pod.batchstation.golden", p)

	_, ok, err = BatchStation(readTrade(t, "trade_fg_pascal.json"), "KH")
	require.NoError(t, err)
	require.False(t, ok, "an FG-only order goes to OMS only")
}

// TestMappingRefusals: an order that cannot be mapped is refused with the
// reason (it is parked), never sent half.
func TestMappingRefusals(t *testing.T) {
	t.Parallel()
	base := func() jackyun.Trade { return readTrade(t, "trade_pod.json") }
	cases := []struct {
		name   string
		edit   func(*jackyun.Trade)
		reason string
		class  fault.Class
	}{
		{"NoLines", func(t *jackyun.Trade) { t.GoodsDetail = nil }, "has no goods lines", fault.ClassPermanent},
		{"DeletedInJackyun", func(t *jackyun.Trade) { t.IsDelete = "1" }, "is deleted in Jackyun", fault.ClassPermanent},
		{"LineWithoutSKU", func(t *jackyun.Trade) { t.GoodsDetail[1].GoodsNo = "" }, "line 2: goodsNo is missing", fault.ClassPermanent},
		{"FractionalCount", func(t *jackyun.Trade) { t.GoodsDetail[0].SellCount = "1.5" }, `line 1: sellCount "1.5"`, fault.ClassPermanent},
		{"ZeroCount", func(t *jackyun.Trade) { t.GoodsDetail[0].SellCount = "0" }, "above zero", fault.ClassPermanent},
		{"MorePrintedThanSold", func(t *jackyun.Trade) { t.GoodsDetail[2].NeedProcessCount = "2" }, "line 3: needProcessCount", fault.ClassPermanent},
		{"PriceWithThreeDecimals", func(t *jackyun.Trade) { t.GoodsDetail[0].SellPrice = "9.999" }, `sellPrice "9.999"`, fault.ClassPermanent},
		{"NegativePrice", func(t *jackyun.Trade) { t.GoodsDetail[0].SellPrice = "-1" }, "sellPrice", fault.ClassPermanent},
		{"ControlCharacterInSKU", func(t *jackyun.Trade) { t.GoodsDetail[0].GoodsNo = "PS\x01GRIP" }, "control character", fault.ClassPermanent},
		{"UnreadableCreationTime", func(t *jackyun.Trade) { t.GmtCreate = "yesterday" }, "gmtCreate", fault.ClassPermanent},
		{"TradeNoTooLong", func(t *jackyun.Trade) { t.TradeNo = string(make([]byte, 65)) }, "tradeNo", fault.ClassMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tr := base()
			c.edit(&tr)
			_, err := OMSOrder(tr, "KH")
			require.ErrorContains(t, err, c.reason)
			require.Equal(t, c.class, fault.ClassOf(err))
			_, _, err = BatchStation(tr, "KH")
			require.Error(t, err, "BatchStation refuses it too")
		})
	}
}

func TestImageType(t *testing.T) {
	t.Parallel()
	cases := map[string]string{"": "POD", "CYO": "CYO", "加急,CPOD": "CPOD", "std": "STD", "VIP;POD": "POD", "加急，CYO": "CYO", "GIFT": "POD"}
	for flags, want := range cases {
		require.Equal(t, want, imageType(flags), flags)
	}
}

// FuzzDecodeOrder: whatever a jackyun-orders message holds, reading and
// mapping it never panics, and an accepted order names its tradeNo.
func FuzzDecodeOrder(f *testing.F) {
	for _, name := range []string{"trade_pod.json", "trade_fg_pascal.json"} {
		raw, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		m, err := orderMessage("JY202603020001", raw, 1, chinaNoon)
		if err != nil {
			f.Fatal(err)
		}
		body, _ := json.Marshal(m.Envelope)
		f.Add(body)
	}
	f.Add([]byte(`{"trace_id":"0123456789abcdef0123456789abcdef"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, tr, err := decodeOrder(context.Background(), &azfunc.Message{Body: body})
		if err != nil {
			return
		}
		if tr.TradeNo == "" {
			t.Fatal("accepted an order without tradeNo")
		}
		if o, err := OMSOrder(tr, "KH"); err == nil && len(o.Lines) == 0 {
			t.Fatal("mapped an order without lines")
		}
		_, _, _ = BatchStation(tr, "KH")
	})
}
