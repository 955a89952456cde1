package edi

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

// Deadline actions.
const (
	ActWarn     = "warn"     // due soon: tell people before it is late
	ActLate     = "late"     // the 856 was not sent in time, or the 997 is overdue
	ActRejected = "rejected" // the partner's 997 rejected it
)

// DeadlineAction is what the deadline engine decided for one document.
type DeadlineAction struct {
	Doc    *Document
	Action string
	// What is due: "856 send" or "997".
	What string
	Due  time.Time
}

// Deadlines decides, for the open outbound documents, which deadlines to
// announce: a warning once the deadline is within warnBefore (once), a late
// alert once it has passed (once), and one alert for a rejected document.
// Per document and partner: the 856 is due a configured number of minutes
// after the ship event; an X12 document's 997 a configured number of hours
// after it was sent. It is pure: the caller records what it announced.
func Deadlines(now time.Time, docs []*Document, warnBefore func(partner string) time.Duration) []DeadlineAction {
	var out []DeadlineAction
	for _, d := range docs {
		if d.AlertedAt != nil {
			continue
		}
		if d.Status == StatusRejected {
			out = append(out, DeadlineAction{Doc: d, Action: ActRejected, What: "997"})
			continue
		}
		var due *time.Time
		what := ""
		switch {
		case d.Status == StatusQueued && d.DueAt != nil:
			due, what = d.DueAt, "send"
		case (d.Status == StatusSent || d.Status == StatusOverdue) && d.AckDueAt != nil && d.AckedAt == nil:
			due, what = d.AckDueAt, "997"
		default:
			continue
		}
		switch {
		case !now.Before(*due):
			out = append(out, DeadlineAction{Doc: d, Action: ActLate, What: what, Due: *due})
		case d.WarnedAt == nil && !now.Before(due.Add(-warnBefore(d.Partner))):
			out = append(out, DeadlineAction{Doc: d, Action: ActWarn, What: what, Due: *due})
		}
	}
	return out
}

// DeadlinesFn is edi-deadlines: it sends what is still queued (the 856s
// and 945s an earlier send could not deliver, 997s), then runs the deadline
// engine and alerts people, each deadline once.
type DeadlinesFn struct {
	Store    *store.Store
	Partners *Partners
	Sender   *sender
	SPS, NAV Box
	NAVSOAP  ShipmentPoster
	Alerts   Alerter
	Now      func() time.Time
}

// Handle runs once.
func (f *DeadlinesFn) Handle(ctx context.Context, _ *azfunc.Timer) error {
	inv := invocation(ctx, FnEDIDeadlines)
	ok, err := f.Store.AcquireLease(ctx, "edi-deadlines", inv.ID, pollLease)
	if err != nil || !ok {
		return err
	}
	defer func() { _ = f.Store.ReleaseLease(context.WithoutCancel(ctx), "edi-deadlines", inv.ID) }()
	sent := 0
	for _, b := range []struct {
		name string
		box  Box
	}{{"sps", f.SPS}, {"nav", f.NAV}} {
		sess, err := b.box.Open(ctx)
		if err != nil {
			azfunc.Logger(ctx).Warn("cannot send queued documents now", "box", b.name, "error", err)
			continue
		}
		n, err := f.Sender.flush(ctx, sess, b.name)
		sess.Close()
		sent += n
		if err != nil {
			azfunc.Logger(ctx).Warn("sending queued documents failed", "box", b.name, "error", err)
		}
	}
	if f.NAVSOAP != nil {
		n, err := f.Sender.flushSOAP(ctx, f.NAVSOAP)
		sent += n
		if err != nil {
			azfunc.Logger(ctx).Warn("posting queued 945s failed", "error", err)
		}
	}
	docs, err := queryDocuments(ctx, f.Store.Pool, `direction = 'out' AND alerted_at IS NULL AND status IN ('queued', 'sent', 'overdue', 'rejected')`)
	if err != nil {
		return err
	}
	acts := Deadlines(f.Now(), docs, func(partner string) time.Duration {
		if pt, ok := f.Partners.ByID(partner); ok {
			return time.Duration(pt.WarnBeforeMinutes) * time.Minute
		}
		return time.Duration(f.Partners.Defaults.WarnBeforeMinutes) * time.Minute
	})
	var errs []error
	for _, a := range acts {
		if err := f.announce(ctx, a); err != nil {
			errs = append(errs, err)
		}
	}
	azfunc.Note(ctx, "event", "edi deadlines checked", "sent", sent, "open_documents", len(docs), "announced", len(acts))
	return errors.Join(errs...)
}

func (f *DeadlinesFn) announce(ctx context.Context, a DeadlineAction) error {
	d := a.Doc
	sev, title, text := teams.SeverityWarning, "", ""
	switch a.Action {
	case ActWarn:
		title = fmt.Sprintf("%s %s for PO %s due in %s", d.DocType, a.What, d.PONumber, a.Due.Sub(f.Now()).Round(time.Minute))
		text = "Not late yet. Retailers fine ASNs that arrive after the truck: check why it has not gone."
	case ActLate:
		sev = teams.SeverityError
		title = fmt.Sprintf("%s %s for PO %s is late (due %s)", d.DocType, a.What, d.PONumber, a.Due.UTC().Format(time.RFC3339))
		text = "The deadline passed. `handler edi status` lists what is due, late, accepted and rejected."
	case ActRejected:
		sev = teams.SeverityError
		title = fmt.Sprintf("%s %s for PO %s was rejected by the partner's 997", d.DocType, d.FileName, d.PONumber)
		text = d.Reason
	}
	azfunc.Logger(ctx).Warn("edi deadline", "outcome", "needs_attention", "action", a.Action, "document_id", d.ID, "doc_type", d.DocType,
		"partner", d.Partner, "po_number", d.PONumber, "what", a.What, "due", a.Due)
	if err := f.Alerts.Post(ctx, teams.Alert{Title: fmt.Sprintf("[%s] %s", f.Alerts.Environment(), title), Text: text, Severity: sev,
		Facts: []teams.Fact{{Name: "Document", Value: strconv.FormatInt(d.ID, 10) + " " + d.FileName}, {Name: "Partner", Value: d.Partner},
			{Name: "Order", Value: d.OrderID}, {Name: "Interchange", Value: d.Interchange}, {Name: "Trace", Value: "handler trace " + d.PONumber}}}); err != nil {
		return fmt.Errorf("alerting about document %d: %w", d.ID, err)
	}
	var err error
	switch a.Action {
	case ActWarn:
		_, err = f.Store.Pool.Exec(ctx, `UPDATE edi_documents SET warned_at = now() WHERE id = $1`, d.ID)
	case ActLate:
		_, err = f.Store.Pool.Exec(ctx, `UPDATE edi_documents SET alerted_at = now(), warned_at = COALESCE(warned_at, now()),
			status = CASE WHEN status = 'sent' THEN 'overdue' ELSE status END, updated_at = now() WHERE id = $1`, d.ID)
	default:
		_, err = f.Store.Pool.Exec(ctx, `UPDATE edi_documents SET alerted_at = now() WHERE id = $1`, d.ID)
	}
	return err
}
