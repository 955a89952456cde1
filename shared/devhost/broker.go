package devhost

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/messaging"
)

// DeadLetter is a message Service Bus would have moved to a subscription's
// dead-letter queue.
type DeadLetter struct {
	Topic         string            `json:"topic"`
	Subscription  string            `json:"subscription"`
	MessageID     string            `json:"message_id"`
	CorrelationID string            `json:"correlation_id"`
	Subject       string            `json:"subject"`
	DeliveryCount int               `json:"delivery_count"`
	Reason        string            `json:"dead_letter_reason"`
	Description   string            `json:"dead_letter_error_description"`
	Properties    map[string]string `json:"application_properties"`
	Body          []byte            `json:"body"`
	At            time.Time         `json:"at"`
	// SequenceNumber is the one the topic gave the message; a dead letter keeps it.
	SequenceNumber int64     `json:"sequence_number"`
	EnqueuedAt     time.Time `json:"enqueued_at"`
	ContentType    string    `json:"content_type,omitempty"`
}

// ErrUnknownTopic means a message was published to a topic messaging.json
// does not declare (Service Bus: MessagingEntityNotFound).
var ErrUnknownTopic = errors.New("unknown topic")

type topicState struct {
	entity, logical string
	window          time.Duration
	seen            map[string]time.Time
	subs            []*subscription
}

type subscription struct {
	topic       *topicState
	name        string
	filter      *messaging.CorrelationFilter
	maxDelivery int
	fn          *Function

	mu          sync.Mutex
	queue       []*delivery
	notify      chan struct{}
	unconsumed  int
	deadLetters []DeadLetter
	// dlLocks are the dead letters a receiver holds, by sequence number.
	dlLocks map[int64]dlLock
}

func (s *subscription) push(d *delivery) {
	s.mu.Lock()
	s.queue = append(s.queue, d)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func (s *subscription) next(ctx context.Context) *delivery {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			d := s.queue[0]
			s.queue = s.queue[1:]
			s.mu.Unlock()
			return d
		}
		s.mu.Unlock()
		select {
		case <-s.notify:
		case <-ctx.Done():
			return nil
		}
	}
}

// broker carries published messages to subscriptions, as Service Bus does
// for a topic with correlation-filter rules and peek-lock receivers.
type broker struct {
	h      *Host
	topics map[string]*topicState // by entity name

	mu      sync.Mutex
	seq     int64
	pending int // deliveries queued, in flight or waiting to be redelivered
	changed chan struct{}
}

func newBroker(h *Host) (*broker, error) {
	b := &broker{h: h, topics: map[string]*topicState{}, changed: make(chan struct{})}
	var errs []error
	for _, t := range h.cfg.Catalog.Topics {
		entity := h.cfg.Settings[t.Setting]
		if entity == "" {
			errs = append(errs, fmt.Errorf("app setting %s (topic %s) is not set", t.Setting, t.Name))
			continue
		}
		ts := &topicState{entity: entity, logical: t.Name, window: h.cfg.Catalog.DuplicateWindow(t), seen: map[string]time.Time{}}
		for _, s := range t.Subscriptions {
			ts.subs = append(ts.subs, &subscription{topic: ts, name: s.Name, filter: s.CorrelationFilter,
				maxDelivery: h.cfg.Catalog.MaxDeliveryCount(s), notify: make(chan struct{}, 1)})
		}
		b.topics[entity] = ts
	}
	for _, fn := range h.functions {
		trig := fn.Trigger()
		if trig.Type != "serviceBusTrigger" {
			continue
		}
		ts, ok := b.topics[trig.TopicName]
		if !ok {
			errs = append(errs, fmt.Errorf("function %s listens on topic %q, which no messaging.json topic setting names", fn.Name, trig.TopicName))
			continue
		}
		for _, s := range ts.subs {
			if s.name != trig.SubscriptionName {
				continue
			}
			if s.fn != nil {
				errs = append(errs, fmt.Errorf("functions %s and %s both consume %s/%s", s.fn.Name, fn.Name, ts.logical, s.name))
			}
			s.fn = fn
		}
	}
	return b, errors.Join(errs...)
}

func (b *broker) signal() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// publish accepts a message, drops it if its MessageId was seen within the
// topic's duplicate-detection window, and copies it to every subscription
// whose filter matches.
func (b *broker) publish(w bus.Wire) error {
	ts, ok := b.topics[w.Topic]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownTopic, w.Topic)
	}
	if w.MessageID == "" {
		w.MessageID = newGUID()
	}
	now := b.h.cfg.Now()
	b.mu.Lock()
	for id, at := range ts.seen {
		if now.Sub(at) > ts.window {
			delete(ts.seen, id)
		}
	}
	if _, dup := ts.seen[w.MessageID]; dup {
		b.mu.Unlock()
		b.h.printf("dup    %-28s %s dropped by duplicate detection", ts.logical, w.MessageID)
		return nil
	}
	ts.seen[w.MessageID] = now
	b.seq++
	seq := b.seq
	var routed []string
	for _, s := range ts.subs {
		if !s.filter.Match(w.ApplicationProperties, w.CorrelationID, w.Subject) {
			continue
		}
		routed = append(routed, s.name)
		if s.fn == nil {
			s.mu.Lock()
			s.unconsumed++
			s.mu.Unlock()
			continue
		}
		b.pending++
		s.push(&delivery{wire: w, sequence: seq, enqueued: now})
	}
	b.mu.Unlock()
	if len(routed) == 0 {
		routed = []string{"no subscription matched"}
	}
	b.h.printf("pub    %-28s %s -> %s", ts.logical, w.MessageID, strings.Join(routed, ", "))
	return nil
}

func (b *broker) done() {
	b.mu.Lock()
	b.pending--
	b.signal()
	b.mu.Unlock()
}

// waitIdle returns when no delivery is queued, in flight or waiting.
func (b *broker) waitIdle(ctx context.Context) error {
	for {
		b.mu.Lock()
		if b.pending == 0 {
			b.mu.Unlock()
			return nil
		}
		ch := b.changed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for the broker to drain: %w", ctx.Err())
		}
	}
}

func (b *broker) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, ts := range b.topics {
		for _, s := range ts.subs {
			if s.fn == nil {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				b.dispatch(ctx, s)
			}()
		}
	}
	wg.Wait()
}

// dispatch delivers a subscription's messages to its function, at most
// maxConcurrentCalls at a time.
func (b *broker) dispatch(ctx context.Context, s *subscription) {
	sem := make(chan struct{}, b.h.host.MaxConcurrentCalls)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		d := s.next(ctx)
		if d == nil {
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
			b.deliver(ctx, s, d)
		}()
	}
}

// deliver locks the message to one invocation: success completes it, failure
// abandons it (redelivered with DeliveryCount+1), and the last failure
// dead-letters it.
func (b *broker) deliver(ctx context.Context, s *subscription, d *delivery) {
	d.deliveryCount++
	d.lockToken = newGUID()
	trig := s.fn.Trigger()
	inv := Invocation{MessageID: d.wire.MessageID, CorrelationID: d.wire.CorrelationID, DeliveryCount: d.deliveryCount}
	b.h.invoke(ctx, s.fn, serviceBusInvocation(s.fn, trig, d, b.h.namespace, b.h.cfg.Now()), &inv)
	switch {
	case inv.OK:
		b.done()
	case ctx.Err() != nil:
		// Shutting down: the message would stay in the subscription.
	case d.deliveryCount >= s.maxDelivery:
		s.mu.Lock()
		s.deadLetters = append(s.deadLetters, DeadLetter{
			Topic: s.topic.logical, Subscription: s.name, MessageID: d.wire.MessageID, CorrelationID: d.wire.CorrelationID,
			Subject: d.wire.Subject, DeliveryCount: d.deliveryCount, Reason: "MaxDeliveryCountExceeded",
			Description: fmt.Sprintf("Message could not be consumed after %d delivery attempts. Last error: %s", d.deliveryCount, inv.Error),
			Properties:  d.wire.ApplicationProperties, Body: d.wire.Body, At: b.h.cfg.Now(),
			SequenceNumber: d.sequence, EnqueuedAt: d.enqueued, ContentType: d.wire.ContentType,
		})
		s.mu.Unlock()
		b.h.printf("DEAD   %-28s %s dead-lettered on %s/%s after %d deliveries", s.fn.Name, d.wire.MessageID, s.topic.logical, s.name, d.deliveryCount)
		b.done()
	default:
		if delay := b.h.cfg.RedeliveryDelay; delay > 0 {
			time.AfterFunc(delay, func() { s.push(d) })
		} else {
			s.push(d)
		}
	}
}

// deadLetters lists every dead-lettered message, oldest first.
func (b *broker) deadLetters() []DeadLetter {
	var out []DeadLetter
	for _, ts := range b.topics {
		for _, s := range ts.subs {
			s.mu.Lock()
			out = append(out, s.deadLetters...)
			s.mu.Unlock()
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// deadLetterCounts reports every subscription's dead-letter depth, by entity name.
func (b *broker) deadLetterCounts() []bus.DeadLetterCount {
	var out []bus.DeadLetterCount
	for _, ts := range b.topics {
		for _, s := range ts.subs {
			s.mu.Lock()
			out = append(out, bus.DeadLetterCount{Topic: ts.entity, Subscription: s.name, Count: int64(len(s.deadLetters))})
			s.mu.Unlock()
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Subscription < out[j].Subscription
	})
	return out
}

// Publish hands a message to the broker, as the handler does over HTTP.
func (h *Host) Publish(w bus.Wire) error { return h.broker.publish(w) }

// WaitIdle returns once every published message has been completed or dead-lettered.
func (h *Host) WaitIdle(ctx context.Context) error { return h.broker.waitIdle(ctx) }

// DeadLetters lists the dead-lettered messages.
func (h *Host) DeadLetters() []DeadLetter { return h.broker.deadLetters() }
