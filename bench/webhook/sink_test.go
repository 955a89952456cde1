package webhookbench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/popsockets/integration/shared/bus"
)

// sink plays the local host's broker for the product (DEVHOST_URL): it
// takes what shared/bus's local publisher posts to bus.LocalPublishPath and
// answers as shared/devhost's handlePublish does (400 for a body that is
// not a message, 404 for an unknown topic, 201 otherwise, also for a
// duplicate, which the broker drops). It records every message id, so the
// benchmark can tell whether each accepted request was published once.
type sink struct {
	topics map[string]bool // entity names the broker knows

	mu      sync.Mutex
	posts   map[string]int      // message id -> times posted
	byOrder map[string][]string // correlation id (the order id) -> its distinct message ids
	last    time.Time
	changed chan struct{}
}

func newSink(topics []string) *sink {
	s := &sink{topics: map[string]bool{}, posts: map[string]int{}, byOrder: map[string][]string{}, changed: make(chan struct{}, 1)}
	for _, t := range topics {
		s.topics[t] = true
	}
	return s
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || (r.URL.Path != bus.LocalPublishPath && r.URL.Path != bus.LocalPublishBatchPath) {
		http.Error(w, "not the local broker's publish path", http.StatusNotFound)
		return
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 100<<20))
	var msgs []bus.Wire
	if r.URL.Path == bus.LocalPublishBatchPath {
		if err == nil {
			err = json.Unmarshal(b, &msgs)
		}
	} else {
		var one bus.Wire
		if err == nil {
			err = json.Unmarshal(b, &one)
		}
		msgs = []bus.Wire{one}
	}
	if err != nil {
		http.Error(w, "decoding message: "+err.Error(), http.StatusBadRequest)
		return
	}
	results := make([]bus.LocalResult, len(msgs))
	s.mu.Lock()
	for i, msg := range msgs {
		if !s.topics[msg.Topic] {
			results[i] = bus.LocalResult{Status: http.StatusNotFound, Error: fmt.Sprintf("unknown topic %q", msg.Topic)}
			continue
		}
		results[i].Status = http.StatusCreated
		s.posts[msg.MessageID]++
		if s.posts[msg.MessageID] == 1 {
			s.byOrder[msg.CorrelationID] = append(s.byOrder[msg.CorrelationID], msg.MessageID)
		}
		s.last = time.Now()
	}
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	if r.URL.Path == bus.LocalPublishBatchPath {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(results)
		return
	}
	if results[0].Status != http.StatusCreated {
		http.Error(w, results[0].Error, results[0].Status)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// published tells, of orders, how many have at least one message (seen),
// how many exactly one post of one message id (once), and how many posts
// beyond the first there were (duplicates: a message id posted again, or a
// second message id for the same order).
func (s *sink) published(orders []string) (seen, once, duplicates int, last time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range orders {
		posts := 0
		for _, id := range s.byOrder[o] {
			posts += s.posts[id]
		}
		if posts == 0 {
			continue
		}
		seen++
		if posts == 1 {
			once++
		}
		duplicates += posts - 1
	}
	return seen, once, duplicates, s.last
}

// waitPublished waits until every order has a message, or until ctx ends;
// it returns how many have one.
func (s *sink) waitPublished(ctx context.Context, orders []string) int {
	for {
		seen, _, _, _ := s.published(orders)
		if seen == len(orders) {
			return seen
		}
		select {
		case <-ctx.Done():
			return seen
		case <-s.changed:
		}
	}
}
