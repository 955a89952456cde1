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
	if r.Method != http.MethodPost || r.URL.Path != bus.LocalPublishPath {
		http.Error(w, "not the local broker's publish path", http.StatusNotFound)
		return
	}
	var msg bus.Wire
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 100<<20))
	if err == nil {
		err = json.Unmarshal(b, &msg)
	}
	if err != nil {
		http.Error(w, "decoding message: "+err.Error(), http.StatusBadRequest)
		return
	}
	if !s.topics[msg.Topic] {
		http.Error(w, fmt.Sprintf("unknown topic %q", msg.Topic), http.StatusNotFound)
		return
	}
	s.mu.Lock()
	s.posts[msg.MessageID]++
	if s.posts[msg.MessageID] == 1 {
		s.byOrder[msg.CorrelationID] = append(s.byOrder[msg.CorrelationID], msg.MessageID)
	}
	s.last = time.Now()
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
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
