package platform

import (
	"context"
	"fmt"
	"strconv"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/teams"
)

// AlertPoster sends an alert to people (the Teams client).
type AlertPoster interface {
	Post(ctx context.Context, a teams.Alert) error
}

var _ AlertPoster = (*teams.Client)(nil)

// ParkedAlerts tells Teams when a message is parked. The card carries what
// an operator needs to act (function, message, order, reason, the replay
// command), never the payload: payloads may hold personal data.
type ParkedAlerts struct {
	Teams       AlertPoster
	Environment string
}

var _ azfunc.Alerter = (*ParkedAlerts)(nil)

// AlertParked implements azfunc.Alerter.
func (a *ParkedAlerts) AlertParked(ctx context.Context, p azfunc.Parked, r azfunc.ParkResult) error {
	return a.Teams.Post(ctx, teams.Alert{
		Title:    fmt.Sprintf("[%s] message parked: %s", a.Environment, p.Function),
		Text:     "A message failed in a way retrying cannot fix. Fix the cause, then replay it.",
		Severity: teams.SeverityError,
		Facts: []teams.Fact{
			{Name: "Function", Value: p.Function},
			{Name: "Order / document", Value: p.CorrelationID},
			{Name: "Message id", Value: p.MessageID},
			{Name: "Reason", Value: p.Reason},
			{Name: "Parked id", Value: strconv.FormatInt(r.ID, 10)},
			{Name: "Replay", Value: fmt.Sprintf("handler replay %d", r.ID)},
			{Name: "Invocation", Value: p.InvocationID},
		},
	})
}
