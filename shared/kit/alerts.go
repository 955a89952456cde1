package kit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/teams"
)

// Alerts tells people what needs them. Parked messages are reported by a
// background sender that the parking wakes (and by dead-letter-watch, which
// calls SendPending on its schedule): it claims the messages nobody has
// been told about, writes one needs_attention error line per message, posts
// one Teams card (the message's details, or a summary when several wait),
// and marks them reported. A card that cannot be sent leaves them claimed
// until the claim runs out, and the next run reports them. So parking
// never waits for Teams, whose limit is a few cards a second, and a burst
// of parking becomes a few cards, not hundreds.
type Alerts struct {
	app  *App
	kick chan struct{}
}

// Kick wakes the background sender; it never blocks.
func (a *Alerts) Kick() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// debounce lets a burst of parking gather into one card.
const debounce = 250 * time.Millisecond

func (a *Alerts) run(ctx context.Context) {
	ctx = azfunc.WithLogger(ctx, a.app.log.With("function", "alert-sender"))
	backoff := time.Second
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.kick:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(debounce):
		}
		if _, err := a.SendPending(ctx); err != nil {
			a.app.log.Warn("reporting parked messages failed; dead-letter-watch retries", "error", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Minute)
			a.Kick()
			continue
		}
		backoff = time.Second
	}
}

// maxPerCard bounds the parked messages one card lists.
const maxPerCard = 20

// SendPending reports every parked message nobody has been told about:
// one needs_attention line each, and cards of at most 20.
func (a *Alerts) SendPending(ctx context.Context) (reported int, err error) {
	s := a.app.store
	if s == nil {
		return 0, errors.New("alerts: DATABASE_URL is not set")
	}
	for {
		batch, err := s.ClaimUnalerted(ctx, maxPerCard, time.Minute)
		if err != nil {
			return reported, err
		}
		if len(batch) == 0 {
			return reported, nil
		}
		ids := make([]int64, 0, len(batch))
		for _, p := range batch {
			ids = append(ids, p.ID)
			azfunc.Logger(ctx).Error("parked message needs attention", "outcome", "needs_attention",
				"parked_id", p.ID, "parked_function", p.Function, "parked_message_id", p.MessageID,
				"parked_correlation_id", p.CorrelationID, "reason", p.Reason, "times_seen", p.TimesSeen,
				"first_seen", p.FirstSeen, "replay", fmt.Sprintf("handler replay %d", p.ID))
		}
		if a.app.teams != nil {
			if err := a.Post(ctx, a.parkedCard(batch)); err != nil {
				_ = s.ReleaseAlertClaim(ctx, ids)
				return reported, fmt.Errorf("posting %d parked messages to Teams: %w", len(batch), err)
			}
		}
		if err := s.MarkAlerted(ctx, ids); err != nil {
			return reported, err
		}
		reported += len(batch)
	}
}

// Post sends an alert to Teams (nothing without Teams; the caller logs).
// Like a log line, a card never carries a configured secret, whatever the
// partner data it quotes.
func (a *Alerts) Post(ctx context.Context, al teams.Alert) error {
	if a.app.teams == nil {
		return nil
	}
	return a.app.teams.Post(ctx, a.redacted(al))
}

func (a *Alerts) redacted(al teams.Alert) teams.Alert {
	r := a.app.logging.Redact
	al.Title, al.Text = r(al.Title), r(al.Text)
	facts := make([]teams.Fact, len(al.Facts))
	for i, f := range al.Facts {
		facts[i] = teams.Fact{Name: r(f.Name), Value: r(f.Value)}
	}
	al.Facts = facts
	return al
}

// Environment is the environment alerts are titled with.
func (a *Alerts) Environment() string { return a.app.value(a.app.settings["ENVIRONMENT"]) }

// parkedCard describes parked messages for people: function, order or
// document, reason and the replay command, never the payload (payloads may
// hold personal data).
func (a *Alerts) parkedCard(batch []*store.ParkedMessage) teams.Alert {
	env := a.Environment()
	if len(batch) == 1 {
		p := batch[0]
		return teams.Alert{
			Title:    fmt.Sprintf("[%s] message parked: %s", env, p.Function),
			Text:     "A message failed in a way retrying cannot fix. Fix the cause, then replay it.",
			Severity: teams.SeverityError,
			Facts: []teams.Fact{
				{Name: "Function", Value: p.Function},
				{Name: "Order / document", Value: p.CorrelationID},
				{Name: "Message id", Value: p.MessageID},
				{Name: "Reason", Value: p.Reason},
				{Name: "Parked id", Value: strconv.FormatInt(p.ID, 10)},
				{Name: "Replay", Value: fmt.Sprintf("handler replay %d", p.ID)},
				{Name: "Invocation", Value: p.InvocationID},
			},
		}
	}
	facts := make([]teams.Fact, 0, len(batch))
	for _, p := range batch {
		facts = append(facts, teams.Fact{Name: fmt.Sprintf("parked #%d %s", p.ID, p.Function),
			Value: fmt.Sprintf("%s: %s (handler replay %d)", p.CorrelationID, p.Reason, p.ID)})
	}
	return teams.Alert{
		Title:    fmt.Sprintf("[%s] %d messages parked", env, len(batch)),
		Text:     "These messages failed in a way retrying cannot fix. Fix the cause, then replay them.",
		Severity: teams.SeverityError, Facts: facts,
	}
}

// Notice is an alert of one kind. Kinds group alerts that say the same
// thing: the dead letters of one subscription for one reason, one timer
// that stopped, so that people get one card for it, not one per run.
type Notice struct {
	// Kind is the grouping key ("dead-letter/int-prod-shipped/oms/MaxDeliveryCountExceeded").
	Kind  string
	Alert teams.Alert
	// CorrelationID is the order, document or message the alert is about.
	CorrelationID string
	// Replay is the command that re-drives what the alert is about.
	Replay string
}

// Raised says what Raise did.
type Raised int

// What Raise did with a notice.
const (
	// Posted: the card went to Teams.
	Posted Raised = iota
	// HeldBack: a card of the kind went out within the window; this one
	// was held back (and counted).
	HeldBack
	// LogsOnly: no Teams is configured; the caller's log line is the alert.
	LogsOnly
)

// Raise posts n as a Teams card, at most once per kind within window:
// within it the alert is held back (and counted; the next card of the
// kind says how many were). The kind is claimed in the database before
// the post and released when the post fails, so two instances never post
// one kind twice in a window and a failed post is tried by the next
// caller. Cards carry the correlation id and the replay command, are
// redacted like log lines, cut under 20 KB and sent at most 4 a second
// (the Teams client).
func (a *Alerts) Raise(ctx context.Context, n Notice, window time.Duration) (Raised, error) {
	if n.Kind == "" {
		return HeldBack, errors.New("alerts: a notice needs a kind")
	}
	if a.app.teams == nil {
		return LogsOnly, nil
	}
	al := n.Alert
	al.Facts = append([]teams.Fact(nil), al.Facts...)
	if n.CorrelationID != "" && !hasFact(al.Facts, "Correlation id") {
		al.Facts = append(al.Facts, teams.Fact{Name: "Correlation id", Value: n.CorrelationID})
	}
	if n.Replay != "" && !hasFact(al.Facts, "Replay") {
		al.Facts = append(al.Facts, teams.Fact{Name: "Replay", Value: n.Replay})
	}
	s := a.app.store
	if s == nil {
		if err := a.Post(ctx, al); err != nil {
			return HeldBack, err
		}
		return Posted, nil
	}
	claim, err := s.ClaimAlertKind(ctx, n.Kind, window)
	if err != nil {
		return HeldBack, err
	}
	if !claim.Claimed {
		return HeldBack, nil
	}
	if claim.HeldBack > 0 {
		al.Facts = append(al.Facts, teams.Fact{Name: "Held back", Value: fmt.Sprintf("%d alerts of this kind since the last card", claim.HeldBack)})
	}
	if err := a.Post(ctx, al); err != nil {
		return HeldBack, errors.Join(fmt.Errorf("posting the %s alert: %w", n.Kind, err), s.ReleaseAlertKind(ctx, n.Kind, claim))
	}
	return Posted, nil
}

func hasFact(facts []teams.Fact, name string) bool {
	for _, f := range facts {
		if f.Name == name {
			return true
		}
	}
	return false
}
