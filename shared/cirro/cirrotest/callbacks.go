package cirrotest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/cirro"
	"github.com/popsockets/integration/shared/fakeserver"
)

// HeaderFunctionsKey is the Functions host's key header, sent with
// Callback.FunctionKey.
const HeaderFunctionsKey = fakeserver.HeaderFunctionsKey

// The callback events, which are also the last path segment they are sent to.
const (
	EventAcceptance = "acceptance"
	EventShipment   = "shipment"
)

// How a callback is retried: callbackAttempts POSTs, waiting
// callbackBackoff, then twice that, and so on, between them.
const (
	callbackAttempts = 4
	callbackBackoff  = 20 * time.Millisecond
)

// SendAcceptance posts the acceptance SendOrder of the order with
// referenceNo to Callback.BaseURL+"/acceptance".
func (s *Server) SendAcceptance(ctx context.Context, referenceNo string) error {
	return s.send(ctx, referenceNo, EventAcceptance)
}

// SendShipment posts the shipment SendOrder (carrier, tracking numbers,
// cartons with SSCC codes) of the order with referenceNo to
// Callback.BaseURL+"/shipment".
func (s *Server) SendShipment(ctx context.Context, referenceNo string) error {
	return s.send(ctx, referenceNo, EventShipment)
}

// WaitCallbacks waits until every automatic callback scheduled so far has
// been sent or given up, and returns the errors of those given up (all of
// them since the fake started), or ctx's error.
func (s *Server) WaitCallbacks(ctx context.Context) error {
	s.mu.Lock()
	if s.pending == 0 {
		err := errors.Join(s.autoErrs...)
		s.mu.Unlock()
		return err
	}
	ch := make(chan struct{})
	s.idle = append(s.idle, ch)
	s.mu.Unlock()
	select {
	case <-ch:
		s.mu.Lock()
		defer s.mu.Unlock()
		return errors.Join(s.autoErrs...)
	case <-ctx.Done():
		return fmt.Errorf("waiting for Cirro callbacks: %w", ctx.Err())
	}
}

// Deliveries is every callback sent or given up, in the order they ended.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deliveries)
}

// auto plays Cirro's side of an accepted order: acceptance, then shipment.
func (s *Server) auto(referenceNo string) {
	defer s.bg.Done()
	defer s.autoDone()
	cb := s.cfg.Callback
	if !s.pause(cb.AcceptDelay) {
		return
	}
	if err := s.SendAcceptance(s.ctx, referenceNo); err != nil {
		s.autoFailed(err)
		return
	}
	if !s.pause(cb.ShipDelay) {
		return
	}
	if err := s.SendShipment(s.ctx, referenceNo); err != nil {
		s.autoFailed(err)
	}
}

func (s *Server) autoFailed(err error) {
	if s.ctx.Err() != nil {
		return // closing: not a failure of the receiver
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.autoErrs = append(s.autoErrs, err)
}

func (s *Server) autoDone() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending--
	if s.pending == 0 {
		for _, ch := range s.idle {
			close(ch)
		}
		s.idle = nil
	}
}

// pause waits d, or until Close; it reports whether to go on.
func (s *Server) pause(d time.Duration) bool {
	if d <= 0 {
		return s.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

func (s *Server) send(ctx context.Context, referenceNo, event string) error {
	cb := s.cfg.Callback
	if cb == nil || cb.BaseURL == "" {
		return errors.New("sending a Cirro callback: Config.Callback.BaseURL is not set")
	}
	s.mu.Lock()
	o := s.byRef[referenceNo]
	if o == nil {
		s.mu.Unlock()
		return fmt.Errorf("sending the %s of %s: no such order", event, referenceNo)
	}
	body, ok := o.bodies[event]
	if !ok {
		body, _ = json.Marshal(s.sendOrder(o, event))
		o.bodies[event] = body
	}
	orderNo := o.OrderNo
	s.mu.Unlock()

	d := Delivery{Event: event, ReferenceNo: referenceNo, OrderNo: orderNo, WebhookID: "msg_" + orderNo + "_" + event}
	url := strings.TrimRight(cb.BaseURL, "/") + "/" + event
	wait := callbackBackoff
	for {
		d.Attempts++
		d.Status, d.Err = s.post(ctx, url, d.WebhookID, body)
		if d.Err == nil || d.Attempts == callbackAttempts {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			d.Err = fmt.Errorf("%w (last: %w)", ctx.Err(), d.Err)
		}
		if ctx.Err() != nil {
			break
		}
		wait *= 2
	}
	if d.Err != nil {
		d.Err = fmt.Errorf("sending the %s of %s to %s after %d attempts: %w", event, referenceNo, url, d.Attempts, d.Err)
	}
	s.mu.Lock()
	s.deliveries = append(s.deliveries, d)
	s.mu.Unlock()
	return d.Err
}

// post sends one signed attempt; the signature's timestamp is fresh each time.
func (s *Server) post(ctx context.Context, url, id string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key := s.cfg.Callback.FunctionKey; key != "" {
		req.Header.Set(HeaderFunctionsKey, key)
	}
	if err := s.signer.Sign(req.Header, id, s.cfg.Now(), body); err != nil {
		return 0, err
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("answered HTTP %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// sendOrder builds the callback body of an event; called once per (order,
// event), with s.mu held.
func (s *Server) sendOrder(o *order, event string) cirro.SendOrder {
	so := cirro.SendOrder{
		OrderType:     cirro.OrderTypeB2C,
		OrderNo:       o.OrderNo,
		ReferenceNo:   o.Create.ReferenceNo,
		Status:        cirro.StatusAccepted,
		PONumber:      o.PONumber,
		WarehouseCode: o.Create.WarehouseCode,
	}
	if o.B2B {
		so.OrderType = cirro.OrderTypeB2B
	}
	if event != EventShipment {
		return so
	}
	so.Status = cirro.StatusShipped
	so.ShippedAt = s.cfg.Now().UTC().Format(time.RFC3339)
	carrier, scac := carrierOf(o.Create.ShippingMethod)
	dispatch := cirro.DispatchInfo{Carrier: carrier, CarrierSCAC: scac}
	if o.B2B {
		n := o.seq
		dispatch.ProNumber = fmt.Sprintf("PRO%09d", n)
		dispatch.BOL = fmt.Sprintf("BOL%09d", n)
		dispatch.LoadID = fmt.Sprintf("LOAD%08d", n)
		dispatch.ARN = fmt.Sprintf("%010d", 2000000000+n)
	}
	so.DispatchInfo = []cirro.DispatchInfo{dispatch}

	// B2C ships in one box; B2B in one carton per line.
	groups := [][]cirro.Item{o.Create.Items}
	if o.B2B {
		groups = nil
		for _, it := range o.Create.Items {
			groups = append(groups, []cirro.Item{it})
		}
	}
	for i, items := range groups {
		s.boxSeq++
		units := 0
		box := cirro.Box{
			BoxNo:          fmt.Sprintf("%d", i+1),
			SSCCCode:       sscc(s.boxSeq),
			TrackingNumber: trackingNumber(carrier, s.boxSeq),
		}
		for _, it := range items {
			units += it.Quantity
			box.Items = append(box.Items, cirro.BoxItem(it))
		}
		// 0.12 lb a unit plus 0.30 lb of carton, in hundredths.
		w := 30 + 12*units
		box.Weight = cirro.Decimal(fmt.Sprintf("%d.%02d", w/100, w%100))
		so.OrderBoxInfo = append(so.OrderBoxInfo, box)
	}
	return so
}

// carrierOf reads the carrier from a shipping method code such as UPS_2DAY.
func carrierOf(method string) (name, scac string) {
	prefix, _, _ := strings.Cut(method, "_")
	switch strings.ToUpper(prefix) {
	case "UPS":
		return "UPS", "UPSN"
	case "USPS":
		return "USPS", "USPS"
	case "FEDEX":
		return "FedEx", "FDEG"
	case "DHL":
		return "DHL", "DHLC"
	}
	return prefix, ""
}

// trackingNumber makes a tracking number shaped like the carrier's.
func trackingNumber(carrier string, n int) string {
	switch carrier {
	case "UPS":
		return fmt.Sprintf("1ZCRR0%012d", n)
	case "USPS":
		return fmt.Sprintf("9400%018d", n)
	case "FedEx":
		return fmt.Sprintf("%012d", 700000000000+n)
	}
	return fmt.Sprintf("CT%010d", n)
}

// ssccPrefix is extension digit 0 and a made-up 7-digit GS1 company prefix.
const ssccPrefix = "00860000"

// sscc returns a valid SSCC-18: prefix, 9-digit serial, GS1 check digit.
func sscc(serial int) string {
	body := fmt.Sprintf("%s%09d", ssccPrefix, serial%1000000000)
	return body + string(rune('0'+gs1CheckDigit(body)))
}

// gs1CheckDigit weighs digits 3,1,3,... from the right.
func gs1CheckDigit(digits string) int {
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if (len(digits)-1-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return (10 - sum%10) % 10
}
