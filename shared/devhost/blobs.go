package devhost

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// maxBlobAttempts is how often the host tries a blob before calling it poison.
const maxBlobAttempts = 5

type blobFn struct {
	fn        *Function
	container string
	prefix    string // the literal part of the path after the container
	suffix    string // a literal after {name}, such as ".csv"
}

// blobWatcher scans the local store and fires blob triggers once per blob
// version (ETag), as the host's receipts do.
type blobWatcher struct {
	h   *Host
	fns []*blobFn

	scanning sync.Mutex // one scan at a time, so a blob never fires twice at once
	mu       sync.Mutex
	receipts map[string]string // function|container/name -> etag done
	poison   []string
}

func newBlobWatcher(h *Host) (*blobWatcher, error) {
	w := &blobWatcher{h: h, receipts: map[string]string{}}
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
	t := time.NewTicker(w.h.cfg.BlobPollInterval)
	defer t.Stop()
	for {
		w.Scan(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Scan fires every blob function for blobs it has not seen in this version.
func (w *blobWatcher) Scan(ctx context.Context) {
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
			w.mu.Lock()
			seen := w.receipts[key] == info.ETag
			w.mu.Unlock()
			if seen {
				continue
			}
			w.fire(ctx, bf, info.Name, key)
		}
	}
}

func (w *blobWatcher) fire(ctx context.Context, bf *blobFn, name, key string) {
	data, info, err := w.h.cfg.Blobs.Get(ctx, bf.container, name)
	if err != nil {
		w.h.printf("blob   reading %s/%s failed: %v", bf.container, name, err)
		return
	}
	token := strings.TrimSuffix(strings.TrimPrefix(name, bf.prefix), bf.suffix)
	for attempt := 1; attempt <= maxBlobAttempts; attempt++ {
		now := w.h.cfg.Now()
		body := blobInvocation(bf.fn, bf.fn.Trigger(), bf.container, name, token, info.ETag, info.ContentType, data, info.Metadata, info.LastModified, now)
		inv := Invocation{MessageID: bf.container + "/" + name + "@" + info.ETag, CorrelationID: bf.container + "/" + name, DeliveryCount: attempt}
		w.h.invoke(ctx, bf.fn, body, &inv)
		if inv.OK || ctx.Err() != nil {
			break
		}
		if attempt == maxBlobAttempts {
			w.mu.Lock()
			w.poison = append(w.poison, bf.fn.Name+": "+bf.container+"/"+name)
			w.mu.Unlock()
			w.h.printf("POISON %-28s %s/%s failed %d times (webjobs-blobtrigger-poison)", bf.fn.Name, bf.container, name, maxBlobAttempts)
		}
	}
	w.mu.Lock()
	w.receipts[key] = info.ETag
	w.mu.Unlock()
}

// ScanBlobs fires blob triggers for new blobs now (tests and impatient people).
func (h *Host) ScanBlobs(ctx context.Context) { h.blobs.Scan(ctx) }

// PoisonBlobs lists blobs that failed every attempt.
func (h *Host) PoisonBlobs() []string {
	h.blobs.mu.Lock()
	defer h.blobs.mu.Unlock()
	return append([]string(nil), h.blobs.poison...)
}
