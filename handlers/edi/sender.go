package edi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/audit"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/nav"
	"github.com/popsockets/integration/shared/sftpbox"
	"github.com/popsockets/integration/shared/store"
)

// BoxNAVSOAP is the "box" of 945s that NAV takes over SOAP.
const BoxNAVSOAP = "nav-soap"

// ShipmentPoster posts a 945 to NAV over SOAP.
type ShipmentPoster interface {
	PostShipment(ctx context.Context, p nav.ShipmentPosting) error
}

var _ ShipmentPoster = (*nav.Client)(nil)

// sender sends queued outbound documents: their rows (with the bytes and
// the control numbers) committed first, the file written to the partner
// after, under a temporary name then renamed, and the row marked sent. A
// crash between the two sends the same bytes under the same name again,
// which Upload accepts as a repeat.
type sender struct {
	store    *store.Store
	blobs    blob.Store
	partners *Partners
	now      func() time.Time
}

type outgoing struct {
	id                               int64
	dir, name, docType, format, part string
	orderID                          string
	content                          []byte
}

// sendLease bounds one upload; a sender that dies leaves the document to
// the next once it runs out.
const sendLease = 2 * time.Minute

// queued claims what is queued for box (only ids, when given): a claimed
// document is not taken by another sender until its claim runs out, so two
// senders never upload one file at once.
func (s *sender) queued(ctx context.Context, box string, ids ...int64) ([]outgoing, error) {
	if ids == nil {
		ids = []int64{}
	}
	rows, err := s.store.Pool.Query(ctx, `
		UPDATE edi_documents SET send_claimed_until = now() + make_interval(secs => $3)
		 WHERE id IN (SELECT id FROM edi_documents
		               WHERE direction = 'out' AND box = $1 AND status = 'queued'
		                 AND (send_claimed_until IS NULL OR send_claimed_until < now())
		                 AND (cardinality($2::bigint[]) = 0 OR id = ANY($2))
		               ORDER BY id LIMIT 200 FOR UPDATE SKIP LOCKED)
		RETURNING id, remote_dir, file_name, doc_type, format, partner, order_id, content`, box, ids, sendLease.Seconds())
	if err != nil {
		return nil, fmt.Errorf("reading queued documents for %s: %w", box, err)
	}
	defer rows.Close()
	var out []outgoing
	for rows.Next() {
		var o outgoing
		if err := rows.Scan(&o.id, &o.dir, &o.name, &o.docType, &o.format, &o.part, &o.orderID, &o.content); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// flush uploads what is queued for box over sess (only ids, when given).
func (s *sender) flush(ctx context.Context, sess *sftpbox.Session, box string, ids ...int64) (int, error) {
	docs, err := s.queued(ctx, box, ids...)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, d := range docs {
		if err := sess.Upload(ctx, d.dir, d.name, d.content); err != nil {
			s.unclaim(ctx, d.id)
			errs = append(errs, fmt.Errorf("sending %s %s: %w", d.docType, d.name, err))
			continue
		}
		if err := s.markSent(ctx, box, d); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// flushSOAP posts the 945s queued for NAV's SOAP service.
func (s *sender) flushSOAP(ctx context.Context, poster ShipmentPoster, ids ...int64) (int, error) {
	docs, err := s.queued(ctx, BoxNAVSOAP, ids...)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, d := range docs {
		var p nav.ShipmentPosting
		if err := json.Unmarshal(d.content, &p); err != nil {
			errs = append(errs, fmt.Errorf("945 %s is not a shipment posting: %w", d.name, err))
			continue
		}
		if err := poster.PostShipment(ctx, p); err != nil {
			s.unclaim(ctx, d.id)
			errs = append(errs, fmt.Errorf("posting 945 %s to NAV: %w", d.name, err))
			continue
		}
		if err := s.markSent(ctx, BoxNAVSOAP, d); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// unclaim gives a document back after a failed send.
func (s *sender) unclaim(ctx context.Context, id int64) {
	_, _ = s.store.Pool.Exec(context.WithoutCancel(ctx), `UPDATE edi_documents SET send_claimed_until = NULL WHERE id = $1`, id)
}

func (s *sender) markSent(ctx context.Context, box string, d outgoing) error {
	name := fmt.Sprintf("outbound/%s/%s/%s", d.part, s.now().UTC().Format("2006-01-02"), safeName(d.name))
	archive := ""
	if s.blobs != nil {
		if _, err := s.blobs.Put(ctx, ArchiveContainer, name, d.content, &blob.PutOptions{IfNotExists: true}); err == nil || errors.Is(err, blob.ErrExists) {
			archive = ArchiveContainer + "/" + name
			audit.Archived(ctx, archive)
		} else {
			azfunc.Logger(ctx).Warn("archiving a sent document failed", "file", d.name, "error", err)
		}
	}
	ackHours := s.partners.Defaults.AckDueHours
	if pt, ok := s.partners.ByID(d.part); ok {
		ackHours = pt.AckDueHours
	}
	// Only X12 documents to a trading partner other than 997s await a 997
	// (a 997 is never acknowledged; for RSX, SPS's translator owns the
	// retailer's 997; NAV's file drop is ours and promises none).
	awaitAck := d.format == "x12" && d.docType != "997" && box == "sps"
	now := s.now().UTC()
	var ackDue *time.Time
	if awaitAck {
		v := now.Add(time.Duration(ackHours) * time.Hour)
		ackDue = &v
	}
	return s.store.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE edi_documents SET status = 'sent', sent_at = $3, updated_at = now(),
			       archive_path = CASE WHEN $2 = '' THEN archive_path ELSE $2 END, ack_due_at = $4
			 WHERE id = $1 AND status = 'queued'`, d.id, archive, now, ackDue)
		if err != nil {
			return fmt.Errorf("marking %s sent: %w", d.name, err)
		}
		if tag.RowsAffected() == 0 || d.orderID == "" {
			return nil
		}
		state := map[string]string{"856": StateASNSent, "945": StateShipAdviceSent}[d.docType]
		if state == "" {
			return nil
		}
		return store.RecordJourney(ctx, tx, store.JourneyStep{OrderID: d.orderID, State: state, System: "integration",
			Function: azfunc.Info(ctx).Function, MessageID: fmt.Sprintf("edi-document/%d", d.id),
			Detail: fmt.Sprintf("%s %s sent to %s (%s)", d.docType, d.name, box, d.dir)})
	})
}
