package edi

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/nav"
	"github.com/popsockets/integration/shared/nav/navtest"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/rsx"
	"github.com/popsockets/integration/shared/sftpbox"
	"github.com/popsockets/integration/shared/sftpbox/sftptest"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
	"github.com/popsockets/integration/shared/teams"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// recorder stands in for the outbox publisher, the alert sender and the
// parking (the platform's own are tested in shared/kit).
type recorder struct {
	mu       sync.Mutex
	messages []bus.Message
	alerts   []teams.Alert
	parked   []azfunc.Parked
	failPost bool
}

func (r *recorder) Notify(_ int64, m bus.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.messages = append(r.messages, m)
}

func (r *recorder) Post(_ context.Context, a teams.Alert) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failPost {
		return context.DeadlineExceeded
	}
	r.alerts = append(r.alerts, a)
	return nil
}

func (r *recorder) Environment() string { return "test" }

func (r *recorder) Park(_ context.Context, p azfunc.Parked) (azfunc.ParkResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.parked = append(r.parked, p)
	return azfunc.ParkResult{ID: int64(len(r.parked)), First: true}, nil
}

type bench struct {
	t        testing.TB
	store    *store.Store
	blobs    blob.Store
	sps, nav *sftptest.Server
	rec      *recorder
	partners *Partners
	now      time.Time
	keyring  *oms.Keyring
}

func newBench(t testing.TB) *bench {
	t.Helper()
	s := storetest.Store(t)
	bl, err := blob.NewFS(blob.FSConfig{Root: t.TempDir()})
	require.NoError(t, err)
	sps, err := sftptest.NewServer(sftptest.Config{User: "popsockets", Dirs: []string{"out", "in", "testout", "testin"}})
	require.NoError(t, err)
	t.Cleanup(sps.Close)
	nv, err := sftptest.NewServer(sftptest.Config{User: "edi", Dirs: []string{"outbound", "inbound"}})
	require.NoError(t, err)
	t.Cleanup(nv.Close)
	pt, err := ParsePartners(defaultPartners)
	require.NoError(t, err)
	kr, err := oms.NewKeyring("k1", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "", "")
	require.NoError(t, err)
	return &bench{t: t, store: s, blobs: bl, sps: sps, nav: nv, rec: &recorder{}, partners: pt,
		now: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC), keyring: kr}
}

func (b *bench) clock() time.Time { return b.now }

func client(t testing.TB, srv *sftptest.Server) *sftpbox.Client {
	c, err := sftpbox.New(sftpbox.Config{Addr: srv.Addr(), User: srv.User(), Password: srv.Password(), KnownHosts: srv.KnownHosts(), Timeout: 5 * time.Second})
	require.NoError(t, err)
	return c
}

func (b *bench) sender() *sender {
	return &sender{store: b.store, blobs: b.blobs, partners: b.partners, now: b.clock}
}

func (b *bench) spsPoller() *poller {
	ib := &inbound{box: "sps", store: b.store, partners: b.partners, ackDir: "in", now: b.clock}
	return &poller{box: "sps", client: client(b.t, b.sps), dir: "out", prefixes: []string{"PO", "FA"}, store: b.store, blobs: b.blobs,
		outbox: b.rec, alerts: b.rec, parker: b.rec, sender: b.sender(), now: b.clock, decide: ib.decide}
}

func (b *bench) navPoller() *poller {
	w := &warehouseOrders{partners: b.partners, sealer: b.keyring, now: b.clock}
	ib := &inbound{box: "nav", store: b.store, partners: b.partners, ackDir: "inbound", now: b.clock, orders: w.handle}
	return &poller{box: "nav", client: client(b.t, b.nav), dir: "outbound", prefixes: []string{""}, store: b.store, blobs: b.blobs,
		outbox: b.rec, alerts: b.rec, parker: b.rec, sender: b.sender(), now: b.clock, decide: ib.decide}
}

func (b *bench) poll(p *poller) pollResult {
	b.t.Helper()
	res, err := p.run(context.Background(), "inv-test")
	require.NoError(b.t, err)
	return res
}

// count runs a SELECT count(*) query.
func (b *bench) count(sql string, args ...any) int {
	b.t.Helper()
	var n int
	require.NoError(b.t, b.store.Pool.QueryRow(context.Background(), sql, args...).Scan(&n), sql)
	return n
}

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

// payload decodes a recorded message's payload.
func payload(t testing.TB, m bus.Message, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(m.Envelope.RequestedPayload, v))
}

// message builds the Service Bus delivery of a message.
func message(t testing.TB, m bus.Message, id string) *azfunc.Message {
	t.Helper()
	body, err := json.Marshal(m.Envelope)
	require.NoError(t, err)
	return &azfunc.Message{Body: body, MessageID: id}
}

func sftptestServer() (*sftptest.Server, error) { return sftptest.NewServer(sftptest.Config{}) }

func hostPort(addr string) string {
	i := strings.LastIndex(addr, ":")
	return "[" + addr[:i] + "]" + addr[i:]
}

func parseRSXForTest(data []byte) ([]PO, error) {
	o, err := rsx.ParseOrders(data)
	if err != nil {
		return nil, err
	}
	pts, _ := ParsePartners(defaultPartners)
	ib := &inbound{partners: pts}
	var out []PO
	for _, x := range o.Orders {
		out = append(out, fromRSX(x, o.Dialect, ib.partnerOf(x.TradingPartnerID)))
	}
	return out, nil
}

func replaceOnce(s, old, new string) string { return strings.Replace(s, old, new, 1) }

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func rsxAddress(typ, q, n, name string) rsx.Address {
	return rsx.Address{Type: typ, LocationQualifier: q, LocationNumber: n, Name: name}
}

type azfuncMsg = azfunc.Message

func navtestServer(t testing.TB) *navtest.Server {
	srv := navtest.NewServer(navtest.Config{})
	t.Cleanup(srv.Close)
	return srv
}

func navClientFor(t testing.TB, srv *navtest.Server) *nav.Client {
	c, err := nav.New(nav.Config{BaseURL: srv.URL(), Auth: srv.Auth(), User: srv.User(), Password: srv.Password()})
	require.NoError(t, err)
	return c
}

func navOrder(string) nav.SalesOrder {
	return nav.SalesOrder{SellToCustomerNo: "C-WALMART", ExternalDocumentNo: "6736452611", Lines: []nav.SalesLine{{Type: "Item", No: "801330", Quantity: "48"}}}
}

func (b *bench) deadlinesFn() *DeadlinesFn {
	return &DeadlinesFn{Store: b.store, Partners: b.partners, Sender: b.sender(), SPS: client(b.t, b.sps), NAV: client(b.t, b.nav),
		Alerts: b.rec, Now: b.clock}
}
