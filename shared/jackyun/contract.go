package jackyun

// ASSUMPTIONS. This file is the one place that holds what this package
// assumes about Jackyun as reached through the Qimen router: parameter
// names, the signature's inputs, the answer's shape and which error codes
// are worth a retry. The client and the fake (jackyuntest) both read it.
// Facts and their sources are in ../reference/partners.md section 3 and
// current-camel-layer.md G1; what is marked (A) there is assumed here.

import "encoding/json"

// System parameters of every Qimen call. All of them, and the business
// parameters, are form-posted (application/x-www-form-urlencoded) to the
// router URL (app setting JACKYUN_URL, such as
// https://zci2vl4joy.api.taobao.com/router/qm).
const (
	ParamMethod     = "method"
	ParamTimestamp  = "timestamp" // TimestampLayout, in China time
	ParamFormat     = "format"    // FormatJSON
	ParamAppKey     = "app_key"
	ParamVersion    = "v"           // Version
	ParamSignMethod = "sign_method" // SignMD5 or SignHMACSHA256
	ParamSign       = "sign"
	// ParamCustomerID names Jackyun's tenant (A: the tenant parameter's
	// name is to be confirmed with Jackyun; empty config sends none).
	ParamCustomerID = "customerId"
	// ParamTargetAppKey names the ERP's Qimen app for custom (ERP-defined)
	// methods; empty config sends none.
	ParamTargetAppKey = "target_app_key"
)

// Values of system parameters.
const (
	FormatJSON = "json"
	Version    = "2.0"
	// SignMD5 is the public Qimen algorithm: MD5 of secret + k1v1k2v2... +
	// secret, 32 upper-case hex digits.
	SignMD5 = "md5"
	// SignHMACSHA256 is what the company's JackyunQimenSign signs with:
	// HMAC-SHA256 keyed by the secret over k1v1k2v2..., 64 upper-case hex
	// digits (A: the same string to sign as md5, without the wrapping, as
	// the TOP convention has it for its hmac methods).
	SignHMACSHA256 = "hmac-sha256"
	// TimestampLayout is how Qimen writes times; they are read as Beijing
	// time (Asia/Shanghai), with a small allowed skew.
	TimestampLayout = "2006-01-02 15:04:05"
	// ChinaZone is the zone every Jackyun time is in.
	ChinaZone = "Asia/Shanghai"
)

// The string to sign: every parameter except ParamSign whose value is not
// empty, sorted by name (byte order), each written as name then value, with
// nothing between. Empty parameters are neither signed nor sent. With every
// parameter in the form, no request body is appended (the body Qimen's md5
// appends is the raw body of a non-form request).

// MethodTradeList lists sales orders without personal data (needs an app key
// enabled for custom interfaces).
const MethodTradeList = "jackyun.tradenotsensitiveinfos.list.get"

// Business parameters of MethodTradeList (G1: the company's flow).
const (
	ParamTradeStatus = "tradeStatus"
	// ParamStartModified and ParamEndModified bound the orders' last
	// modification, in China time (TimestampLayout).
	ParamStartModified = "startModified"
	ParamEndModified   = "endModified"
	ParamPageSize      = "pageSize"
	ParamScrollID      = "scrollId"
	// ParamFields is a comma-separated list of the fields to return.
	ParamFields = "fields"
	// ParamTradeNo asks for one order (A: used by `handler jackyun repush`).
	ParamTradeNo = "tradeNo"
)

// TradeStatusReadyToShip is tradeStatus 4112, "ready to ship, submitted".
const TradeStatusReadyToShip = 4112

// MaxPageSize is the largest page Jackyun serves.
const MaxPageSize = 200

// MethodGoodsSync creates or updates a SKU in the China warehouse's goods
// master (A: a custom Qimen method of the ERP; an upsert by goodsNo, so a
// repeated call changes nothing).
const MethodGoodsSync = "jackyun.goods.sync"

// Business parameters of MethodGoodsSync.
const (
	ParamGoodsNo    = "goodsNo"
	ParamGoodsName  = "goodsName"
	ParamBarcode    = "barcode"
	ParamCategory   = "cateName"
	ParamUnit       = "unitName"
	ParamRevision   = "skuRevision"
	ParamAttributes = "skuAttributes" // a JSON object, as a string
)

// CodeOK is the code of a successful answer.
const CodeOK = 200

// WireResponse is every answer's body (HTTP 200 whatever happened):
// success is {"code":200,"msg":...,"result":{"data":...,"scrollId":...}},
// where data is an object or the same object as a JSON string; a refusal
// is a code other than 200, or {"error_response":{...}} (the router's own
// refusals: signature, app key, limits).
type WireResponse struct {
	Code          json.RawMessage    `json:"code,omitempty"`
	Msg           string             `json:"msg,omitempty"`
	SubCode       string             `json:"subCode,omitempty"`
	Result        *WireResult        `json:"result,omitempty"`
	ErrorResponse *WireErrorResponse `json:"error_response,omitempty"`
}

// WireResult holds the method's data and, for lists, the cursor.
type WireResult struct {
	Data     json.RawMessage `json:"data"`
	ScrollID string          `json:"scrollId,omitempty"`
}

// WireErrorResponse is the router's refusal.
type WireErrorResponse struct {
	Code    json.RawMessage `json:"code"`
	Msg     string          `json:"msg"`
	SubCode string          `json:"sub_code,omitempty"`
	SubMsg  string          `json:"sub_msg,omitempty"`
}

// WireTradePage is the data of MethodTradeList. Jackyun writes its keys in
// PascalCase (TotalResults, Trades) or camelCase; both decode. A scrollId
// inside data is honoured when result has none.
type WireTradePage struct {
	TotalResults int               `json:"totalResults"`
	Trades       []json.RawMessage `json:"trades"`
	ScrollID     string            `json:"scrollId,omitempty"`
}

// WireGoodsSynced is the data of MethodGoodsSync.
type WireGoodsSynced struct {
	GoodsNo string `json:"goodsNo"`
	Created bool   `json:"created"`
}

// Router error codes (TOP convention) and what they mean for a retry.
// sub_codes starting "isp." are the service's own failures (transient);
// "isv." ones are the caller's (permanent).
var (
	// transientCodes are worth a retry: call limits, service unavailable,
	// remote service errors, and Jackyun's own 5xx-like codes.
	transientCodes = map[string]bool{"7": true, "15": true, "500": true, "503": true, "504": true, "429": true}
	// credentialCodes mean the app key, secret or signature were refused:
	// transient, since the secret may be mid-rotation, but named as such.
	credentialCodes = map[string]bool{"11": true, "25": true, "26": true, "27": true, "29": true, "401": true, "403": true}
)

// Fields is what the flows ask MethodTradeList for: the raw order (with
// these fields) is what is published and kept.
var Fields = []string{
	"tradeNo", "tradeId", "orderNo", "tradeStatus", "sourceTradeNo", "onlineTradeNo", "warehouseCode", "shopName",
	"flagNames", "gmtCreate", "gmtModified", "lastShipTime", "isDelete", "currency",
	"goodsDetail.goodsNo", "goodsDetail.goodsName", "goodsDetail.sellCount", "goodsDetail.sellPrice",
	"goodsDetail.needProcessCount", "goodsDetail.goodsFlagNames", "goodsDetail.recipeId",
}
