package jackyun

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/popsockets/integration/shared/fault"
)

// Goods is one SKU of the China warehouse's goods master.
type Goods struct {
	GoodsNo   string
	GoodsName string
	Barcode   string
	Category  string
	Unit      string
	// Revision is the Arena revision the data comes from.
	Revision string
	// Attributes are sent as one JSON object.
	Attributes map[string]string
}

// Synced is what Jackyun did with a SKU.
type Synced struct {
	GoodsNo string
	// Created is false when the SKU existed and was updated.
	Created bool
}

// SyncGoods creates or updates a SKU (MethodGoodsSync, an upsert by goodsNo:
// calling it again with the same data changes nothing). A refusal of the
// data is permanent; see classify.
func (c *Client) SyncGoods(ctx context.Context, g Goods) (Synced, error) {
	if strings.TrimSpace(g.GoodsNo) == "" {
		return Synced{}, fault.Permanentf("syncing Jackyun goods: no goodsNo")
	}
	if strings.TrimSpace(g.GoodsName) == "" {
		return Synced{}, fault.Permanentf("syncing Jackyun goods %s: no name", g.GoodsNo)
	}
	biz := url.Values{}
	biz.Set(ParamGoodsNo, g.GoodsNo)
	biz.Set(ParamGoodsName, g.GoodsName)
	biz.Set(ParamBarcode, g.Barcode)
	biz.Set(ParamCategory, g.Category)
	biz.Set(ParamUnit, g.Unit)
	biz.Set(ParamRevision, g.Revision)
	if len(g.Attributes) > 0 {
		b, err := json.Marshal(g.Attributes) // map keys are sorted: the same SKU is the same bytes
		if err != nil {
			return Synced{}, fault.Permanent(fmt.Errorf("encoding attributes of goods %s: %w", g.GoodsNo, err))
		}
		biz.Set(ParamAttributes, string(b))
	}
	res, err := c.call(ctx, MethodGoodsSync, biz)
	if err != nil {
		return Synced{}, fmt.Errorf("syncing Jackyun goods %s: %w", g.GoodsNo, err)
	}
	var w WireGoodsSynced
	if len(res.Data) > 0 {
		if err := json.Unmarshal(res.Data, &w); err != nil {
			return Synced{}, fault.Transient(fmt.Errorf("syncing Jackyun goods %s: the answer does not decode: %w", g.GoodsNo, err), 0)
		}
	}
	return Synced{GoodsNo: g.GoodsNo, Created: w.Created}, nil
}
