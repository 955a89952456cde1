package localpartners

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/popsockets/integration/shared/arena/arenatest"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/jackyun/jackyuntest"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/printstation/printstationtest"
)

// ChinaPartners are the fakes of the China flow (Jackyun) and the product
// flow (Arena, PrintStation); OMS is the Partners' own.
type ChinaPartners struct {
	Jackyun      *jackyuntest.Server
	Arena        *arenatest.Server
	PrintStation *printstationtest.Server
}

// startChina starts the China and product flows' fakes and adds their
// settings; hostURL is the local host's.
func (p *Partners) startChina() {
	c := &ChinaPartners{
		Jackyun:      jackyuntest.NewServer(jackyuntest.Config{Data: jackyuntest.DataAlternate}),
		Arena:        arenatest.NewServer(arenatest.Config{}),
		PrintStation: p.Print.PrintStation, // the print flow's: one PrintStation, one PRINTSTATION_BASE_URL
	}
	p.China = c
	for k, v := range map[string]string{
		"JACKYUN_URL": c.Jackyun.URL(), "JACKYUN_APP_KEY": c.Jackyun.AppKey(), "JACKYUN_APP_SECRET": c.Jackyun.Secret(),
		"ARENA_BASE_URL": c.Arena.URL(), "ARENA_EMAIL": c.Arena.Email(), "ARENA_PASSWORD": c.Arena.Password(),
		"ARENA_WORKSPACE_ID": fmt.Sprint(c.Arena.WorkspaceID()), "ARENA_OUTBOUND_INTEGRATION": c.Arena.Integration(),
	} {
		p.Settings[k] = v
	}
}

func (c *ChinaPartners) close() {
	c.Jackyun.Close()
	c.Arena.Close()
}

// AskXB plays OMS for an order it created from Jackyun: OMS routes it to
// the China warehouse's 3PL through the fulfilment flow, so it asks XB to
// fulfil it (POST /api/fulfillment/request/xb), as it does for its other
// orders. The consignee is invented (OMS has the real one). It returns the
// OMS order id and the function's answer.
func (p *Partners) AskXB(ctx context.Context, tradeNo string) (string, int, error) {
	created, ok := p.OMS.CreatedOrder(oms.SourceJackyun, tradeNo)
	if !ok {
		return "", 0, fmt.Errorf("OMS has no order for Jackyun %s", tradeNo)
	}
	req := oms.FulfillmentRequest{OrderID: created.OrderID, OrderNumber: created.Request.OrderNumber, Source: oms.SourceJackyun,
		ShipMethod: "STANDARD", Warehouse: created.Request.Warehouse, RequestedAt: time.Now().UTC()}
	for _, l := range created.Request.Lines {
		req.Lines = append(req.Lines, oms.Line{LineNo: l.LineNo, SKU: l.SKU, Quantity: l.Quantity, UnitPriceMinor: l.UnitPriceMinor,
			Currency: created.Request.Currency})
	}
	customer := oms.Customer{Name: "Li Wei (sample)", Email: "li.wei@example.com", Phone: "+86 21 5550 0100",
		Address: oms.Address{Line1: "100 Century Avenue, Unit 5", City: "Shanghai", Region: "SH", PostalCode: "200120", Country: "CN"}}
	p.OMS.AddOrder(created.OrderID, oms.StateWaitingFulfillmentConfirmation)
	status, body, err := p.Requester.Send(ctx, "xb", req, customer)
	if err == nil && status != http.StatusAccepted {
		err = fmt.Errorf("OMS's fulfilment request for %s answered %d: %s", created.OrderID, status, bytes.TrimSpace(body))
	}
	return created.OrderID, status, err
}

// Tap sits in front of the local host's broker API and keeps every
// message the handler publishes, passing everything on unchanged. It
// stands in for the systems outside this app that read a subscription
// (BatchStation reads order-update's "batchstation"), and lets a test see
// what reached a topic and under which MessageIds.
type Tap struct {
	srv *httptest.Server

	mu   sync.Mutex
	msgs []bus.Wire
}

// NewTap starts a tap in front of the local host at hostURL; give the
// handler its URL as DEVHOST_URL.
func NewTap(hostURL string) *Tap {
	t := &Tap{}
	target, _ := url.Parse(hostURL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	t.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && (r.URL.Path == bus.LocalPublishPath || r.URL.Path == bus.LocalPublishBatchPath) {
			body, err := io.ReadAll(r.Body)
			if err == nil {
				t.keep(r.URL.Path == bus.LocalPublishBatchPath, body)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		proxy.ServeHTTP(w, r)
	}))
	return t
}

func (t *Tap) keep(batch bool, body []byte) {
	var ws []bus.Wire
	if batch {
		_ = json.Unmarshal(body, &ws)
	} else {
		var w bus.Wire
		if json.Unmarshal(body, &w) == nil {
			ws = []bus.Wire{w}
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.msgs = append(t.msgs, ws...)
}

// URL is the address to give the handler as DEVHOST_URL.
func (t *Tap) URL() string { return t.srv.URL }

// Close stops the tap.
func (t *Tap) Close() { t.srv.Close() }

// Received is one business object that reached a topic, and how often.
type Received struct {
	RefeID string
	// MessageIDs are the distinct MessageIds it came under (Service Bus
	// drops a repeat of one within its window): one means once.
	MessageIDs []string
	// Sends counts the publishes, repeats of a MessageId included.
	Sends int
	// Payload is the last envelope's requested_payload.
	Payload json.RawMessage
}

// Received is what reached the topic whose entity name is entity, by the
// envelope's refe_id (the order or item).
func (t *Tap) Received(entity string) map[string]Received {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]Received{}
	for _, w := range t.msgs {
		if w.Topic != entity {
			continue
		}
		env, err := bus.DecodeEnvelope(w.Body)
		if err != nil {
			continue
		}
		r := out[env.RefeID]
		r.RefeID, r.Payload = env.RefeID, json.RawMessage(env.RequestedPayload)
		r.Sends++
		if !slices.Contains(r.MessageIDs, w.MessageID) {
			r.MessageIDs = append(r.MessageIDs, w.MessageID)
		}
		out[env.RefeID] = r
	}
	return out
}
