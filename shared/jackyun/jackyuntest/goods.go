package jackyuntest

import (
	"encoding/json"
	"net/url"

	"github.com/popsockets/integration/shared/jackyun"
)

// GoodsCall is one goods sync the fake received (and applied, unless Refused).
type GoodsCall struct {
	GoodsNo, GoodsName, Barcode, Category, Unit, Revision string
	Attributes                                            map[string]string
	// Refused is the message of a refusal ("" when applied).
	Refused string
}

// RefuseGoods makes every sync of goodsNo a refusal with msg (an SKU the
// China warehouse does not accept), until cleared with msg "".
func (s *Server) RefuseGoods(goodsNo, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if msg == "" {
		delete(s.refused, goodsNo)
		return
	}
	s.refused[goodsNo] = msg
}

// Goods is the SKU as the fake holds it, and whether it has it.
func (s *Server) Goods(goodsNo string) (GoodsCall, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.goods[goodsNo]
	return g, ok
}

// GoodsCalls is every goods sync received, in order.
func (s *Server) GoodsCalls() []GoodsCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]GoodsCall(nil), s.gcalls...)
}

func (s *Server) syncGoods(p url.Values) any {
	g := GoodsCall{
		GoodsNo: p.Get(jackyun.ParamGoodsNo), GoodsName: p.Get(jackyun.ParamGoodsName), Barcode: p.Get(jackyun.ParamBarcode),
		Category: p.Get(jackyun.ParamCategory), Unit: p.Get(jackyun.ParamUnit), Revision: p.Get(jackyun.ParamRevision),
	}
	if a := p.Get(jackyun.ParamAttributes); a != "" {
		if err := json.Unmarshal([]byte(a), &g.Attributes); err != nil {
			return refusal(400, "skuAttributes is not a JSON object of strings")
		}
	}
	if g.GoodsNo == "" || g.GoodsName == "" {
		return refusal(400, "goodsNo and goodsName are required")
	}
	if msg, ok := s.refused[g.GoodsNo]; ok {
		g.Refused = msg
		s.gcalls = append(s.gcalls, g)
		return map[string]any{"code": 400, "subCode": "isv.goods-invalid", "msg": msg}
	}
	s.gcalls = append(s.gcalls, g)
	_, existed := s.goods[g.GoodsNo]
	s.goods[g.GoodsNo] = g
	return map[string]any{"code": jackyun.CodeOK, "msg": "success",
		"result": map[string]any{"data": jackyun.WireGoodsSynced{GoodsNo: g.GoodsNo, Created: !existed}}}
}
