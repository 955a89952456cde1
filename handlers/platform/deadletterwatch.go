package platform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/teams"
)

// ParkedReporter reports parked messages nobody has been told about, and
// raises alerts once per kind.
type ParkedReporter interface {
	SendPending(ctx context.Context) (int, error)
	Raise(ctx context.Context, n kit.Notice, window time.Duration) (kit.Raised, error)
}

var _ ParkedReporter = (*kit.Alerts)(nil)

// DeadLetterStore keeps the record of dead-lettered messages.
type DeadLetterStore interface {
	KnownDeadLetters(ctx context.Context, topic, subscription string, seqs []int64) (map[int64]bool, error)
	RecordDeadLetter(ctx context.Context, d store.DeadLetterRecord) (*store.DeadLetterRecord, bool, error)
	UnalertedDeadLetters(ctx context.Context, limit int) ([]*store.DeadLetterRecord, error)
	MarkDeadLettersAlerted(ctx context.Context, ids []int64) error
}

// Leaser gives one run at a time a named piece of work.
type Leaser interface {
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

var (
	_ DeadLetterStore = (*store.Store)(nil)
	_ Leaser          = (*store.Store)(nil)
)

// DeadLetterContainer is the blob container dead-lettered bodies are
// archived in.
const DeadLetterContainer = "dead-letters"

// DeadLetterRecorder archives a dead-lettered message's body and records
// the message, once. dead-letter-watch records what it finds; `handler
// replay -dead-letter` records what it replays, if the watch has not yet.
type DeadLetterRecorder struct {
	Records DeadLetterStore
	Archive blob.Store
}

// BodyName is where a dead letter's body is archived in DeadLetterContainer.
func BodyName(d bus.DeadLetter) string {
	return fmt.Sprintf("%s/%s/%020d.body", d.Topic, d.Subscription, d.SequenceNumber)
}

// Record archives the body (once: an archived body is kept as it is) and
// inserts the record (once per topic, subscription and sequence number);
// created says whether this call recorded it. The record is written only
// after the body is archived, so a record always has its body.
func (r *DeadLetterRecorder) Record(ctx context.Context, d bus.DeadLetter) (*store.DeadLetterRecord, bool, error) {
	name := BodyName(d)
	meta := map[string]string{}
	for k, v := range map[string]string{"message_id": d.MessageID, "topic": d.Topic, "subscription": d.Subscription} {
		if v = blobMeta(v); v != "" {
			meta[k] = v
		}
	}
	_, err := r.Archive.Put(ctx, DeadLetterContainer, name, d.Body, &blob.PutOptions{IfNotExists: true, ContentType: d.ContentType, Metadata: meta})
	if err != nil && !errors.Is(err, blob.ErrExists) {
		return nil, false, fmt.Errorf("archiving the body of dead letter %s: %w", d.Ref(), err)
	}
	sum := sha256.Sum256(d.Body)
	rec := store.DeadLetterRecord{
		Topic: d.Topic, Subscription: d.Subscription, SequenceNumber: d.SequenceNumber, MessageID: d.MessageID,
		CorrelationID: d.CorrelationID, Subject: d.Subject, Reason: d.Reason, Description: d.Description,
		DeliveryCount: d.DeliveryCount, BodyRef: DeadLetterContainer + "/" + name, BodySHA256: hex.EncodeToString(sum[:]), BodySize: len(d.Body),
	}
	if !d.EnqueuedAt.IsZero() {
		at := d.EnqueuedAt
		rec.EnqueuedAt = &at
	}
	return r.Records.RecordDeadLetter(ctx, rec)
}

// blobMeta keeps a metadata value to the characters blob metadata takes.
func blobMeta(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= 0x20 && c < 0x7f {
			b.WriteRune(c)
		}
	}
	return strings.TrimSpace(azfunc.Clip(b.String(), 200))
}

// DeadLetterWatch is the dead-letter-watch timer. Each run it reports every
// parked message the background sender has not (Teams was down, the
// process stopped), then, for every dead-letter queue that is not empty,
// one needs_attention line with its depth, and it records each message it
// has not seen before (id, subscription, reason, enqueued time, body
// archived) with one needs_attention line of its own. Cards go out once
// per kind and window: one for a queue that stays non-empty, one for the
// new dead letters of a subscription and reason, listing them with the
// command that replays them; what a window held back is in the next card.
type DeadLetterWatch struct {
	Parked ParkedReporter
	// DeadLetters is nil when no Service Bus is configured.
	DeadLetters kit.DeadLetterCounter
	// Reader peeks the queues; nil when the broker cannot.
	Reader   bus.DeadLetterReader
	Recorder *DeadLetterRecorder
	Records  DeadLetterStore
	Leases   Leaser
	// AlertWindow is how often a kind of alert may be posted (ALERT_REPEAT_MINUTES).
	AlertWindow time.Duration
	// PeekMax bounds the messages read from one queue in one run (default
	// 1000, what a replay by filter looks at). A queue holding more is
	// still reported by its depth every run; its later messages are
	// recorded one by one as the earlier ones are replayed.
	PeekMax     int
	Environment string
}

// leaseTTL bounds one run of a platform timer.
const leaseTTL = 4 * time.Minute

// maxListed bounds the messages one card lists.
const maxListed = 20

// Run implements the timer.
func (d *DeadLetterWatch) Run(ctx context.Context, _ *azfunc.Timer) error {
	log := azfunc.Logger(ctx)
	release, err := hold(ctx, d.Leases, "dead-letter-watch")
	if err != nil {
		return err
	}
	defer release()
	var errs []error
	reported, err := d.Parked.SendPending(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	dead, recorded := 0, 0
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
			replay := fmt.Sprintf("handler replay -dead-letter -topic %s -subscription %s", c.Topic, c.Subscription)
			log.Error("dead-lettered messages need attention", "outcome", "needs_attention",
				"topic", c.Topic, "subscription", c.Subscription, "dead_letter_count", c.Count, "replay", replay)
			if _, err := d.Parked.Raise(ctx, kit.Notice{
				Kind:   "dead-letter-queue/" + c.Topic + "/" + c.Subscription,
				Replay: replay,
				Alert: teams.Alert{
					Title:    fmt.Sprintf("[%s] %d dead-lettered messages on %s/%s", d.Environment, c.Count, c.Topic, c.Subscription),
					Text:     "Dead-lettered messages exhausted their retries. Fix the cause, then replay them (add -dry-run to see which first).",
					Severity: teams.SeverityError,
					Facts:    []teams.Fact{{Name: "Subscription", Value: c.Topic + "/" + c.Subscription}, {Name: "Dead-lettered", Value: strconv.FormatInt(c.Count, 10)}},
				},
			}, d.AlertWindow); err != nil {
				errs = append(errs, err)
			}
			if d.Reader == nil || d.Recorder == nil {
				continue
			}
			n, err := d.recordNew(ctx, c.Topic, c.Subscription)
			recorded += n
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	if d.Records != nil {
		if err := d.alertRecorded(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	log.Info("dead-letter watch finished", "parked_reported", reported, "dead_lettered", dead, "dead_letters_recorded", recorded)
	return errors.Join(errs...)
}

// recordNew records the messages of one dead-letter queue not seen before.
func (d *DeadLetterWatch) recordNew(ctx context.Context, topic, sub string) (int, error) {
	max := d.PeekMax
	if max <= 0 {
		max = 1000
	}
	msgs, err := d.Reader.PeekDeadLetters(ctx, topic, sub, max)
	if err != nil {
		return 0, err
	}
	if len(msgs) == max {
		azfunc.Logger(ctx).Warn("dead-letter queue holds more than one run looks at", "topic", topic, "subscription", sub,
			"looked_at", max, "detail", "the first ones are recorded; replay or purge them and the rest are recorded as they come up")
	}
	seqs := make([]int64, 0, len(msgs))
	for _, m := range msgs {
		seqs = append(seqs, m.SequenceNumber)
	}
	known, err := d.Records.KnownDeadLetters(ctx, topic, sub, seqs)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, m := range msgs {
		if known[m.SequenceNumber] {
			continue
		}
		rec, created, err := d.Recorder.Record(ctx, m)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !created {
			continue
		}
		n++
		azfunc.Logger(ctx).Error("dead-lettered message recorded", "outcome", "needs_attention",
			"dead_letter_id", rec.ID, "topic", topic, "subscription", sub, "sequence_number", rec.SequenceNumber,
			"dead_lettered_message_id", rec.MessageID, "correlation_id", rec.CorrelationID, "reason", rec.Reason,
			"description", azfunc.Clip(rec.Description, 300), "delivery_count", rec.DeliveryCount,
			"enqueued_at", m.EnqueuedAt, "body_ref", rec.BodyRef, "replay", replayCommand(rec.ID))
	}
	return n, errors.Join(errs...)
}

// shellQuote makes v one word of a POSIX shell command line: as it is
// when it holds only safe characters, else in single quotes.
func shellQuote(v string) string {
	if v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:") == "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

func replayCommand(id int64) string { return fmt.Sprintf("handler replay -dead-letter %d", id) }

// alertRecorded posts one card per kind (subscription and reason) for the
// recorded dead letters nobody was told about, and marks them told; a
// kind whose window has not passed keeps its messages for the next card.
func (d *DeadLetterWatch) alertRecorded(ctx context.Context) error {
	open, err := d.Records.UnalertedDeadLetters(ctx, 500)
	if err != nil {
		return err
	}
	type group struct {
		topic, sub, reason string
		recs               []*store.DeadLetterRecord
	}
	var order []string
	groups := map[string]*group{}
	for _, r := range open {
		kind := "dead-letter/" + r.Topic + "/" + r.Subscription + "/" + r.Reason
		g, ok := groups[kind]
		if !ok {
			g = &group{topic: r.Topic, sub: r.Subscription, reason: r.Reason}
			groups[kind] = g
			order = append(order, kind)
		}
		g.recs = append(g.recs, r)
	}
	var errs []error
	for _, kind := range order {
		g := groups[kind]
		n := kit.Notice{Kind: kind, Alert: teams.Alert{
			Title: fmt.Sprintf("[%s] %d new dead-lettered messages on %s/%s", d.Environment, len(g.recs), g.topic, g.sub),
			Text: fmt.Sprintf("Reason: %s. Fix the cause, then replay them: `handler replay -dead-letter <id>`, "+
				"or all of this subscription and reason at once with the replay command below (add -dry-run to see which).", g.reason),
			Severity: teams.SeverityError,
		}}
		if len(g.recs) == 1 {
			r := g.recs[0]
			n.Alert.Title = fmt.Sprintf("[%s] message dead-lettered on %s/%s", d.Environment, g.topic, g.sub)
			n.CorrelationID, n.Replay = r.CorrelationID, replayCommand(r.ID)
			n.Alert.Facts = []teams.Fact{
				{Name: "Dead letter id", Value: strconv.FormatInt(r.ID, 10)},
				{Name: "Message id", Value: r.MessageID},
				{Name: "Reason", Value: r.Reason},
				{Name: "Description", Value: r.Description},
				{Name: "Body", Value: r.BodyRef},
			}
		} else {
			n.Replay = fmt.Sprintf("handler replay -dead-letter -topic %s -subscription %s -reason %s", g.topic, g.sub, shellQuote(g.reason))
			for i, r := range g.recs {
				if i == maxListed {
					n.Alert.Facts = append(n.Alert.Facts, teams.Fact{Name: "...", Value: fmt.Sprintf("%d more", len(g.recs)-maxListed)})
					break
				}
				n.Alert.Facts = append(n.Alert.Facts, teams.Fact{Name: fmt.Sprintf("#%d %s", r.ID, r.MessageID),
					Value: fmt.Sprintf("correlation %s: %s (%s)", r.CorrelationID, azfunc.Clip(r.Description, 120), replayCommand(r.ID))})
			}
		}
		res, err := d.Parked.Raise(ctx, n, d.AlertWindow)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if res == kit.HeldBack {
			continue
		}
		ids := make([]int64, 0, len(g.recs))
		for _, r := range g.recs {
			ids = append(ids, r.ID)
		}
		if err := d.Records.MarkDeadLettersAlerted(ctx, ids); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// hold takes the lease of a singleton timer for this invocation; a lease
// held elsewhere (a run that overlaps, or one that hung) fails this run,
// so that the watchdog sees a timer that does no work.
func hold(ctx context.Context, l Leaser, name string) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	holder := azfunc.Info(ctx).ID
	if holder == "" {
		holder = name + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	ok, err := l.AcquireLease(ctx, name, holder, leaseTTL)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%s: another run holds its lease (an overlapping or hung run); this run did nothing", name)
	}
	return func() { _ = l.ReleaseLease(context.WithoutCancel(ctx), name, holder) }, nil
}
