package webhookbench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/oms/omstest"
	"github.com/popsockets/integration/shared/webhook"
)

// The load generator is an independent OMS client: it seals the customer
// with the keyring, signs the body with the Standard Webhooks scheme and
// POSTs it, as OMS does. Requests are built before a phase starts, so
// sealing and signing stay outside the measured window; their timestamps
// are fresh when the phase starts, well inside the 5-minute tolerance.

// client is the OMS side of the benchmark.
type client struct {
	signer  *webhook.Signer
	keyring *oms.Keyring
	tpl     string
}

// prepared is one request ready to send.
type prepared struct {
	orderID string
	body    []byte
	header  http.Header
}

// prepare seals and signs one request per sample, stamped with now.
func (c *client) prepare(samples []omstest.Sample, now time.Time) ([]prepared, error) {
	out := make([]prepared, len(samples))
	for i, s := range samples {
		r := s.Request
		sealed, err := c.keyring.Seal(r.OrderID, s.Customer)
		if err != nil {
			return nil, err
		}
		r.Sealed = sealed
		body, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encoding request %s: %w", r.OrderID, err)
		}
		h := http.Header{"Content-Type": {"application/json"}}
		if err := c.signer.Sign(h, omstest.WebhookID(r.OrderID, c.tpl), now, body); err != nil {
			return nil, err
		}
		out[i] = prepared{orderID: r.OrderID, body: body, header: h}
	}
	return out, nil
}

// outcome is what one phase measured.
type outcome struct {
	sent      int
	accepted  []string // order ids answered 202
	failures  int
	firstFail string
	latencies []time.Duration // of every answered or failed request
	elapsed   time.Duration   // first send to last answer
}

// rate is the accepted requests per second.
func (o *outcome) rate() float64 { return float64(len(o.accepted)) / o.elapsed.Seconds() }

// percentile is the nearest-rank q-quantile of the latencies (q in (0, 1]).
func (o *outcome) percentile(q float64) time.Duration {
	return percentile(o.latencies, q)
}

func percentile(lat []time.Duration, q float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	rank := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(rank, len(s)-1))]
}

// recorder collects answers from concurrent senders.
type recorder struct {
	mu  sync.Mutex
	out outcome
}

func (r *recorder) record(p prepared, lat time.Duration, status int, answer []byte, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.out.sent++
	r.out.latencies = append(r.out.latencies, lat)
	if err == nil && status == http.StatusAccepted {
		r.out.accepted = append(r.out.accepted, p.orderID)
		return
	}
	r.out.failures++
	if r.out.firstFail == "" {
		r.out.firstFail = fmt.Sprintf("%s: status %d %s %v", p.orderID, status, bytes.TrimSpace(answer), err)
	}
}

// post sends one prepared request and reads the whole answer.
func post(ctx context.Context, hc *http.Client, url string, p prepared) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(p.body))
	if err != nil {
		return 0, nil, err
	}
	req.Header = p.header
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, answer, err
}

func newHTTPClient(conns int) *http.Client {
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, DisableCompression: true},
	}
}

// saturate sends reqs from `clients` concurrent clients, each sending its
// next request as soon as the previous one is answered.
func saturate(ctx context.Context, url string, reqs []prepared, clients int) outcome {
	hc := newHTTPClient(clients)
	defer hc.CloseIdleConnections()
	var rec recorder
	rec.out.latencies = make([]time.Duration, 0, len(reqs))
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(reqs) {
					return
				}
				t0 := time.Now()
				status, answer, err := post(ctx, hc, url, reqs[i])
				rec.record(reqs[i], time.Since(t0), status, answer, err)
			}
		})
	}
	wg.Wait()
	rec.out.elapsed = time.Since(start)
	return rec.out
}

// offer sends reqs on a fixed schedule, rate per second, whatever the
// receiver's answers: an open loop. Latency runs from the scheduled send
// time, so a receiver (or a load generator) that falls behind shows it
// instead of hiding it (coordinated omission).
func offer(ctx context.Context, url string, reqs []prepared, rate float64) outcome {
	hc := newHTTPClient(256)
	defer hc.CloseIdleConnections()
	var rec recorder
	rec.out.latencies = make([]time.Duration, 0, len(reqs))
	interval := time.Duration(float64(time.Second) / rate)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range reqs {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d) // pacing the schedule, not waiting for a condition
		}
		wg.Go(func() {
			status, answer, err := post(ctx, hc, url, reqs[i])
			rec.record(reqs[i], time.Since(at), status, answer, err)
		})
	}
	wg.Wait()
	rec.out.elapsed = time.Since(start)
	return rec.out
}
