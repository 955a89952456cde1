package bus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// Paths of the local broker's dead-letter API (shared/devhost serves them):
// peek, receive under a lock, and settle (complete, abandon or renew), as
// a Service Bus receiver on a dead-letter queue does.
const (
	LocalDeadLetterPeekPath    = "/_devhost/deadletters/peek"
	LocalDeadLetterReceivePath = "/_devhost/deadletters/receive"
	LocalDeadLetterSettlePath  = "/_devhost/deadletters/settle"
)

// LocalReceive is the body of a receive from the local broker's dead-letter queue.
type LocalReceive struct {
	Topic        string `json:"topic"`
	Subscription string `json:"subscription"`
	Max          int    `json:"max"`
	// LockSeconds is how long the messages stay locked (a subscription's lockDuration).
	LockSeconds int `json:"lock_seconds"`
}

// LocalLocked is a dead-lettered message received under a lock.
type LocalLocked struct {
	DeadLetter DeadLetter `json:"dead_letter"`
	LockToken  string     `json:"lock_token"`
}

// Settle actions.
const (
	SettleComplete = "complete"
	SettleAbandon  = "abandon"
	SettleRenew    = "renew"
)

// LocalSettle is the body of a settlement: Action on the message locked by LockToken.
type LocalSettle struct {
	Topic        string `json:"topic"`
	Subscription string `json:"subscription"`
	LockToken    string `json:"lock_token"`
	Action       string `json:"action"`
}

// ErrLockLost means the message's lock expired (it is back in the queue) or
// it was settled already.
var ErrLockLost = errors.New("message lock lost")

// localLock is how long the local broker locks a received dead letter.
const localLock = 60

// PeekDeadLetters reads the local broker's dead-letter queue.
func (l *Local) PeekDeadLetters(ctx context.Context, topic, subscription string, max int) ([]DeadLetter, error) {
	q := url.Values{"topic": {topic}, "subscription": {subscription}, "max": {strconv.Itoa(max)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.cfg.URL+LocalDeadLetterPeekPath+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	var out []DeadLetter
	if err := l.exchange(req, &out); err != nil {
		return nil, fmt.Errorf("peeking the local dead-letter queue of %s/%s: %w", topic, subscription, err)
	}
	return out, nil
}

// ResubmitDeadLetters implements Resubmitter on the local broker.
func (l *Local) ResubmitDeadLetters(ctx context.Context, topic, subscription string, sel Selection, redrive Redrive) ([]Resubmitted, error) {
	return resubmit(ctx, &localQueue{l: l, topic: topic, subscription: subscription}, sel, redrive)
}

type localQueue struct {
	l                   *Local
	topic, subscription string
}

func (q *localQueue) receive(ctx context.Context, max int) ([]lockedMessage, error) {
	var got []LocalLocked
	if err := q.l.post(ctx, LocalDeadLetterReceivePath, LocalReceive{Topic: q.topic, Subscription: q.subscription, Max: max, LockSeconds: localLock}, &got); err != nil {
		return nil, fmt.Errorf("receiving from the local dead-letter queue of %s/%s: %w", q.topic, q.subscription, err)
	}
	out := make([]lockedMessage, 0, len(got))
	for _, g := range got {
		out = append(out, lockedMessage{dl: g.DeadLetter, handle: g.LockToken})
	}
	return out, nil
}

func (q *localQueue) settle(ctx context.Context, m lockedMessage, action string) error {
	return q.l.post(ctx, LocalDeadLetterSettlePath, LocalSettle{Topic: q.topic, Subscription: q.subscription,
		LockToken: m.handle.(string), Action: action}, nil)
}

func (q *localQueue) complete(ctx context.Context, m lockedMessage) error {
	return q.settle(ctx, m, SettleComplete)
}
func (q *localQueue) abandon(ctx context.Context, m lockedMessage) error {
	return q.settle(ctx, m, SettleAbandon)
}
func (q *localQueue) renew(ctx context.Context, m lockedMessage) error {
	return q.settle(ctx, m, SettleRenew)
}

func (l *Local) post(ctx context.Context, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.cfg.URL+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return l.exchange(req, out)
}

// exchange sends req and decodes a 2xx answer into out (nil: none expected).
func (l *Local) exchange(req *http.Request, out any) error {
	resp, err := l.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusGone {
		return ErrLockLost
	}
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("local broker answered %d %s", resp.StatusCode, bytes.TrimSpace(msg))
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decoding the local broker's answer: %w", err)
	}
	return nil
}
