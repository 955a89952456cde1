package bus

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus/admin"

	"github.com/popsockets/integration/shared/fault"
)

// ServiceBusConfig configures the Azure publisher: a connection string, or a
// namespace with a credential (the Function App's managed identity).
type ServiceBusConfig struct {
	ConnectionString string
	// Namespace is the fully qualified namespace (sb-int-prod.servicebus.windows.net).
	Namespace  string
	Credential azcore.TokenCredential
	// Topics maps logical topic names to entity names (from messaging.json and app settings).
	Topics map[string]string
	// Subscriptions lists entity topic -> subscription names, for dead-letter counts.
	Subscriptions map[string][]string
	// SendTimeout bounds each send (default 30 s).
	SendTimeout time.Duration
}

// ServiceBus publishes through the azservicebus SDK, one sender per topic,
// created on first use (building the publisher does no I/O).
type ServiceBus struct {
	cfg     ServiceBusConfig
	mu      sync.Mutex
	client  *azservicebus.Client
	admin   *admin.Client
	senders map[string]*azservicebus.Sender
}

var _ Publisher = (*ServiceBus)(nil)

// NewServiceBus validates cfg.
func NewServiceBus(cfg ServiceBusConfig) (*ServiceBus, error) {
	if cfg.ConnectionString == "" && cfg.Namespace == "" {
		return nil, errors.New("bus: set ServiceBusConnection (connection string) or ServiceBusConnection__fullyQualifiedNamespace")
	}
	if cfg.ConnectionString == "" && cfg.Credential == nil {
		return nil, errors.New("bus: a namespace needs a credential")
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 30 * time.Second
	}
	return &ServiceBus{cfg: cfg, senders: map[string]*azservicebus.Sender{}}, nil
}

func (p *ServiceBus) sender(entity string) (*azservicebus.Sender, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.senders[entity]; ok {
		return s, nil
	}
	if p.client == nil {
		var err error
		if p.cfg.ConnectionString != "" {
			p.client, err = azservicebus.NewClientFromConnectionString(p.cfg.ConnectionString, nil)
		} else {
			p.client, err = azservicebus.NewClient(p.cfg.Namespace, p.cfg.Credential, nil)
		}
		if err != nil {
			return nil, fmt.Errorf("creating service bus client: %w", err)
		}
	}
	s, err := p.client.NewSender(entity, nil)
	if err != nil {
		return nil, fmt.Errorf("creating sender for %s: %w", entity, err)
	}
	p.senders[entity] = s
	return s, nil
}

// AMQPMessage builds the SDK message for m: what goes on the wire.
func (p *ServiceBus) AMQPMessage(m Message) (string, *azservicebus.Message, error) {
	w, err := toWire(m, p.cfg.Topics)
	if err != nil {
		return "", nil, err
	}
	props := make(map[string]any, len(w.ApplicationProperties))
	for k, v := range w.ApplicationProperties {
		props[k] = v
	}
	return w.Topic, &azservicebus.Message{
		MessageID:             &w.MessageID,
		CorrelationID:         &w.CorrelationID,
		Subject:               &w.Subject,
		ContentType:           &w.ContentType,
		ApplicationProperties: props,
		Body:                  w.Body,
	}, nil
}

// Publish sends m. Failures to reach Service Bus are transient; a message the
// broker can never take (too large, invalid) is permanent.
func (p *ServiceBus) Publish(ctx context.Context, m Message) error {
	entity, msg, err := p.AMQPMessage(m)
	if err != nil {
		return err
	}
	s, err := p.sender(entity)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.SendTimeout)
	defer cancel()
	if err := s.SendMessage(ctx, msg, nil); err != nil {
		if errors.Is(err, azservicebus.ErrMessageTooLarge) {
			return fault.Permanent(fmt.Errorf("publishing %s to %s: %w", *msg.MessageID, entity, err))
		}
		return fmt.Errorf("publishing %s to %s: %w", *msg.MessageID, entity, err)
	}
	return nil
}

// PublishBatch sends messages in as few batches as Service Bus allows: one
// per topic while they fit, each batch one exchange with the broker.
func (p *ServiceBus) PublishBatch(ctx context.Context, ms []Message) []error {
	errs := make([]error, len(ms))
	type item struct {
		i   int
		msg *azservicebus.Message
	}
	byEntity := map[string][]item{}
	var order []string
	for i, m := range ms {
		entity, msg, err := p.AMQPMessage(m)
		if err != nil {
			errs[i] = err
			continue
		}
		if _, ok := byEntity[entity]; !ok {
			order = append(order, entity)
		}
		byEntity[entity] = append(byEntity[entity], item{i, msg})
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.SendTimeout)
	defer cancel()
	for _, entity := range order {
		items := byEntity[entity]
		s, err := p.sender(entity)
		if err != nil {
			for _, it := range items {
				errs[it.i] = err
			}
			continue
		}
		for len(items) > 0 {
			batch, err := s.NewMessageBatch(ctx, nil)
			if err != nil {
				for _, it := range items {
					errs[it.i] = fmt.Errorf("publishing to %s: %w", entity, err)
				}
				break
			}
			var in []item
			for len(items) > 0 {
				err := batch.AddMessage(items[0].msg, nil)
				if errors.Is(err, azservicebus.ErrMessageTooLarge) {
					if len(in) == 0 { // too large on its own
						errs[items[0].i] = fault.Permanent(fmt.Errorf("publishing %s to %s: %w", *items[0].msg.MessageID, entity, err))
						items = items[1:]
						continue
					}
					break // full: send what is in
				}
				if err != nil {
					errs[items[0].i] = fmt.Errorf("publishing %s to %s: %w", *items[0].msg.MessageID, entity, err)
					items = items[1:]
					continue
				}
				in, items = append(in, items[0]), items[1:]
			}
			if len(in) == 0 {
				continue
			}
			if err := s.SendMessageBatch(ctx, batch, nil); err != nil {
				for _, it := range in {
					errs[it.i] = fmt.Errorf("publishing %s to %s: %w", *it.msg.MessageID, entity, err)
				}
			}
		}
	}
	return errs
}

// DeadLetterCount is one subscription's dead-letter queue depth.
type DeadLetterCount struct {
	Topic        string `json:"topic"`
	Subscription string `json:"subscription"`
	Count        int64  `json:"count"`
}

// DeadLetters reads the dead-letter depth of every configured subscription
// through the management API.
func (p *ServiceBus) DeadLetters(ctx context.Context) ([]DeadLetterCount, error) {
	p.mu.Lock()
	if p.admin == nil {
		var err error
		if p.cfg.ConnectionString != "" {
			p.admin, err = admin.NewClientFromConnectionString(p.cfg.ConnectionString, nil)
		} else {
			p.admin, err = admin.NewClient(p.cfg.Namespace, p.cfg.Credential, nil)
		}
		if err != nil {
			p.mu.Unlock()
			return nil, fmt.Errorf("creating service bus admin client: %w", err)
		}
	}
	ac := p.admin
	p.mu.Unlock()
	var out []DeadLetterCount
	topics := make([]string, 0, len(p.cfg.Subscriptions))
	for t := range p.cfg.Subscriptions {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	for _, topic := range topics {
		for _, sub := range p.cfg.Subscriptions[topic] {
			props, err := ac.GetSubscriptionRuntimeProperties(ctx, topic, sub, nil)
			if err != nil {
				return nil, fmt.Errorf("reading dead-letter count of %s/%s: %w", topic, sub, err)
			}
			if props == nil {
				return nil, fmt.Errorf("subscription %s/%s does not exist", topic, sub)
			}
			out = append(out, DeadLetterCount{Topic: topic, Subscription: sub, Count: int64(props.DeadLetterMessageCount)})
		}
	}
	return out, nil
}

// Close closes the senders and the client.
func (p *ServiceBus) Close(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, s := range p.senders {
		errs = append(errs, s.Close(ctx))
	}
	if p.client != nil {
		errs = append(errs, p.client.Close(ctx))
	}
	return errors.Join(errs...)
}
