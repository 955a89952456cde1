package bus

import (
	"context"
	"errors"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
)

// sdkClient returns the SDK client, created on first use.
func (p *ServiceBus) sdkClient() (*azservicebus.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client != nil {
		return p.client, nil
	}
	var err error
	if p.cfg.ConnectionString != "" {
		p.client, err = azservicebus.NewClientFromConnectionString(p.cfg.ConnectionString, nil)
	} else {
		p.client, err = azservicebus.NewClient(p.cfg.Namespace, p.cfg.Credential, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("creating service bus client: %w", err)
	}
	return p.client, nil
}

func (p *ServiceBus) deadLetterReceiver(topic, subscription string) (*azservicebus.Receiver, error) {
	if topic == "" || subscription == "" {
		return nil, errors.New("bus: a dead-letter queue needs a topic and a subscription")
	}
	c, err := p.sdkClient()
	if err != nil {
		return nil, err
	}
	r, err := c.NewReceiverForSubscription(topic, subscription, &azservicebus.ReceiverOptions{
		ReceiveMode: azservicebus.ReceiveModePeekLock, SubQueue: azservicebus.SubQueueDeadLetter,
	})
	if err != nil {
		return nil, fmt.Errorf("opening the dead-letter queue of %s/%s: %w", topic, subscription, err)
	}
	return r, nil
}

// PeekDeadLetters browses the dead-letter queue of topic/subscription
// from its start (a new receiver's peek cursor starts at the first
// message), 100 messages per exchange.
func (p *ServiceBus) PeekDeadLetters(ctx context.Context, topic, subscription string, max int) ([]DeadLetter, error) {
	r, err := p.deadLetterReceiver(topic, subscription)
	if err != nil {
		return nil, err
	}
	defer r.Close(context.WithoutCancel(ctx))
	var out []DeadLetter
	var opts *azservicebus.PeekMessagesOptions
	for len(out) < max {
		batch, err := r.PeekMessages(ctx, min(100, max-len(out)), opts)
		if err != nil {
			return out, fmt.Errorf("peeking the dead-letter queue of %s/%s: %w", topic, subscription, err)
		}
		if len(batch) == 0 {
			break
		}
		for _, m := range batch {
			d := DeadLetterOf(topic, subscription, m)
			out = append(out, d)
			next := d.SequenceNumber + 1
			opts = &azservicebus.PeekMessagesOptions{FromSequenceNumber: &next}
		}
	}
	return out, nil
}

// ResubmitDeadLetters implements Resubmitter with a peek-lock receiver on
// the dead-letter queue.
func (p *ServiceBus) ResubmitDeadLetters(ctx context.Context, topic, subscription string, sel Selection, redrive Redrive) ([]Resubmitted, error) {
	r, err := p.deadLetterReceiver(topic, subscription)
	if err != nil {
		return nil, err
	}
	defer r.Close(context.WithoutCancel(ctx))
	return resubmit(ctx, &sbQueue{r: r, topic: topic, subscription: subscription}, sel, redrive)
}

type sbQueue struct {
	r                   *azservicebus.Receiver
	topic, subscription string
}

func (q *sbQueue) receive(ctx context.Context, max int) ([]lockedMessage, error) {
	// An empty queue answers nothing: waiting receiveWait means it is empty.
	rctx, cancel := context.WithTimeout(ctx, receiveWait)
	defer cancel()
	msgs, err := q.r.ReceiveMessages(rctx, max, nil)
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return nil, nil
		}
		return nil, fmt.Errorf("receiving from the dead-letter queue of %s/%s: %w", q.topic, q.subscription, err)
	}
	out := make([]lockedMessage, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, lockedMessage{dl: DeadLetterOf(q.topic, q.subscription, m), handle: m})
	}
	return out, nil
}

func (q *sbQueue) complete(ctx context.Context, m lockedMessage) error {
	return q.r.CompleteMessage(ctx, m.handle.(*azservicebus.ReceivedMessage), nil)
}

func (q *sbQueue) abandon(ctx context.Context, m lockedMessage) error {
	return q.r.AbandonMessage(ctx, m.handle.(*azservicebus.ReceivedMessage), nil)
}

func (q *sbQueue) renew(ctx context.Context, m lockedMessage) error {
	return q.r.RenewMessageLock(ctx, m.handle.(*azservicebus.ReceivedMessage), nil)
}

// DeadLetterOf maps a message received from a dead-letter queue.
func DeadLetterOf(topic, subscription string, m *azservicebus.ReceivedMessage) DeadLetter {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	d := DeadLetter{
		Topic: topic, Subscription: subscription, MessageID: m.MessageID,
		CorrelationID: str(m.CorrelationID), Subject: str(m.Subject), ContentType: str(m.ContentType),
		DeliveryCount: int(m.DeliveryCount), Reason: str(m.DeadLetterReason), Description: str(m.DeadLetterErrorDescription),
		Source: str(m.DeadLetterSource), Body: m.Body, Properties: map[string]any{},
	}
	if m.SequenceNumber != nil {
		d.SequenceNumber = *m.SequenceNumber
	}
	if m.EnqueuedTime != nil {
		d.EnqueuedAt = m.EnqueuedTime.UTC()
	}
	for k, v := range m.ApplicationProperties {
		d.Properties[k] = v
	}
	return d
}
