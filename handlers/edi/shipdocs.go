package edi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/handlers/fulfillment"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/cirro"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/nav"
	"github.com/popsockets/integration/shared/rsx"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/x12"
)

// How the 945 reaches NAV.
const (
	Via945SFTP = "sftp"
	Via945SOAP = "soap"
)

// ShipmentDocsFn is edi-shipment-docs: a B2B shipment becomes the 856 for
// SPS (RSX or X12, per partner) and the 945 for NAV (X12 to the internal
// SFTP, or NAV's ship-posting service). Both documents, their control
// numbers and the carton SSCCs are committed in one transaction before
// anything leaves; they are then sent, and whatever could not be sent is
// sent by edi-deadlines, which also watches their deadlines.
type ShipmentDocsFn struct {
	Function string
	Store    *store.Store
	Partners *Partners
	Sender   *sender
	SPS      Box
	NAV      Box
	NAVSOAP  ShipmentPoster
	// SPSDir is SPS's in (or testin); NAVDir is where NAV reads 945s.
	SPSDir, NAVDir string
	Via945         string
	Us, NAVISA     Interchange
	Now            func() time.Time
}

// Handle handles one shipped message.
func (f *ShipmentDocsFn) Handle(ctx context.Context, m *azfunc.Message) error {
	var s fulfillment.Shipped
	if err := decode(m, &s); err != nil {
		return err
	}
	azfunc.SetCorrelationID(ctx, s.OrderID)
	if s.Channel != fulfillment.ChannelB2B {
		azfunc.Note(ctx, "event", "not a b2b shipment; nothing to send", "channel", s.Channel)
		return nil
	}
	order, err := getEDIOrder(ctx, f.Store.Pool, `order_id = $1`, s.OrderID)
	if err != nil {
		return err
	}
	if order == nil {
		azfunc.Note(ctx, "event", "b2b shipment of an order that did not come through EDI; no 856", "order_id", s.OrderID)
		return nil
	}
	pt, ok := f.Partners.ByID(order.Partner)
	if !ok {
		return fault.Permanentf("order %s: trading partner %s is not configured", s.OrderID, order.Partner)
	}
	facts, err := f.facts(ctx, s)
	if err != nil {
		return err
	}
	if err := Preflight(pt, order.PO, facts); err != nil {
		return err
	}
	inv := invocation(ctx, f.Function)
	claim, err := f.Store.Claim(ctx, inv.Function, m.MessageID, inv.ID, claimLease)
	if err != nil {
		return err
	}
	var asnName string
	var ids []int64
	err = claim.Record(ctx, func(tx pgx.Tx) error {
		var err error
		asnName, ids, err = f.record(ctx, tx, pt, order, facts)
		return err
	})
	if err != nil {
		return err
	}
	sent := f.sendNow(ctx, ids)
	azfunc.Note(ctx, "event", "ship notice and shipping advice recorded", "partner", pt.ID, "asn", asnName, "asn_format", pt.ASNFormat,
		"cartons", len(facts.Cartons), "sent_now", sent)
	return nil
}

// facts reads the shipment as the warehouse reported it (BOL, SCAC and
// weights are in Cirro's callback, kept in shipments).
func (f *ShipmentDocsFn) facts(ctx context.Context, s fulfillment.Shipped) (ShipmentFacts, error) {
	facts := ShipmentFacts{OrderID: s.OrderID, TPLOrderNo: s.TPLOrderNo, PONumber: s.PONumber, ShippedAt: s.ShippedAt,
		Carrier: s.Carrier, Cartons: s.Cartons}
	var payload []byte
	err := f.Store.Pool.QueryRow(ctx, `SELECT payload FROM shipments WHERE order_id = $1 AND tpl = $2 AND tpl_order_no = $3`,
		s.OrderID, s.TPL, s.TPLOrderNo).Scan(&payload)
	if errors.Is(err, pgx.ErrNoRows) {
		return facts, nil
	}
	if err != nil {
		return facts, fmt.Errorf("reading shipment of %s: %w", s.OrderID, err)
	}
	so, err := cirro.ParseSendOrder(payload)
	if err != nil {
		return facts, nil
	}
	for _, d := range so.DispatchInfo {
		if facts.BillOfLading == "" {
			facts.BillOfLading = d.BOL
		}
		if facts.SCAC == "" {
			facts.SCAC = d.CarrierSCAC
		}
		if facts.ProNumber == "" {
			facts.ProNumber = d.ProNumber
		}
	}
	var total x12.Decimal
	for _, b := range so.OrderBoxInfo {
		if b.Weight != "" {
			if total == "" {
				total = x12.Decimal(b.Weight)
			} else {
				total = total.Add(x12.Decimal(b.Weight))
			}
		}
	}
	facts.Weight = string(total)
	return facts, nil
}

// record writes the 856 and the 945 as queued documents, with their
// control numbers and the cartons' SSCCs, in the claim's transaction.
func (f *ShipmentDocsFn) record(ctx context.Context, tx pgx.Tx, pt *Partner, order *ediOrder, facts ShipmentFacts) (string, []int64, error) {
	now := f.Now()
	due := facts.ShippedAt.Add(time.Duration(pt.ASNDueMinutes) * time.Minute)
	if facts.ShippedAt.IsZero() {
		due = now.Add(time.Duration(pt.ASNDueMinutes) * time.Minute)
	}
	base := fileSafe(facts.OrderID + "-" + facts.shipmentID())
	asn := &Document{Direction: "out", Box: "sps", Partner: pt.ID, DocType: "856", RemoteDir: f.SPSDir, PONumber: order.PONumber,
		OrderID: facts.OrderID, Status: StatusQueued, DueAt: &due}
	nums := &txNumbers{tx: tx}
	switch pt.ASNFormat {
	case "x12":
		s, err := X12Shipment(pt, order.PO, facts)
		if err != nil {
			return "", nil, fault.Permanent(err)
		}
		body, err := x12.Build856(s)
		if err != nil {
			return "", nil, fault.Permanent(fmt.Errorf("building the 856 for %s: %w", facts.OrderID, err))
		}
		var buf bytes.Buffer
		sent, err := encodeX12(ctx, &buf, nums, f.Us, partnerISA(pt), "SH", "856", body, now)
		if err != nil {
			return "", nil, err
		}
		// The compliance pre-flight validates what is about to leave: HL
		// structure and numbering, CTT counts, SSCC check digits, envelope.
		if rep := x12.Validate(x12.ParseBytes(buf.Bytes())); !rep.Valid() {
			return "", nil, fault.Permanentf("the X12 856 for %s does not pass validation: %s", facts.OrderID, firstProblem(rep))
		}
		asn.Format, asn.FileName, asn.Content = "x12", "SH"+base+".edi", buf.Bytes()
		fillControls(asn, sent, f.Us, partnerISA(pt))
	default:
		s, err := RSXShipment(pt, order.PO, facts)
		if err != nil {
			return "", nil, fault.Permanent(err)
		}
		b, err := rsx.WriteShipments(s)
		if err != nil {
			return "", nil, fault.Permanent(err)
		}
		// The compliance pre-flight reads back what is about to leave.
		if _, err := rsx.ParseShipments(b); err != nil {
			return "", nil, fault.Permanent(fmt.Errorf("the RSX 856 for %s does not pass its own checks: %w", facts.OrderID, err))
		}
		asn.Format, asn.FileName, asn.Content = "rsx-7", "SH"+base+".xml", b
	}
	asn.SHA256, asn.Size = sha(asn.Content), int64(len(asn.Content))
	if _, err := insertDocument(ctx, tx, asn); err != nil {
		return "", nil, err
	}
	if err := nums.attach(ctx, asn.ID); err != nil {
		return "", nil, err
	}
	for _, c := range facts.Cartons {
		tag, err := tx.Exec(ctx, `INSERT INTO edi_sscc (sscc, order_id, po_number, document_id) VALUES ($1, $2, $3, $4) ON CONFLICT (sscc) DO NOTHING`,
			c.SSCC, facts.OrderID, order.PONumber, asn.ID)
		if err != nil {
			return "", nil, err
		}
		if tag.RowsAffected() == 0 {
			var other string
			_ = tx.QueryRow(ctx, `SELECT order_id FROM edi_sscc WHERE sscc = $1`, c.SSCC).Scan(&other)
			if other != facts.OrderID {
				return "", nil, fault.Permanentf("non-compliant ASN for order %s: SSCC %s was already shipped on order %s (an SSCC is never reused)", facts.OrderID, c.SSCC, other)
			}
		}
	}
	advice, err := ShipAdvice(pt, order.PO, facts)
	if err != nil {
		return "", nil, fault.Permanent(err)
	}
	sa := &Document{Direction: "out", Box: "nav", Partner: pt.ID, DocType: "945", PONumber: order.PONumber, OrderID: facts.OrderID,
		Status: StatusQueued, RemoteDir: f.NAVDir}
	if f.Via945 == Via945SOAP {
		p := nav.ShipmentPosting{OrderNo: facts.OrderID, ShipmentID: facts.shipmentID(), ShipDate: facts.ShippedAt.UTC().Format("2006-01-02"),
			ShippingAgent: facts.SCAC}
		if len(facts.Cartons) > 0 {
			p.TrackingNo = facts.Cartons[0].TrackingNumber
		}
		for _, l := range advice.Lines {
			p.Lines = append(p.Lines, nav.ShippedLine{ItemNo: l.Products[0].ID, Quantity: string(l.Shipped)})
		}
		b, _ := json.Marshal(p)
		sa.Box, sa.Format, sa.FileName, sa.Content, sa.RemoteDir = BoxNAVSOAP, "soap", "945-"+base+".json", b, ""
	} else {
		body, err := x12.Build945(advice)
		if err != nil {
			return "", nil, fault.Permanent(fmt.Errorf("building the 945 for %s: %w", facts.OrderID, err))
		}
		var buf bytes.Buffer
		nums945 := &txNumbers{tx: tx}
		sent, err := encodeX12(ctx, &buf, nums945, f.Us, f.NAVISA, "SW", "945", body, now)
		if err != nil {
			return "", nil, err
		}
		sa.Format, sa.FileName, sa.Content = "x12", "SW"+base+".edi", buf.Bytes()
		fillControls(sa, sent, f.Us, f.NAVISA)
		nums = nums945
	}
	sa.SHA256, sa.Size = sha(sa.Content), int64(len(sa.Content))
	if _, err := insertDocument(ctx, tx, sa); err != nil {
		return "", nil, err
	}
	if f.Via945 != Via945SOAP {
		if err := nums.attach(ctx, sa.ID); err != nil {
			return "", nil, err
		}
	}
	_, err = tx.Exec(ctx, `UPDATE edi_orders SET status = 'shipped', updated_at = now() WHERE partner = $1 AND po_number = $2`, order.Partner, order.PONumber)
	return asn.FileName, []int64{asn.ID, sa.ID}, err
}

func firstProblem(rep *x12.Report) string {
	for _, e := range rep.All() {
		if e.Severity >= x12.SeverityError {
			return e.Place() + ": " + e.Text()
		}
	}
	return "unknown problem"
}

func fillControls(d *Document, sent *x12.Sent, from, to Interchange) {
	d.ISASender, d.ISAReceiver, d.Interchange = from.ID, to.ID, sent.Interchange
	if len(sent.Groups) > 0 {
		d.FunctionalID, d.GroupControl = sent.Groups[0].FunctionalID, sent.Groups[0].Control
		for _, s := range sent.Groups[0].Sets {
			d.SetControls = append(d.SetControls, s.Control)
		}
	}
}

func partnerISA(pt *Partner) Interchange {
	id := pt.ID
	if len(pt.ISAIDs) > 0 {
		id = pt.ISAIDs[0]
	}
	return Interchange{Qualifier: "ZZ", ID: id}
}

// fileSafe keeps letters, digits and dashes.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			return r
		}
		return '_'
	}, s)
}

// sendNow tries to send this shipment's documents; what fails waits for
// edi-deadlines.
func (f *ShipmentDocsFn) sendNow(ctx context.Context, ids []int64) int {
	n := 0
	for _, b := range []struct {
		name string
		box  Box
	}{{"sps", f.SPS}, {"nav", f.NAV}} {
		if b.box == nil {
			continue
		}
		sess, err := b.box.Open(ctx)
		if err != nil {
			azfunc.Logger(ctx).Warn("sending now failed; edi-deadlines retries", "box", b.name, "error", err)
			continue
		}
		k, err := f.Sender.flush(ctx, sess, b.name, ids...)
		sess.Close()
		n += k
		if err != nil {
			azfunc.Logger(ctx).Warn("sending now failed; edi-deadlines retries", "box", b.name, "error", err)
		}
	}
	if f.Via945 == Via945SOAP && f.NAVSOAP != nil {
		k, err := f.Sender.flushSOAP(ctx, f.NAVSOAP, ids...)
		n += k
		if err != nil {
			azfunc.Logger(ctx).Warn("posting the 945 failed; edi-deadlines retries", "error", err)
		}
	}
	return n
}
