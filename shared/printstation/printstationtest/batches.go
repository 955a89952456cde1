package printstationtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/popsockets/integration/shared/fakeserver"
	"github.com/popsockets/integration/shared/printstation"
	"github.com/popsockets/integration/shared/webhook"
)

// DefaultWebhookSecret signs the batch events when BatchCallback.Secret is empty.
const DefaultWebhookSecret = "whsec_cHJpbnRzdGF0aW9udGVzdC1iYXRjaC1ldmVudHMtMDE="

// BatchCallback says where and how the fake reports on batches.
type BatchCallback struct {
	// URL receives the signed events (http://127.0.0.1:7071/api/printstation/batches).
	URL string
	// Secret signs them, whsec_<base64> (default DefaultWebhookSecret).
	Secret string
	// FunctionKey, when set, is sent as x-functions-key.
	FunctionKey string
	// With Auto, every batch accepted is reported complete CompleteDelay
	// later, by itself; an answer other than 2xx is retried a few times.
	Auto          bool
	CompleteDelay time.Duration
}

// ReceivedBatch is a batch the fake accepted.
type ReceivedBatch struct {
	Batch               printstation.Batch
	PrintStationBatchID string
	IdempotencyKey      string
	// Received is when the fake took the batch; its events carry it as
	// their timestamp, so a repeated report is the same bytes.
	Received time.Time
	// Reported is true once a completion was delivered (2xx) for it.
	Reported bool
}

// batchState is the fake's memory of batches; Server.mu guards it.
type batchState struct {
	answers  map[string]fakeserver.Answer // by idempotency key: the first answer
	batches  map[string]*ReceivedBatch
	order    []string
	seq      int
	refusals []string
	callback *BatchCallback
	inFlight int
	idle     chan struct{} // closed when inFlight drops to 0
}

func (s *Server) batchRoutes() {
	s.batches = batchState{answers: map[string]fakeserver.Answer{}, batches: map[string]*ReceivedBatch{}}
	s.mux.HandleFunc("POST "+printstation.PathBatches, s.submitBatch)
}

// ReportTo makes the fake send batch events to cb.
func (s *Server) ReportTo(cb BatchCallback) {
	if cb.Secret == "" {
		cb.Secret = DefaultWebhookSecret
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches.callback = &cb
}

// RefuseNextBatch makes the next new batch be refused (422 invalid_batch) with reason.
func (s *Server) RefuseNextBatch(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches.refusals = append(s.batches.refusals, reason)
}

// Batches is every batch accepted, in the order received.
func (s *Server) Batches() []ReceivedBatch {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ReceivedBatch, 0, len(s.batches.order))
	for _, id := range s.batches.order {
		b := *s.batches.batches[id]
		b.Batch.Items = slices.Clone(b.Batch.Items)
		out = append(out, b)
	}
	return out
}

func answerJSON(w http.ResponseWriter, a fakeserver.Answer) {
	for k, v := range a.Header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.Status)
	_, _ = w.Write(a.Body)
}

func (s *Server) submitBatch(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get(printstation.HeaderIdempotencyKey)
	if key == "" {
		answerJSON(w, fakeserver.JSON(http.StatusBadRequest, printstation.WireError{Code: "idempotency_key_required", Message: "send an Idempotency-Key"}))
		return
	}
	var b printstation.Batch
	dec := json.NewDecoder(bytes.NewReader(Body(r.Context())))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		answerJSON(w, fakeserver.JSON(http.StatusBadRequest, printstation.WireError{Code: "invalid_json", Message: "body is not a batch"}))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.batches
	if a, ok := st.answers[key]; ok {
		if a.Status == http.StatusCreated {
			a.Status = http.StatusOK // the first answer, again
		}
		answerJSON(w, a)
		return
	}
	if prev, ok := st.batches[b.BatchID]; ok {
		answerJSON(w, fakeserver.JSON(http.StatusConflict, printstation.WireError{Code: printstation.CodeBatchExists,
			Message: "batch " + b.BatchID + " exists", PrintStationBatchID: prev.PrintStationBatchID}))
		return
	}
	var a fakeserver.Answer
	if problem := checkBatch(b); problem != "" {
		a = fakeserver.JSON(http.StatusUnprocessableEntity, printstation.WireError{Code: printstation.CodeInvalidBatch, Message: problem})
	} else if len(st.refusals) > 0 {
		a = fakeserver.JSON(http.StatusUnprocessableEntity, printstation.WireError{Code: printstation.CodeInvalidBatch, Message: st.refusals[0]})
		st.refusals = st.refusals[1:]
	} else {
		st.seq++
		rb := &ReceivedBatch{Batch: b, PrintStationBatchID: fmt.Sprintf("PS%07d", st.seq), IdempotencyKey: key, Received: time.Now().UTC()}
		st.batches[b.BatchID], st.order = rb, append(st.order, b.BatchID)
		a = fakeserver.JSON(http.StatusCreated, printstation.Submitted{BatchID: b.BatchID, PrintStationBatchID: rb.PrintStationBatchID,
			Status: "accepted", ItemCount: len(b.Items)})
		if cb := st.callback; cb != nil && cb.Auto {
			s.startCallbackLocked()
			id := b.BatchID
			time.AfterFunc(cb.CompleteDelay, func() {
				defer s.callbackDone()
				s.deliver(context.Background(), *cb, completion(id, rb.PrintStationBatchID, rb.Received))
			})
		}
	}
	st.answers[key] = a
	answerJSON(w, a)
}

func checkBatch(b printstation.Batch) string {
	switch {
	case b.BatchID == "":
		return "batch_id is required"
	case b.SiteID == "":
		return "site_id is required"
	case len(b.Items) == 0:
		return "a batch needs items"
	}
	for i, it := range b.Items {
		if it.OrderID == "" || it.LineNumber == "" || it.ProductSKU == "" || it.ImageURL == "" || it.Quantity <= 0 {
			return fmt.Sprintf("item %d needs order_id, line_number, product_sku, image_url and a positive quantity", i+1)
		}
	}
	return ""
}

func completion(batchID, psID string, at time.Time) printstation.BatchEvent {
	return printstation.BatchEvent{Type: printstation.EventBatchCompleted, Timestamp: at,
		Data: printstation.BatchEventData{BatchID: batchID, PrintStationBatchID: psID}}
}

func (s *Server) startCallbackLocked() {
	if s.batches.inFlight == 0 {
		s.batches.idle = make(chan struct{})
	}
	s.batches.inFlight++
}

func (s *Server) callbackDone() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches.inFlight--
	if s.batches.inFlight == 0 {
		close(s.batches.idle)
	}
}

// WaitCallbacks returns once no automatic report is pending or in flight.
func (s *Server) WaitCallbacks(ctx context.Context) error {
	s.mu.Lock()
	idle := s.batches.idle
	pending := s.batches.inFlight
	s.mu.Unlock()
	if pending == 0 {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// deliver sends an event, retrying a failed delivery a few times with the
// same webhook-id, as PrintStation retries.
func (s *Server) deliver(ctx context.Context, cb BatchCallback, ev printstation.BatchEvent) {
	id := EventID(ev)
	wait := 200 * time.Millisecond
	for attempt := 0; attempt < 6; attempt++ {
		status, _, err := Send(ctx, cb, id, ev)
		if err == nil && status/100 == 2 {
			if ev.Type == printstation.EventBatchCompleted {
				s.mu.Lock()
				if b, ok := s.batches.batches[ev.Data.BatchID]; ok {
					b.Reported = true
				}
				s.mu.Unlock()
			}
			return
		}
		if status/100 == 4 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests {
			return // refused: a retry would be refused too
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
		wait *= 2
	}
}

// EventID is the webhook-id the fake gives an event: one per batch and type
// (and item, for item events), the same on every retry.
func EventID(ev printstation.BatchEvent) string {
	id := "ps_" + ev.Type + "_" + ev.Data.BatchID
	for _, it := range ev.Data.Items {
		id += "_" + it.OrderID + "-" + it.LineNumber
	}
	return id
}

// CompleteBatch reports a batch complete by hand (items may give some
// items another status), to the configured callback, once; the same call
// again sends the same bytes with the same webhook-id.
func (s *Server) CompleteBatch(ctx context.Context, batchID string, items ...printstation.EventItem) (int, []byte, error) {
	s.mu.Lock()
	cb := s.batches.callback
	b, ok := s.batches.batches[batchID]
	psID, at := "", time.Time{}
	if ok {
		psID, at = b.PrintStationBatchID, b.Received
	}
	s.mu.Unlock()
	if cb == nil {
		return 0, nil, errors.New("printstationtest: no callback configured (ReportTo)")
	}
	ev := completion(batchID, psID, at)
	ev.Data.Items = items
	return Send(ctx, *cb, EventID(ev), ev)
}

// Send posts one signed event to cb and returns the answer.
func Send(ctx context.Context, cb BatchCallback, id string, ev printstation.BatchEvent) (int, []byte, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return 0, nil, err
	}
	return SendRaw(ctx, cb, id, time.Now(), body)
}

// SendRaw posts body signed as webhook id at the given time (tests use it
// for replays and tampering).
func SendRaw(ctx context.Context, cb BatchCallback, id string, at time.Time, body []byte) (int, []byte, error) {
	secret := cb.Secret
	if secret == "" {
		secret = DefaultWebhookSecret
	}
	signer, err := webhook.NewSigner(secret)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cb.URL, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if cb.FunctionKey != "" {
		req.Header.Set(fakeserver.HeaderFunctionsKey, cb.FunctionKey)
	}
	if err := signer.Sign(req.Header, id, at, body); err != nil {
		return 0, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes(), nil
}
