package edi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/rsx"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/x12"
)

// Topics and events of the flow.
const (
	TopicEDIInbound = "edi-inbound"
	EventPOReceived = "edi.po.received"
)

// Actions a PO asks of NAV.
const (
	ActionCreate  = "create"
	ActionCancel  = "cancel"
	ActionReplace = "replace"
)

// InboundPO is the payload of an edi-inbound message.
type InboundPO struct {
	DocumentID int64  `json:"document_id"`
	Action     string `json:"action"`
	Revision   int    `json:"revision"`
	PO         PO     `json:"po"`
}

// inbound decides what SPS's files (850s in RSX or X12, 997s for what we
// sent) and NAV's (940s, 997s) cause.
type inbound struct {
	box      string
	store    *store.Store
	partners *Partners
	ackDir   string // where this box's 997s go
	now      func() time.Time
	// orders handles the warehouse orders of an X12 file (NAV's box).
	orders func(ctx context.Context, tx pgx.Tx, docID int64, ix *x12.Interchange, g *x12.Group, t *x12.Transaction) ([]queued, error)
}

func (in *inbound) decide(ctx context.Context, name string, data []byte) (*decided, error) {
	if rsx.IsXML(data) {
		return in.decideRSX(name, data), nil
	}
	return in.decideX12(ctx, name, data)
}

func (in *inbound) decideRSX(name string, data []byte) *decided {
	orders, err := rsx.ParseOrders(data)
	d := &decided{doc: &Document{DocType: "850", Format: "rsx", Status: StatusReceived}}
	if orders != nil {
		d.doc.Format = orders.Dialect
		if len(orders.Orders) > 0 {
			d.doc.Partner = in.partnerOf(orders.Orders[0].TradingPartnerID)
			d.doc.PONumber = orders.Orders[0].PONumber
			d.doc.Interchange = orders.Orders[0].Control.Interchange
		}
	}
	if err != nil {
		d.park = "the RSX file cannot be read: " + err.Error()
		return d
	}
	d.apply = func(ctx context.Context, tx pgx.Tx, docID int64) ([]queued, error) {
		var out []queued
		var notes []string
		for _, o := range orders.Orders {
			po := fromRSX(o, orders.Dialect, in.partnerOf(o.TradingPartnerID))
			q, note, err := in.recordPO(ctx, tx, docID, po)
			if err != nil {
				return nil, err
			}
			out = append(out, q...)
			if note != "" {
				notes = append(notes, note)
			}
		}
		return out, in.note(ctx, tx, docID, notes)
	}
	return d
}

func (in *inbound) partnerOf(tradingPartnerID string) string {
	if pt, ok := in.partners.ByTradingPartnerID(tradingPartnerID); ok {
		return pt.ID
	}
	if len(tradingPartnerID) >= 3 {
		return tradingPartnerID[:3]
	}
	return "unknown"
}

func (in *inbound) note(ctx context.Context, tx pgx.Tx, docID int64, notes []string) error {
	if len(notes) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE edi_documents SET reason = $2 WHERE id = $1`, docID, store.Text(strings.Join(notes, "; "), 4000))
	return err
}

func (in *inbound) decideX12(ctx context.Context, name string, data []byte) (*decided, error) {
	doc := x12.ParseBytes(data)
	rep := x12.Validate(doc)
	d := &decided{doc: &Document{DocType: "x12", Format: "x12", Status: StatusReceived}}
	if len(doc.Interchanges) == 0 || doc.Interchanges[0].ISA.IsZero() {
		d.park = "the file is neither RSX XML nor an X12 interchange"
		if errs := rep.All(); len(errs) > 0 {
			d.park += ": " + errs[0].Text()
		}
		return d, nil
	}
	ix := doc.Interchanges[0]
	ir := rep.Interchanges[0]
	d.doc.ISASender, d.doc.ISAReceiver, d.doc.Interchange = strings.TrimSpace(ir.SenderID), strings.TrimSpace(ir.ReceiverID), ir.Control
	if pt, ok := in.partners.ByISA(ir.SenderID); ok {
		d.doc.Partner = pt.ID
	} else if in.box == "nav" {
		d.doc.Partner = "nav" // NAV's own file drop, not a trading partner
	}
	var types []string
	for _, g := range ix.Groups {
		for _, t := range g.Sets {
			if !containsString(types, t.ID()) {
				types = append(types, t.ID())
			}
		}
	}
	d.doc.DocType = strings.Join(types, ",")
	if d.doc.DocType == "" {
		d.doc.DocType = "x12"
	}
	if len(ix.Groups) > 0 {
		d.doc.FunctionalID, d.doc.GroupControl = ix.Groups[0].FunctionalID(), ix.Groups[0].Control()
	}
	// A partner never reuses an interchange control number: a second file
	// with one already received is reported and not processed.
	var prior int64
	err := in.store.Pool.QueryRow(ctx, `SELECT id FROM edi_documents WHERE direction = 'in' AND box = $1 AND isa_sender = $2 AND interchange = $3 LIMIT 1`,
		in.box, d.doc.ISASender, d.doc.Interchange).Scan(&prior)
	switch {
	case err == nil:
		d.doc.Status = StatusDuplicate
		d.park = fmt.Sprintf("duplicate interchange: %s already sent interchange control number %s (document %d); not processed", d.doc.ISASender, d.doc.Interchange, prior)
		// It is still acknowledged, as every group received is: a partner
		// that resends a file often never had our first 997.
		d.apply = func(ctx context.Context, tx pgx.Tx, docID int64) ([]queued, error) {
			return nil, in.queueAcks(ctx, tx, docID, rep, d.doc.Partner)
		}
		return d, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, err
	}
	var problems []string
	for _, e := range rep.All() {
		if e.Severity >= x12.SeverityError {
			problems = append(problems, e.Place()+": "+e.Text())
		}
	}
	rejected := !rep.Valid()
	d.apply = func(ctx context.Context, tx pgx.Tx, docID int64) ([]queued, error) {
		if err := in.queueAcks(ctx, tx, docID, rep, d.doc.Partner); err != nil {
			return nil, err
		}
		var out []queued
		var notes []string
		for gi, g := range ix.Groups {
			gr := ir.Groups[gi]
			for si, t := range g.Sets {
				if gr.Sets[si].Status == "R" {
					notes = append(notes, fmt.Sprintf("set %s %s rejected (997 sent)", t.ID(), t.Control()))
					continue
				}
				switch t.ID() {
				case "997":
					ack, err := x12.ReadFunctionalAck(t)
					if err != nil {
						notes = append(notes, err.Error())
						continue
					}
					n, err := reconcile(ctx, tx, d.doc.ISASender, ack)
					if err != nil {
						return nil, err
					}
					notes = append(notes, fmt.Sprintf("997 for %s group %s: %s, %d document(s) updated", ack.FunctionalID, ack.GroupControl, ack.Status, n))
				case "850":
					p, err := x12.Read850(t)
					if err != nil {
						notes = append(notes, err.Error())
						continue
					}
					po := fromX12(p, d.doc.Partner, ir.Control, g.Control(), t.Control())
					q, note, err := in.recordPO(ctx, tx, docID, po)
					if err != nil {
						return nil, err
					}
					out = append(out, q...)
					if note != "" {
						notes = append(notes, note)
					}
					if _, err := tx.Exec(ctx, `UPDATE edi_documents SET po_number = $2 WHERE id = $1 AND po_number = ''`, docID, po.Number); err != nil {
						return nil, err
					}
				case "940":
					if in.orders == nil {
						notes = append(notes, "a 940 is not expected from "+in.box)
						continue
					}
					q, err := in.orders(ctx, tx, docID, ix, g, t)
					if err != nil {
						var np notProcessed
						if errors.As(err, &np) {
							// Recorded and acknowledged, but not acted on: parked for people.
							notes = append(notes, np.reason)
							if d.park != "" {
								d.park += "; "
							}
							d.park += np.reason
							continue
						}
						return nil, err
					}
					out = append(out, q...)
				default:
					notes = append(notes, fmt.Sprintf("set %s %s is not handled here", t.ID(), t.Control()))
				}
			}
		}
		return out, in.note(ctx, tx, docID, notes)
	}
	if rejected {
		// Recorded and acknowledged (997 with AK3/AK4/AK5 detail); what
		// passed is still processed; people are told about the rest.
		d.park = "the X12 file has errors (the 997 says which): " + clip(strings.Join(problems, "; "), 1500)
	}
	return d, nil
}

// notProcessed is a set that is recorded but not acted on, with why.
type notProcessed struct{ reason string }

func (n notProcessed) Error() string { return n.reason }

// queueAcks builds the 997s for every received group (with AK3/AK4/AK5
// detail for what failed) and queues them for the box, their control
// numbers taken in this transaction.
func (in *inbound) queueAcks(ctx context.Context, tx pgx.Tx, docID int64, rep *x12.Report, partner string) error {
	nums := &txNumbers{tx: tx}
	var buf bytes.Buffer
	sent, err := x12.BuildAcks(ctx, &buf, rep, x12.AckOptions{Numbers: nums, Time: in.now(), Suffix: "\n"})
	if err != nil && len(sent) == 0 {
		return fmt.Errorf("building 997s: %w", err)
	}
	if len(sent) == 0 {
		return nil
	}
	first := sent[0]
	ack := &Document{Direction: "out", Box: in.box, Partner: partner, DocType: "997", Format: "x12", RemoteDir: in.ackDir,
		FileName: fmt.Sprintf("FA%s-%d.edi", first.Interchange, docID), Content: buf.Bytes(), SHA256: sha(buf.Bytes()), Size: int64(buf.Len()),
		Interchange: first.Interchange, Status: StatusQueued, Reason: fmt.Sprintf("acknowledges document %d", docID)}
	if len(first.Groups) > 0 {
		ack.FunctionalID, ack.GroupControl = "FA", first.Groups[0].Control
		for _, g := range first.Groups {
			for _, s := range g.Sets {
				ack.SetControls = append(ack.SetControls, s.Control)
			}
		}
	}
	if ix := rep.Interchanges; len(ix) > 0 {
		ack.ISASender, ack.ISAReceiver = strings.TrimSpace(ix[0].ReceiverID), strings.TrimSpace(ix[0].SenderID)
	}
	if _, err := insertDocument(ctx, tx, ack); err != nil {
		return err
	}
	return nums.attach(ctx, ack.ID)
}

// recordPO records one PO by trading partner and PO number: a new PO (or
// a replace of an unknown one) is created, an original seen before is a
// duplicate (never a second order), a cancel or a replace of a known PO
// asks NAV to act. It returns the messages to publish and a note for the
// document.
func (in *inbound) recordPO(ctx context.Context, tx pgx.Tx, docID int64, po PO) ([]queued, string, error) {
	existing, err := getEDIOrder(ctx, tx, `partner = $1 AND po_number = $2 FOR UPDATE`, po.Partner, po.Number)
	if err != nil {
		return nil, "", err
	}
	action, revision := ActionCreate, 1
	switch {
	case po.Purpose == PurposeCancel && existing == nil:
		return nil, fmt.Sprintf("cancel of PO %s, which was never received: nothing to cancel", po.Number), nil
	case po.Purpose == PurposeCancel:
		action, revision = ActionCancel, existing.Revision+1
		_, err = tx.Exec(ctx, `UPDATE edi_orders SET status = 'cancel-requested', purpose = $3, revision = $4, updated_at = now()
			WHERE partner = $1 AND po_number = $2`, po.Partner, po.Number, po.Purpose, revision)
	case po.Purpose == PurposeReplace && existing != nil:
		action, revision = ActionReplace, existing.Revision+1
		_, err = tx.Exec(ctx, `UPDATE edi_orders SET status = 'replace-requested', purpose = $3, po = $4, document_id = $5, revision = $6, updated_at = now()
			WHERE partner = $1 AND po_number = $2`, po.Partner, po.Number, po.Purpose, po, docID, revision)
	case existing != nil:
		return nil, fmt.Sprintf("PO %s from %s was already received (document %d): not a second order", po.Number, po.Partner, existing.DocumentID), nil
	default:
		_, err = tx.Exec(ctx, `INSERT INTO edi_orders (partner, po_number, purpose, document_id, status, po) VALUES ($1, $2, $3, $4, 'received', $5)`,
			po.Partner, po.Number, po.Purpose, docID, po)
	}
	if err != nil {
		return nil, "", fmt.Errorf("recording PO %s: %w", po.Number, err)
	}
	state := StatePOReceived
	if action == ActionCancel {
		state = StatePOCancelled
	}
	if err := store.RecordJourney(ctx, tx, store.JourneyStep{OrderID: poJourney(po.Partner, po.Number), State: state, System: "sps",
		Function: azfunc.Info(ctx).Function, MessageID: fmt.Sprintf("edi-document/%d", docID),
		Detail: fmt.Sprintf("PO %s (%s, purpose %s, %d lines) from %s: %s", po.Number, po.Format, po.Purpose, len(po.Lines), po.Partner, action)}); err != nil {
		return nil, "", err
	}
	env, err := bus.Request("", EventPOReceived, bus.ObjectOrder, po.Number, InboundPO{DocumentID: docID, Action: action, Revision: revision, PO: po}, in.now())
	if err != nil {
		return nil, "", err
	}
	msg := bus.Message{Topic: TopicEDIInbound, Key: fmt.Sprintf("%s/%s/%s/%d", po.Partner, po.Number, action, revision), Envelope: env,
		Properties: map[string]string{"partner": po.Partner, "action": action}}
	id, err := store.Enqueue(ctx, tx, msg)
	if err != nil {
		return nil, "", err
	}
	return []queued{{id, msg}}, "", nil
}

// reconcile applies a partner's 997 to the documents we sent it: each
// sent document of the acknowledged group becomes accepted, accepted with
// errors or rejected.
func reconcile(ctx context.Context, tx pgx.Tx, partnerISA string, ack *x12.FunctionalAck) (int, error) {
	docs, err := queryDocuments(ctx, tx, `direction = 'out' AND isa_receiver = $1 AND functional_id = $2
		AND ltrim(group_control, '0') = ltrim($3, '0') AND status IN ('queued', 'sent', 'overdue') FOR UPDATE`,
		partnerISA, ack.FunctionalID, ack.GroupControl)
	if err != nil {
		return 0, err
	}
	for _, d := range docs {
		status := StatusAccepted
		for _, c := range d.SetControls {
			switch ack.SetOutcome(c) {
			case x12.OutcomeRejected:
				status = StatusRejected
			case x12.OutcomeAcceptedWithErrors:
				if status != StatusRejected {
					status = StatusAccErrors
				}
			}
		}
		reason := fmt.Sprintf("997 %s from %s: group %s", ack.Status, partnerISA, ack.Status)
		if _, err := tx.Exec(ctx, `UPDATE edi_documents SET status = $2, acked_at = now(), reason = $3, updated_at = now() WHERE id = $1`,
			d.ID, status, reason); err != nil {
			return 0, err
		}
	}
	return len(docs), nil
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
