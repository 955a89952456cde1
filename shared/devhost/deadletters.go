package devhost

import (
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/popsockets/integration/shared/bus"
)

// The local broker's dead-letter API, as a Service Bus receiver sees a
// subscription's dead-letter queue (bus.Local is its client):
//
//   - peek returns the queue's messages in sequence order and locks nothing;
//   - receive locks up to max messages that no one holds (peek-lock, with
//     a lock token each) for lock_seconds;
//   - settle completes a locked message (it leaves the queue), abandons it
//     (it is available again, unchanged) or renews its lock. A lock that
//     expired, or was settled already, is answered 410 Gone, as Service
//     Bus answers MessageLockLost.

type dlLock struct {
	token string
	until time.Time
	ttl   time.Duration
}

// deadLetterQueue finds the subscription of an entity topic name.
func (b *broker) deadLetterQueue(topic, subscription string) (*subscription, bool) {
	ts, ok := b.topics[topic]
	if !ok {
		return nil, false
	}
	for _, s := range ts.subs {
		if s.name == subscription {
			return s, true
		}
	}
	return nil, false
}

func (d DeadLetter) wire(entity string) bus.DeadLetter {
	props := make(map[string]any, len(d.Properties))
	for k, v := range d.Properties {
		props[k] = v
	}
	return bus.DeadLetter{
		Topic: entity, Subscription: d.Subscription, SequenceNumber: d.SequenceNumber, MessageID: d.MessageID,
		CorrelationID: d.CorrelationID, Subject: d.Subject, ContentType: d.ContentType, DeliveryCount: d.DeliveryCount,
		EnqueuedAt: d.EnqueuedAt, Reason: d.Reason, Description: d.Description, Properties: props, Body: d.Body,
	}
}

// peekDeadLetters returns up to max of a subscription's dead letters.
func (b *broker) peekDeadLetters(topic, subscription string, max int) ([]bus.DeadLetter, bool) {
	s, ok := b.deadLetterQueue(topic, subscription)
	if !ok {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []bus.DeadLetter{}
	for _, d := range s.bySequence() {
		if len(out) >= max {
			break
		}
		out = append(out, d.wire(topic))
	}
	return out, true
}

// receiveDeadLetters locks up to max dead letters nobody holds.
func (b *broker) receiveDeadLetters(topic, subscription string, max int, ttl time.Duration) ([]bus.LocalLocked, bool) {
	s, ok := b.deadLetterQueue(topic, subscription)
	if !ok {
		return nil, false
	}
	now := b.h.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dlLocks == nil {
		s.dlLocks = map[int64]dlLock{}
	}
	out := []bus.LocalLocked{}
	for _, d := range s.bySequence() {
		if len(out) >= max {
			break
		}
		if l, held := s.dlLocks[d.SequenceNumber]; held && l.until.After(now) {
			continue
		}
		l := dlLock{token: newGUID(), until: now.Add(ttl), ttl: ttl}
		s.dlLocks[d.SequenceNumber] = l
		out = append(out, bus.LocalLocked{DeadLetter: d.wire(topic), LockToken: l.token})
	}
	return out, true
}

// bySequence is the queue in sequence-number order, the order Service Bus
// browses it in (s.mu held).
func (s *subscription) bySequence() []DeadLetter {
	out := slices.Clone(s.deadLetters)
	slices.SortFunc(out, func(a, b DeadLetter) int { return cmp.Compare(a.SequenceNumber, b.SequenceNumber) })
	return out
}

var errUnknownQueue = errors.New("no such topic or subscription")

// settleDeadLetter applies action to the dead letter locked by token.
func (b *broker) settleDeadLetter(topic, subscription, token, action string) error {
	s, ok := b.deadLetterQueue(topic, subscription)
	if !ok {
		return errUnknownQueue
	}
	now := b.h.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for seq, l := range s.dlLocks {
		if l.token != token {
			continue
		}
		if !l.until.After(now) {
			delete(s.dlLocks, seq)
			return bus.ErrLockLost
		}
		switch action {
		case bus.SettleRenew:
			l.until = now.Add(l.ttl)
			s.dlLocks[seq] = l
			return nil
		case bus.SettleAbandon:
			delete(s.dlLocks, seq)
			return nil
		case bus.SettleComplete:
			delete(s.dlLocks, seq)
			for i, d := range s.deadLetters {
				if d.SequenceNumber == seq {
					s.deadLetters = append(s.deadLetters[:i:i], s.deadLetters[i+1:]...)
					b.h.printf("dlq    %-28s %s taken out of %s's dead-letter queue", s.topic.logical, d.MessageID, s.name)
					break
				}
			}
			return nil
		default:
			return errors.New("action is complete, abandon or renew")
		}
	}
	return bus.ErrLockLost
}

func (h *Host) handleDeadLetterPeek(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	max, err := strconv.Atoi(q.Get("max"))
	if err != nil || max <= 0 {
		max = 100
	}
	out, ok := h.broker.peekDeadLetters(q.Get("topic"), q.Get("subscription"), max)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": errUnknownQueue.Error()})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Host) handleDeadLetterReceive(w http.ResponseWriter, r *http.Request) {
	var in bus.LocalReceive
	if err := decodeBody(w, r, &in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if in.Max <= 0 {
		in.Max = 1
	}
	ttl := time.Duration(in.LockSeconds) * time.Second
	if ttl <= 0 {
		ttl = time.Minute
	}
	out, ok := h.broker.receiveDeadLetters(in.Topic, in.Subscription, in.Max, ttl)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": errUnknownQueue.Error()})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Host) handleDeadLetterSettle(w http.ResponseWriter, r *http.Request) {
	var in bus.LocalSettle
	if err := decodeBody(w, r, &in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	switch err := h.broker.settleDeadLetter(in.Topic, in.Subscription, in.LockToken, in.Action); {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, bus.ErrLockLost):
		writeJSON(w, http.StatusGone, map[string]string{"error": err.Error()})
	case errors.Is(err, errUnknownQueue):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	}
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
