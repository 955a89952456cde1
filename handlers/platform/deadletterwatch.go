package platform

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/teams"
)

// ParkedReader lists parked messages and records that people were told.
type ParkedReader interface {
	ListParked(ctx context.Context, f store.ParkedFilter) ([]*store.ParkedMessage, error)
	MarkAlerted(ctx context.Context, ids []int64) error
}

// DeadLetterCounter reads the dead-letter depth of every subscription.
type DeadLetterCounter interface {
	DeadLetters(ctx context.Context) ([]bus.DeadLetterCount, error)
}

var (
	_ ParkedReader      = (*store.Store)(nil)
	_ DeadLetterCounter = (*bus.ServiceBus)(nil)
	_ DeadLetterCounter = (*bus.Local)(nil)
)

// DeadLetterWatch is the dead-letter-watch timer. Each run it reports every
// parked message no one has been told about, then the depth of every
// dead-letter queue that is not empty. Each report is one error-level log
// line with outcome "needs_attention", which the alert rules in infra/
// turn into a notification; a parked message is reported once (its
// alerted_at is set), a dead-letter queue on every run until it is empty.
type DeadLetterWatch struct {
	Parked ParkedReader
	// DeadLetters is nil when no Service Bus is configured.
	DeadLetters DeadLetterCounter
	// Alerts, when set, also gets one Teams card per run that found
	// something; parked messages count as reported only once it is sent.
	Alerts      AlertPoster
	Environment string
	// Batch is how many parked messages one run reports (default 200).
	Batch int
}

// Run implements the timer.
func (d *DeadLetterWatch) Run(ctx context.Context, _ *azfunc.Timer) error {
	log := azfunc.Logger(ctx)
	batch := d.Batch
	if batch <= 0 {
		batch = 200
	}
	var errs []error
	parked, err := d.Parked.ListParked(ctx, store.ParkedFilter{Unalerted: true, Limit: batch})
	if err != nil {
		errs = append(errs, err)
	}
	ids := make([]int64, 0, len(parked))
	var facts []teams.Fact
	for _, p := range parked {
		facts = append(facts, teams.Fact{Name: fmt.Sprintf("parked #%d %s", p.ID, p.Function),
			Value: fmt.Sprintf("%s: %s (handler replay %d)", p.CorrelationID, p.Reason, p.ID)})
		log.Error("parked message needs attention", "outcome", "needs_attention",
			"parked_id", p.ID, "parked_function", p.Function, "parked_message_id", p.MessageID,
			"parked_correlation_id", p.CorrelationID, "reason", p.Reason, "times_seen", p.TimesSeen,
			"first_seen", p.FirstSeen, "replay", fmt.Sprintf("handler replay %d", p.ID))
		ids = append(ids, p.ID)
	}
	dead := 0
	if d.DeadLetters != nil {
		counts, err := d.DeadLetters.DeadLetters(ctx)
		if err != nil {
			errs = append(errs, err)
		}
		for _, c := range counts {
			if c.Count == 0 {
				continue
			}
			dead += int(c.Count)
			facts = append(facts, teams.Fact{Name: "dead-lettered " + c.Topic + "/" + c.Subscription, Value: strconv.FormatInt(c.Count, 10)})
			log.Error("dead-lettered messages need attention", "outcome", "needs_attention",
				"topic", c.Topic, "subscription", c.Subscription, "dead_letter_count", c.Count)
		}
	}
	told := true
	if d.Alerts != nil && len(facts) > 0 {
		err := d.Alerts.Post(ctx, teams.Alert{
			Title:    fmt.Sprintf("[%s] %d parked, %d dead-lettered messages need attention", d.Environment, len(parked), dead),
			Text:     "Parked messages failed permanently; replay them once the cause is fixed. Dead-lettered messages exhausted their retries.",
			Severity: teams.SeverityError, Facts: facts,
		})
		if err != nil {
			told = false
			errs = append(errs, fmt.Errorf("posting the dead-letter report to Teams: %w", err))
		}
	}
	if told {
		if err := d.Parked.MarkAlerted(ctx, ids); err != nil {
			errs = append(errs, err)
		}
	}
	log.Info("dead-letter watch finished", "parked_reported", len(parked), "dead_lettered", dead)
	return errors.Join(errs...)
}
