// Package jackyuntest is a fake Jackyun behind a Qimen router, on a real
// socket, for tests and the local run.
//
// What it guarantees:
//
//   - It serves the contract of package jackyun (contract.go): form-posted,
//     signed calls, checked as the router checks them (app key, sign method,
//     signature, timestamp within 10 minutes of its clock in China time),
//     refused inside HTTP 200 with an error_response as the router does.
//   - MethodTradeList serves the orders whose last modification falls in the
//     window it is asked for, read in China time, that are visible by its
//     clock (an order can arrive late: visible only some time after its
//     modification time), in pages with a scroll id, ending with a short or
//     empty page. It refuses a window that ends in the future or is
//     inverted, and records every window asked for (Windows).
//   - data comes as an object, as a JSON string, or alternating (DataMode);
//     an order can be repeated at the start of the next page (RepeatAcrossPages).
//   - MethodGoodsSync upserts SKUs by goodsNo and keeps every call (GoodsCalls).
//   - It records every request (Calls) and can be told to fail over HTTP
//     (FailNext), refuse inside HTTP 200 (RefuseNext, RouterErrorNext),
//     refuse one SKU (RefuseGoods) or be slow (Delay).
package jackyuntest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/popsockets/integration/shared/fakeserver"
	"github.com/popsockets/integration/shared/jackyun"
)

// Defaults of Config.
const (
	DefaultAppKey = "jackyuntest-app"
	DefaultSecret = "jackyuntest-secret-0123456789"
	// Path is where the router listens.
	Path = "/router/qm"
	// MaxSkew is how far a timestamp may be from the fake's clock.
	MaxSkew = 10 * time.Minute
)

// DataMode says how data is written in answers.
type DataMode int

// The data modes.
const (
	DataObject DataMode = iota
	DataString
	// DataAlternate writes page 1, 3, 5... as an object and 2, 4... as a string.
	DataAlternate
)

// Config configures the fake.
type Config struct {
	AppKey, Secret string
	// SignMethod, when set, is the only sign method accepted.
	SignMethod string
	// Now is the fake's clock (default time.Now).
	Now  func() time.Time
	Data DataMode
	// RepeatAcrossPages repeats the last order of a page at the start of the next.
	RepeatAcrossPages bool
}

// Window is one window of orders the fake was asked for.
type Window struct {
	Start, End     string // as sent (China time)
	StartAt, EndAt time.Time
}

// Call is one request the fake received.
type Call = fakeserver.Call

type order struct {
	key       string // the map key: tradeNo, or a made-up one for an order without
	tradeNo   string
	modified  time.Time
	visibleAt time.Time
	raw       []byte
}

type scroll struct {
	ids  []string
	next int
	page int
}

// Server is the fake. It is safe for concurrent use.
type Server struct {
	srv   *httptest.Server
	front *fakeserver.Front
	cfg   Config

	mu      sync.Mutex
	orders  map[string]*order
	scrolls map[string]*scroll
	windows []Window
	pages   int
	onPage  func(n int)
	goods   map[string]GoodsCall
	gcalls  []GoodsCall
	refused map[string]string
}

// NewServer starts the fake on a loopback port.
func NewServer(cfg Config) *Server {
	if cfg.AppKey == "" {
		cfg.AppKey = DefaultAppKey
	}
	if cfg.Secret == "" {
		cfg.Secret = DefaultSecret
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, front: &fakeserver.Front{}, orders: map[string]*order{}, scrolls: map[string]*scroll{},
		goods: map[string]GoodsCall{}, refused: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+Path, s.handle)
	s.srv = httptest.NewServer(s.front.Handler(func(r *http.Request, _ []byte) fakeserver.Answer {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		return fakeserver.Answer{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	}))
	return s
}

// URL is the router URL to configure as JACKYUN_URL.
func (s *Server) URL() string { return s.srv.URL + Path }

// AppKey and Secret are the credentials the fake accepts.
func (s *Server) AppKey() string { return s.cfg.AppKey }

// Secret is the app secret the fake checks signatures with.
func (s *Server) Secret() string { return s.cfg.Secret }

// Close stops the fake.
func (s *Server) Close() {
	s.front.Close()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Calls is every request received, in order.
func (s *Server) Calls() []Call { return s.front.Calls() }

// FailNext answers the next times requests with an HTTP status.
func (s *Server) FailNext(status, times int) {
	s.front.Tell(fakeserver.Failure(status, []byte(`{"error":"injected"}`)), times)
}

// RefuseNext answers the next times requests with HTTP 200 and code (not 200).
func (s *Server) RefuseNext(code int, subCode, msg string, times int) {
	s.front.Tell(fakeserver.JSON(http.StatusOK, map[string]any{"code": code, "subCode": subCode, "msg": msg}), times)
}

// RouterErrorNext answers the next request with HTTP 200 and an error_response.
func (s *Server) RouterErrorNext(code, subCode, msg string) {
	s.front.Tell(fakeserver.JSON(http.StatusOK, map[string]any{"error_response": map[string]any{"code": code, "msg": msg, "sub_code": subCode}}), 1)
}

// Delay holds every following answer for d (0 to stop).
func (s *Server) Delay(d time.Duration) { s.front.Delay(d) }

// OnPage calls fn with the number of each page of orders served (1, 2, ...
// over the fake's life), before the page is answered.
func (s *Server) OnPage(fn func(n int)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onPage = fn
}

// Windows is every window of orders asked for, in order.
func (s *Server) Windows() []Window {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Window(nil), s.windows...)
}

// PagesServed counts the pages of orders served.
func (s *Server) PagesServed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pages
}

// AddOrder adds (or replaces) an order: raw is its JSON object, which must
// hold tradeNo unless the test means it not to; it is listed by its
// modification time, once the fake's clock reaches visibleAt (zero: at once).
func (s *Server) AddOrder(raw []byte, modified, visibleAt time.Time) error {
	var head struct {
		TradeNo string `json:"tradeNo"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return fmt.Errorf("jackyuntest: order is not a JSON object: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	no := head.TradeNo
	if no == "" {
		no = "no-trade-no-" + strconv.Itoa(len(s.orders))
	}
	s.orders[no] = &order{key: no, tradeNo: head.TradeNo, modified: modified, visibleAt: visibleAt, raw: append([]byte(nil), raw...)}
	return nil
}

// Orders counts the orders the fake holds.
func (s *Server) Orders() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.orders)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, routerError("40", "isv.invalid-parameter", "the body is not a form"))
		return
	}
	p := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	if refusal := s.checkRouter(p); refusal != nil {
		writeJSON(w, refusal)
		return
	}
	switch p.Get(jackyun.ParamMethod) {
	case jackyun.MethodTradeList:
		writeJSON(w, s.listTrades(p))
	case jackyun.MethodGoodsSync:
		writeJSON(w, s.syncGoods(p))
	default:
		writeJSON(w, routerError("22", "isv.invalid-method", "invalid method "+p.Get(jackyun.ParamMethod)))
	}
}

// checkRouter is what the Qimen router checks before the call reaches Jackyun.
func (s *Server) checkRouter(p url.Values) any {
	if p.Get(jackyun.ParamAppKey) != s.cfg.AppKey {
		return routerError("29", "isv.appkey-not-exists", "invalid app key")
	}
	if m := p.Get(jackyun.ParamSignMethod); s.cfg.SignMethod != "" && m != s.cfg.SignMethod {
		return routerError("25", "isv.invalid-signature", "sign_method must be "+s.cfg.SignMethod)
	}
	if err := jackyun.Verify(s.cfg.Secret, p); err != nil {
		return routerError("25", "isv.invalid-signature", "invalid signature")
	}
	ts, err := jackyun.ParseChina(p.Get(jackyun.ParamTimestamp))
	if err != nil {
		return routerError("31", "isv.invalid-timestamp", "invalid timestamp")
	}
	if d := ts.Sub(s.cfg.Now()); d > MaxSkew || d < -MaxSkew {
		return routerError("31", "isv.invalid-timestamp", fmt.Sprintf("timestamp %s is %s from the server's China time %s",
			p.Get(jackyun.ParamTimestamp), d.Round(time.Second), jackyun.FormatChina(s.cfg.Now())))
	}
	if p.Get(jackyun.ParamFormat) != jackyun.FormatJSON || p.Get(jackyun.ParamVersion) != jackyun.Version {
		return routerError("40", "isv.invalid-parameter", "format must be json and v 2.0")
	}
	return nil
}

func routerError(code, sub, msg string) any {
	return map[string]any{"error_response": map[string]any{"code": code, "msg": msg, "sub_code": sub}}
}

func refusal(code int, msg string) any {
	return map[string]any{"code": code, "msg": msg, "subCode": "isv.invalid-parameter"}
}

// listTrades serves MethodTradeList.
func (s *Server) listTrades(p url.Values) any {
	size := jackyun.MaxPageSize
	if v := p.Get(jackyun.ParamPageSize); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > jackyun.MaxPageSize {
			return refusal(400, "pageSize must be 1 to 200")
		}
		size = n
	}
	if st := p.Get(jackyun.ParamTradeStatus); st != strconv.Itoa(jackyun.TradeStatusReadyToShip) {
		return refusal(400, "this fake serves tradeStatus 4112 only")
	}
	now := s.cfg.Now()
	if no := p.Get(jackyun.ParamTradeNo); no != "" {
		var trades []json.RawMessage
		if o := s.orders[no]; o != nil && !o.visibleAt.After(now) {
			trades = append(trades, o.raw)
		}
		return s.page(trades, "", len(trades))
	}
	id := p.Get(jackyun.ParamScrollID)
	sc := s.scrolls[id]
	if id == "" {
		start, err1 := jackyun.ParseChina(p.Get(jackyun.ParamStartModified))
		end, err2 := jackyun.ParseChina(p.Get(jackyun.ParamEndModified))
		switch {
		case err1 != nil || err2 != nil:
			return refusal(400, "startModified and endModified are required, as yyyy-MM-dd HH:mm:ss (China time)")
		case end.Before(start):
			return refusal(400, "endModified is before startModified")
		case end.After(now):
			return refusal(400, "endModified "+p.Get(jackyun.ParamEndModified)+" is in the future (China time now "+jackyun.FormatChina(now)+")")
		}
		s.windows = append(s.windows, Window{Start: p.Get(jackyun.ParamStartModified), End: p.Get(jackyun.ParamEndModified), StartAt: start, EndAt: end})
		var match []*order
		for _, o := range s.orders {
			if o.visibleAt.After(now) || o.modified.Before(start) || o.modified.After(end) {
				continue
			}
			match = append(match, o)
		}
		sort.Slice(match, func(i, j int) bool {
			if !match[i].modified.Equal(match[j].modified) {
				return match[i].modified.Before(match[j].modified)
			}
			return match[i].tradeNo < match[j].tradeNo
		})
		sc = &scroll{}
		for _, o := range match {
			sc.ids = append(sc.ids, o.key)
		}
		id = newID()
		s.scrolls[id] = sc
	} else if sc == nil {
		return refusal(400, "scrollId "+id+" is unknown or expired")
	}
	from := sc.next
	if s.cfg.RepeatAcrossPages && sc.page > 0 && from > 0 {
		from-- // the last order of the previous page, again
	}
	to := min(sc.next+size, len(sc.ids))
	if to-from > size {
		to = from + size
	}
	var trades []json.RawMessage
	for _, k := range sc.ids[from:to] {
		if o := s.orders[k]; o != nil {
			trades = append(trades, o.raw)
		}
	}
	sc.next = to
	sc.page++
	s.pages++
	if s.onPage != nil {
		s.onPage(s.pages)
	}
	return s.page(trades, id, len(sc.ids))
}

func (s *Server) page(trades []json.RawMessage, scrollID string, total int) any {
	if trades == nil {
		trades = []json.RawMessage{}
	}
	data := map[string]any{"TotalResults": total, "Trades": trades}
	var encoded any = data
	asString := s.cfg.Data == DataString || (s.cfg.Data == DataAlternate && s.pages%2 == 0)
	if asString {
		b, _ := json.Marshal(data)
		encoded = string(b)
	}
	return map[string]any{"code": jackyun.CodeOK, "msg": "success", "result": map[string]any{"data": encoded, "scrollId": scrollID}}
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "scroll-" + hex.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
