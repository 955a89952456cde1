package devhost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Blob triggers run the way Flex Consumption runs them, through Event Grid
// (the only source it supports: ScriptHost.cs refuses any other on Flex):
//
//  1. The local blob store plays the storage account: the host looks at it
//     every BlobPollInterval, and each new blob, or new version of a blob,
//     under a function's path becomes one Microsoft.Storage.BlobCreated
//     event in the Event Grid schema, delivered like an Event Grid
//     subscription delivers it: POST /runtime/webhooks/blobs?functionName=Host.Functions.<name>
//     with the blobs_extension system key and aeg-event-type: Notification.
//  2. The blob extension's webhook answers 202 and puts one message per
//     event on the host's blob-trigger queue (BlobsExtensionConfigProvider.cs).
//  3. The queue's listener reads the blob and invokes the function
//     (BlobQueueTriggerExecutor.cs). A blob deleted in between is dropped
//     without an invocation. With the EventGrid source there is no receipt
//     and no ETag check: every event is an invocation, even of a blob that
//     changed since. A failed invocation leaves the message on the queue;
//     after maxDequeueCount (5) deliveries it moves to the
//     webjobs-blobtrigger-poison queue (SharedBlobQueueListenerFactory.cs).

// maxDequeueCount is QueuesOptions.MaxDequeueCount's default.
const maxDequeueCount = 5

// blobQueueBatch is how many blob-trigger messages run at once (QueuesOptions.BatchSize).
const blobQueueBatch = 16

// blobsWebhookPath is the blob extension's webhook.
const blobsWebhookPath = "/runtime/webhooks/blobs"

// poisonQueue is HostQueueNames.BlobTriggerPoisonQueue.
const poisonQueue = "webjobs-blobtrigger-poison"

// localAccountURL is the blob endpoint the local store stands for.
const localAccountURL = "http://127.0.0.1:10000/devstoreaccount1"

type blobFn struct {
	fn        *Function
	container string
	prefix    string // the literal part of the path after the container
	suffix    string // a literal after {name}, such as ".csv"
}

// blobMessage is the blob extension's BlobTriggerMessage.
type blobMessage struct {
	Type          string `json:"Type"`
	FunctionID    string `json:"FunctionId"`
	BlobType      string `json:"BlobType"`
	ContainerName string `json:"ContainerName"`
	BlobName      string `json:"BlobName"`
	ETag          string `json:"ETag"`

	dequeueCount int
}

// PoisonMessage is a blob-trigger message moved to the poison queue.
type PoisonMessage struct {
	Queue        string    `json:"queue"`
	Function     string    `json:"function"`
	Container    string    `json:"container"`
	Name         string    `json:"name"`
	ETag         string    `json:"etag"`
	DequeueCount int       `json:"dequeue_count"`
	At           time.Time `json:"at"`
}

// blobWatcher is the storage account's event source and the blob
// extension's webhook and queue.
type blobWatcher struct {
	h   *Host
	fns []*blobFn
	by  map[string]*blobFn // function id (Host.Functions.<name>) -> function

	scanning sync.Mutex        // one scan at a time
	emitted  map[string]string // function|container/name -> ETag last announced
	sequence int64

	mu      sync.Mutex
	queue   []*blobMessage
	notify  chan struct{}
	pending int // queued or running
	changed chan struct{}
	poison  []PoisonMessage
}

func newBlobWatcher(h *Host) (*blobWatcher, error) {
	w := &blobWatcher{h: h, by: map[string]*blobFn{}, emitted: map[string]string{},
		notify: make(chan struct{}, 1), changed: make(chan struct{})}
	var errs []error
	for _, fn := range h.functions {
		trig := fn.Trigger()
		if trig.Type != "blobTrigger" {
			continue
		}
		container, rest, ok := strings.Cut(trig.Path, "/")
		if !ok || container == "" {
			errs = append(errs, fmt.Errorf("function %s: blob path %q must be container/pattern", fn.Name, trig.Path))
			continue
		}
		bf := &blobFn{fn: fn, container: container, prefix: rest}
		if i := strings.Index(rest, "{"); i >= 0 {
			j := strings.Index(rest, "}")
			if j < i {
				errs = append(errs, fmt.Errorf("function %s: blob path %q has an unclosed {", fn.Name, trig.Path))
				continue
			}
			bf.prefix, bf.suffix = rest[:i], rest[j+1:]
		}
		w.fns = append(w.fns, bf)
		w.by["Host.Functions."+fn.Name] = bf
	}
	if len(w.fns) > 0 && h.cfg.Blobs == nil {
		errs = append(errs, errors.New("blob-triggered functions need Config.Blobs"))
	}
	return w, errors.Join(errs...)
}

func (w *blobWatcher) run(ctx context.Context) {
	if len(w.fns) == 0 {
		return
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); w.listen(ctx) }()
	t := time.NewTicker(w.h.cfg.BlobPollInterval)
	defer t.Stop()
	for {
		w.scan(ctx)
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-t.C:
		}
	}
}

// scan announces every blob version not announced yet, one event per
// function whose path it matches (an Event Grid subscription per function,
// filtered on the subject's prefix and suffix).
func (w *blobWatcher) scan(ctx context.Context) {
	w.scanning.Lock()
	defer w.scanning.Unlock()
	for _, bf := range w.fns {
		infos, err := w.h.cfg.Blobs.List(ctx, bf.container, bf.prefix)
		if err != nil {
			w.h.printf("blob   listing %s/%s failed: %v", bf.container, bf.prefix, err)
			continue
		}
		for _, info := range infos {
			if !strings.HasSuffix(info.Name, bf.suffix) {
				continue
			}
			key := bf.fn.Name + "|" + bf.container + "/" + info.Name
			if w.emitted[key] == info.ETag {
				continue
			}
			w.sequence++
			event := blobCreatedEvent(bf.container, info.Name, info.ETag, info.ContentType, info.Size, w.sequence, w.h.cfg.Now())
			if err := w.deliver(ctx, bf.fn.Name, []map[string]any{event}); err != nil {
				w.h.printf("blob   delivering the BlobCreated event of %s/%s to %s failed: %v", bf.container, info.Name, bf.fn.Name, err)
				continue
			}
			w.emitted[key] = info.ETag
		}
	}
}

// blobURL is the blob's URL at the local account, each path segment escaped.
func blobURL(container, name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return localAccountURL + "/" + url.PathEscape(container) + "/" + strings.Join(parts, "/")
}

// blobCreatedEvent is a Microsoft.Storage.BlobCreated event in the Event Grid schema.
func blobCreatedEvent(container, name, etag, contentType string, size, sequence int64, now time.Time) map[string]any {
	return map[string]any{
		"topic":     "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/devhost/providers/Microsoft.Storage/storageAccounts/devstoreaccount1",
		"subject":   "/blobServices/default/containers/" + container + "/blobs/" + name,
		"eventType": "Microsoft.Storage.BlobCreated",
		"id":        newGUID(),
		"data": map[string]any{
			"api":                "PutBlob",
			"clientRequestId":    newGUID(),
			"requestId":          newGUID(),
			"eTag":               etag,
			"contentType":        contentType,
			"contentLength":      size,
			"blobType":           "BlockBlob",
			"url":                blobURL(container, name),
			"sequencer":          fmt.Sprintf("%048x", sequence),
			"storageDiagnostics": map[string]any{"batchId": newGUID()},
		},
		"dataVersion":     "",
		"metadataVersion": "1",
		"eventTime":       now.UTC().Format(time.RFC3339Nano),
	}
}

// deliver posts events to the host's own webhook, as Event Grid does.
func (w *blobWatcher) deliver(ctx context.Context, function string, events []map[string]any) error {
	body, err := json.Marshal(events)
	if err != nil {
		return err
	}
	q := url.Values{"functionName": {"Host.Functions." + function}, "code": {w.h.systemKey}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.h.URL()+blobsWebhookPath+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("aeg-event-type", "Notification")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the webhook answered %d", resp.StatusCode)
	}
	return nil
}

// serveWebhook is the blob extension's webhook: subscription validation,
// notifications (queued, answered 202), unsubscribe; anything else is 400.
func (w *blobWatcher) serveWebhook(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxRequestBody))
	if err != nil {
		rw.WriteHeader(http.StatusBadRequest)
		return
	}
	switch kind := r.Header.Get("aeg-event-type"); {
	case strings.EqualFold(kind, "SubscriptionValidation"):
		var events []struct {
			Data struct {
				ValidationCode string `json:"validationCode"`
			} `json:"data"`
		}
		if json.Unmarshal(body, &events) != nil || len(events) == 0 {
			rw.WriteHeader(http.StatusBadRequest)
			return
		}
		writeJSON(rw, http.StatusOK, map[string]string{"validationResponse": events[0].Data.ValidationCode})
	case strings.EqualFold(kind, "Notification"):
		events, err := decodeEvents(body)
		if err != nil {
			rw.WriteHeader(http.StatusBadRequest)
			return
		}
		function := r.URL.Query().Get("functionName")
		for _, e := range events {
			m, err := messageFromEvent(e, function)
			if err != nil {
				w.h.printf("blob   event for %s not understood: %v", function, err)
				rw.WriteHeader(http.StatusInternalServerError)
				return
			}
			w.enqueue(m)
		}
		rw.WriteHeader(http.StatusAccepted)
	case strings.EqualFold(kind, "Unsubscribe"):
		rw.WriteHeader(http.StatusAccepted)
	default:
		rw.WriteHeader(http.StatusBadRequest)
	}
}

// decodeEvents accepts an array of events or a single one.
func decodeEvents(body []byte) ([]json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '{' {
		return []json.RawMessage{body}, nil
	}
	var events []json.RawMessage
	err := json.Unmarshal(body, &events)
	return events, err
}

// messageFromEvent is GetBlobTriggerMessage: container and name from
// data.url, the ETag quoted, the blob type without "Blob".
func messageFromEvent(raw json.RawMessage, function string) (*blobMessage, error) {
	var e struct {
		Data struct {
			URL      string `json:"url"`
			ETag     string `json:"eTag"`
			BlobType string `json:"blobType"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, err
	}
	container, name, err := splitBlobURL(e.Data.URL)
	if err != nil {
		return nil, err
	}
	return &blobMessage{Type: "BlobTrigger", FunctionID: function, BlobType: strings.ReplaceAll(e.Data.BlobType, "Blob", ""),
		ContainerName: container, BlobName: name, ETag: `"` + e.Data.ETag + `"`}, nil
}

// splitBlobURL reads container and name from a blob URL, with the account
// in the host name (Azure) or first in the path (emulators).
func splitBlobURL(raw string) (string, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", err
	}
	path := strings.TrimPrefix(u.Path, "/")
	if !strings.Contains(u.Host, ".blob.") {
		_, path, _ = strings.Cut(path, "/")
	}
	container, name, ok := strings.Cut(path, "/")
	if !ok || container == "" || name == "" {
		return "", "", fmt.Errorf("blob URL %q has no container and name", raw)
	}
	return container, name, nil
}

func (w *blobWatcher) signal() {
	close(w.changed)
	w.changed = make(chan struct{})
}

func (w *blobWatcher) enqueue(m *blobMessage) {
	w.mu.Lock()
	w.queue = append(w.queue, m)
	w.pending++
	w.mu.Unlock()
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

func (w *blobWatcher) next(ctx context.Context) *blobMessage {
	for {
		w.mu.Lock()
		if len(w.queue) > 0 {
			m := w.queue[0]
			w.queue = w.queue[1:]
			w.mu.Unlock()
			return m
		}
		w.mu.Unlock()
		select {
		case <-w.notify:
		case <-ctx.Done():
			return nil
		}
	}
}

// listen is the blob-trigger queue's listener.
func (w *blobWatcher) listen(ctx context.Context) {
	sem := make(chan struct{}, blobQueueBatch)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		m := w.next(ctx)
		if m == nil {
			return
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			w.execute(ctx, m)
		}()
	}
}

func (w *blobWatcher) done() {
	w.mu.Lock()
	w.pending--
	w.signal()
	w.mu.Unlock()
}

// execute is one delivery of a blob-trigger message.
func (w *blobWatcher) execute(ctx context.Context, m *blobMessage) {
	m.dequeueCount++
	bf, ok := w.by[m.FunctionID]
	if !ok {
		w.h.printf("blob   no function %s here; message for %s/%s dropped", m.FunctionID, m.ContainerName, m.BlobName)
		w.done()
		return
	}
	data, info, err := w.h.cfg.Blobs.Get(ctx, m.ContainerName, m.BlobName)
	if err != nil {
		// A blob that is gone is ignored, as the extension ignores a 404.
		w.h.printf("blob   %s/%s is gone; message dropped (%v)", m.ContainerName, m.BlobName, err)
		w.done()
		return
	}
	token := ""
	if strings.HasPrefix(m.BlobName, bf.prefix) && strings.HasSuffix(m.BlobName, bf.suffix) {
		token = strings.TrimSuffix(strings.TrimPrefix(m.BlobName, bf.prefix), bf.suffix)
	}
	body := blobInvocation(bf.fn, bf.fn.Trigger(), blobURL(m.ContainerName, m.BlobName), token, info.ContentType,
		data, info.Metadata, info.LastModified, w.h.cfg.Now())
	inv := Invocation{MessageID: m.ContainerName + "/" + m.BlobName + "@" + info.ETag, CorrelationID: m.ContainerName + "/" + m.BlobName,
		DeliveryCount: m.dequeueCount}
	w.h.invoke(ctx, bf.fn, body, &inv)
	switch {
	case inv.OK:
		w.done()
	case ctx.Err() != nil:
		// Shutting down: the message would stay on the queue.
	case m.dequeueCount >= maxDequeueCount:
		w.mu.Lock()
		w.poison = append(w.poison, PoisonMessage{Queue: poisonQueue, Function: bf.fn.Name, Container: m.ContainerName,
			Name: m.BlobName, ETag: strings.Trim(m.ETag, `"`), DequeueCount: m.dequeueCount, At: w.h.cfg.Now()})
		w.mu.Unlock()
		w.h.printf("POISON %-28s %s/%s failed %d times (%s)", bf.fn.Name, m.ContainerName, m.BlobName, m.dequeueCount, poisonQueue)
		w.done()
	default:
		// The message becomes visible again at once (QueuesOptions.VisibilityTimeout 0).
		w.mu.Lock()
		w.queue = append(w.queue, m)
		w.mu.Unlock()
		select {
		case w.notify <- struct{}{}:
		default:
		}
	}
}

// waitIdle returns when no blob-trigger message is queued or running.
func (w *blobWatcher) waitIdle(ctx context.Context) error {
	for {
		w.mu.Lock()
		if w.pending == 0 {
			w.mu.Unlock()
			return nil
		}
		ch := w.changed
		w.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for the blob-trigger queue to drain: %w", ctx.Err())
		}
	}
}

// ScanBlobs announces new blobs now and waits until the invocations they
// cause have finished (tests and impatient people).
func (h *Host) ScanBlobs(ctx context.Context) {
	h.blobs.scan(ctx)
	_ = h.blobs.waitIdle(ctx)
}

// PoisonBlobs lists blobs whose message reached the poison queue, as
// "function: container/name".
func (h *Host) PoisonBlobs() []string {
	h.blobs.mu.Lock()
	defer h.blobs.mu.Unlock()
	var out []string
	for _, p := range h.blobs.poison {
		out = append(out, p.Function+": "+p.Container+"/"+p.Name)
	}
	return out
}

// PoisonMessages lists the blob-trigger messages on the poison queue.
func (h *Host) PoisonMessages() []PoisonMessage {
	h.blobs.mu.Lock()
	defer h.blobs.mu.Unlock()
	return append([]PoisonMessage(nil), h.blobs.poison...)
}
