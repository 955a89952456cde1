package platform

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/teams"
)

// ParkedReporter reports parked messages nobody has been told about, and
// posts alerts.
type ParkedReporter interface {
	SendPending(ctx context.Context) (int, error)
	Post(ctx context.Context, a teams.Alert) error
}

var _ ParkedReporter = (*kit.Alerts)(nil)

// DeadLetterWatch is the dead-letter-watch timer. Each run it reports every
// parked message the background sender has not (Teams was down, the process
// stopped), then the depth of every dead-letter queue that is not empty.
// Each report is one error-level log line with outcome "needs_attention",
// which the alert rules in infra/ turn into a notification; a parked message
// is reported once, a dead-letter queue on every run until it is empty.
type DeadLetterWatch struct {
	Parked ParkedReporter
	// DeadLetters is nil when no Service Bus is configured.
	DeadLetters kit.DeadLetterCounter
	Environment string
}

// Run implements the timer.
func (d *DeadLetterWatch) Run(ctx context.Context, _ *azfunc.Timer) error {
	log := azfunc.Logger(ctx)
	var errs []error
	reported, err := d.Parked.SendPending(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	dead := 0
	var facts []teams.Fact
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
	if len(facts) > 0 {
		if err := d.Parked.Post(ctx, teams.Alert{
			Title:    fmt.Sprintf("[%s] %d dead-lettered messages need attention", d.Environment, dead),
			Text:     "Dead-lettered messages exhausted their retries. Inspect them, fix the cause and resubmit them.",
			Severity: teams.SeverityError, Facts: facts,
		}); err != nil {
			errs = append(errs, fmt.Errorf("posting the dead-letter report to Teams: %w", err))
		}
	}
	log.Info("dead-letter watch finished", "parked_reported", reported, "dead_lettered", dead)
	return errors.Join(errs...)
}

var _ kit.DeadLetterCounter = (*bus.Local)(nil)
