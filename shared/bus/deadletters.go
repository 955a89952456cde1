package bus

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// DeadLetter is one message in a subscription's dead-letter queue, as
// Service Bus keeps it: the message as it was sent, with why and when it
// was dead-lettered. A message keeps its sequence number in the dead-letter
// queue, so Topic, Subscription and SequenceNumber identify it.
type DeadLetter struct {
	// Topic is the topic's entity name (int-prod-shipped), as in DeadLetterCount.
	Topic          string    `json:"topic"`
	Subscription   string    `json:"subscription"`
	SequenceNumber int64     `json:"sequence_number"`
	MessageID      string    `json:"message_id"`
	CorrelationID  string    `json:"correlation_id"`
	Subject        string    `json:"subject"`
	ContentType    string    `json:"content_type"`
	DeliveryCount  int       `json:"delivery_count"`
	EnqueuedAt     time.Time `json:"enqueued_at"`
	// Reason and Description are DeadLetterReason and
	// DeadLetterErrorDescription (MaxDeliveryCountExceeded, TTLExpiredException, or a receiver's own).
	Reason      string `json:"dead_letter_reason"`
	Description string `json:"dead_letter_error_description"`
	// Source is the entity that dead-lettered it when it was forwarded.
	Source     string         `json:"dead_letter_source,omitempty"`
	Properties map[string]any `json:"application_properties"`
	Body       []byte         `json:"body"`
}

// Ref names the message for people: topic/subscription#sequence.
func (d DeadLetter) Ref() string {
	return fmt.Sprintf("%s/%s#%d", d.Topic, d.Subscription, d.SequenceNumber)
}

// DeadLetterReader reads dead-letter queues without taking anything from them.
type DeadLetterReader interface {
	// PeekDeadLetters returns up to max messages of the subscription's
	// dead-letter queue from its start, in sequence order, locking nothing.
	PeekDeadLetters(ctx context.Context, topic, subscription string, max int) ([]DeadLetter, error)
}

// Redrive handles a dead-lettered message again (its function runs it
// once more); nil means it was handled and may leave the queue.
type Redrive func(ctx context.Context, d DeadLetter) error

// Selection says which dead-lettered messages a resubmission takes.
type Selection struct {
	// Match selects messages (nil: all).
	Match func(DeadLetter) bool
	// Max bounds the messages redriven (default 1).
	Max int
	// Scan bounds the messages looked at (default 1000).
	Scan int
}

func (s Selection) withDefaults() Selection {
	if s.Max <= 0 {
		s.Max = 1
	}
	if s.Scan <= 0 {
		s.Scan = 1000
	}
	if s.Match == nil {
		s.Match = func(DeadLetter) bool { return true }
	}
	return s
}

// Resubmitted is what became of one selected message.
type Resubmitted struct {
	DeadLetter DeadLetter
	// Err is the redrive's error (the message stays in the queue), or an
	// error completing it (it was handled, and may be seen again; a second
	// redrive has no second effect).
	Err error
	// Completed is true when the message left the dead-letter queue.
	Completed bool
}

// Resubmitter takes dead-lettered messages back out of their queue once
// they have been handled again.
type Resubmitter interface {
	// ResubmitDeadLetters locks the subscription's dead-lettered messages
	// (peek-lock, as a receiver does), redrives those sel matches (up to
	// sel.Max) and completes each one whose redrive succeeded; the others,
	// and every message it did not select, are abandoned and stay in the
	// queue unchanged. Only the dead-lettered subscription's function sees
	// the message again, under its own MessageId: a copy sent back to the
	// topic would reach every subscription and be dropped by duplicate
	// detection within the topic's window.
	ResubmitDeadLetters(ctx context.Context, topic, subscription string, sel Selection, redrive Redrive) ([]Resubmitted, error)
}

var (
	_ DeadLetterReader = (*ServiceBus)(nil)
	_ DeadLetterReader = (*Local)(nil)
	_ Resubmitter      = (*ServiceBus)(nil)
	_ Resubmitter      = (*Local)(nil)
)

// lockRenewEvery is how often a resubmission renews the locks it holds;
// Service Bus locks last the subscription's lockDuration (a minute here).
const lockRenewEvery = 20 * time.Second

// receiveWait bounds waiting for a dead-lettered message: an empty queue
// answers nothing, so a receive that waits this long has found them all.
const receiveWait = 3 * time.Second

// lockedMessage is a dead-lettered message under a lock.
type lockedMessage struct {
	dl     DeadLetter
	handle any
}

// lockingQueue is what a resubmission needs of a dead-letter queue.
type lockingQueue interface {
	receive(ctx context.Context, max int) ([]lockedMessage, error)
	complete(ctx context.Context, m lockedMessage) error
	abandon(ctx context.Context, m lockedMessage) error
	renew(ctx context.Context, m lockedMessage) error
}

// resubmit is the one resubmission loop both implementations share. It
// keeps the locks of the messages it passes over until it is done, so that
// a receive never hands it the same message twice, renewing them while a
// redrive runs, and abandons them at the end.
func resubmit(ctx context.Context, q lockingQueue, sel Selection, redrive Redrive) ([]Resubmitted, error) {
	sel = sel.withDefaults()
	var (
		mu      sync.Mutex
		held    []lockedMessage
		out     []Resubmitted
		scanned int
		seen    = map[int64]bool{}
	)
	stop, renewed := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(lockRenewEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				mu.Lock()
				hs := slices.Clone(held)
				mu.Unlock()
				for _, m := range hs {
					_ = q.renew(ctx, m) // a lost lock only means the message is back in the queue
				}
			}
		}
	}()
	defer func() {
		close(stop)
		<-renewed
		for _, m := range held {
			_ = q.abandon(context.WithoutCancel(ctx), m)
		}
	}()
	var errs []error
	for scanned < sel.Scan && len(out) < sel.Max {
		batch, err := q.receive(ctx, min(50, sel.Scan-scanned))
		if err != nil {
			errs = append(errs, err)
			break
		}
		if len(batch) == 0 {
			break
		}
		for _, m := range batch {
			scanned++
			if seen[m.dl.SequenceNumber] || len(out) >= sel.Max || !sel.Match(m.dl) {
				seen[m.dl.SequenceNumber] = true
				mu.Lock()
				held = append(held, m)
				mu.Unlock()
				continue
			}
			seen[m.dl.SequenceNumber] = true
			r := Resubmitted{DeadLetter: m.dl}
			if r.Err = redrive(ctx, m.dl); r.Err != nil {
				if aerr := q.abandon(context.WithoutCancel(ctx), m); aerr != nil {
					r.Err = errors.Join(r.Err, fmt.Errorf("abandoning it: %w", aerr))
				}
			} else if cerr := q.complete(context.WithoutCancel(ctx), m); cerr != nil {
				r.Err = fmt.Errorf("handled, but not removed from the dead-letter queue (a second redrive has no second effect): %w", cerr)
			} else {
				r.Completed = true
			}
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].DeadLetter.SequenceNumber < out[j].DeadLetter.SequenceNumber })
	return out, errors.Join(errs...)
}
