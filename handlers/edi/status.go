package edi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/popsockets/integration/shared/store"
)

// Status prints the outbound documents by state: due (queued, with the
// time left), late (past a deadline), awaiting a 997, accepted, rejected
// and parked, then the flow's parked messages (what never became a
// document: a ship notice the pre-flight refused, a PO NAV could not
// take), then each control-number sequence with any gap. It returns 0, 1
// when something is late, rejected or parked (for scripts), 2 when the
// database cannot be read.
func Status(ctx context.Context, s *store.Store, w io.Writer, now time.Time) int {
	docs, err := queryDocuments(ctx, s.Pool, `direction = 'out' ORDER BY created_at, id`)
	if err != nil {
		fmt.Fprintf(w, "edi status: %v\n", err)
		return 2
	}
	groups := map[string][]*Document{}
	for _, d := range docs {
		groups[stateOf(d, now)] = append(groups[stateOf(d, now)], d)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, st := range []string{"late", "due", "awaiting 997", "sent", "rejected", "accepted", "parked"} {
		ds := groups[st]
		fmt.Fprintf(tw, "%s (%d)\n", st, len(ds))
		for _, d := range ds {
			when := ""
			switch {
			case d.Status == StatusQueued && d.DueAt != nil:
				when = "due " + d.DueAt.UTC().Format(time.RFC3339) + " (" + signed(d.DueAt.Sub(now)) + ")"
			case d.AckDueAt != nil && d.AckedAt == nil:
				when = "997 due " + d.AckDueAt.UTC().Format(time.RFC3339) + " (" + signed(d.AckDueAt.Sub(now)) + ")"
			case d.AckedAt != nil:
				when = "acknowledged " + d.AckedAt.UTC().Format(time.RFC3339)
			case d.SentAt != nil:
				when = "sent " + d.SentAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\tPO %s\torder %s\tISA %s\t%s\t%s\n", d.ID, d.DocType, d.Partner, d.FileName, d.PONumber,
				d.OrderID, d.Interchange, when, clip(d.Reason, 80))
		}
	}
	tw.Flush()
	code := 0
	if len(groups["late"])+len(groups["rejected"]) > 0 {
		code = 1
	}
	var parked []*store.ParkedMessage
	for _, fn := range []string{FnSPSInboundPoll, FnNAVSalesOrder, FnNAVOutboundPoll, FnEDIShipmentDocs, FnEDIDeadlines} {
		ps, err := s.ListParked(ctx, store.ParkedFilter{OpenOnly: true, Function: fn, Limit: 200})
		if err != nil {
			fmt.Fprintf(w, "edi status: parked messages: %v\n", err)
			return 2
		}
		parked = append(parked, ps...)
	}
	fmt.Fprintf(w, "parked messages (%d)\n", len(parked))
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, p := range parked {
		fmt.Fprintf(tw, "  %d\t%s\torder %s\t%s\t%s\thandler replay %d\n", p.ID, p.Function, p.CorrelationID,
			p.FirstSeen.UTC().Format(time.RFC3339), clip(p.Reason, 100), p.ID)
	}
	tw.Flush()
	if len(parked)+len(groups["parked"]) > 0 {
		code = 1
	}
	rows, err := s.Pool.Query(ctx, `
		SELECT l.sender, l.receiver, l.kind, l.functional_id, count(*), min(l.number), max(l.number), n.last
		  FROM edi_control_ledger l JOIN edi_control_numbers n USING (sender, receiver, kind, functional_id)
		 GROUP BY 1, 2, 3, 4, 8 ORDER BY 1, 2, 3, 4`)
	if err != nil {
		fmt.Fprintf(w, "edi status: control numbers: %v\n", err)
		return 2
	}
	defer rows.Close()
	fmt.Fprintln(w, "control numbers")
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for rows.Next() {
		var sender, receiver, kind, fid string
		var count, lo, hi, last int64
		if err := rows.Scan(&sender, &receiver, &kind, &fid, &count, &lo, &hi, &last); err != nil {
			fmt.Fprintf(w, "edi status: %v\n", err)
			return 2
		}
		gaps := "no gaps"
		if missing := hi - lo + 1 - count; missing > 0 {
			gaps = fmt.Sprintf("%d missing between %d and %d", missing, lo, hi)
		}
		fmt.Fprintf(tw, "  %s -> %s\t%s %s\tlast %d\t%d used\t%s\n", sender, receiver, kind, fid, last, count, gaps)
	}
	tw.Flush()
	return code
}

func stateOf(d *Document, now time.Time) string {
	switch d.Status {
	case StatusQueued:
		if d.DueAt != nil && !now.Before(*d.DueAt) {
			return "late"
		}
		return "due"
	case StatusOverdue:
		return "late"
	case StatusSent:
		if d.AckDueAt != nil {
			if !now.Before(*d.AckDueAt) {
				return "late"
			}
			return "awaiting 997"
		}
		return "sent"
	case StatusRejected:
		return "rejected"
	case StatusAccepted, StatusAccErrors:
		return "accepted"
	}
	return "parked"
}

func signed(d time.Duration) string {
	d = d.Round(time.Minute)
	if d < 0 {
		return (-d).String() + " late"
	}
	return d.String() + " left"
}

// Trace prints, for a PO number, an interchange control number (ISA13) or
// a carton's SSCC, the EDI documents involved and the order's whole
// journey across channels (SPS, NAV, Cirro, the 856 and 945), oldest
// first. It returns 0, or 1 when nothing matches, 2 on a database error.
func Trace(ctx context.Context, s *store.Store, w io.Writer, key string) int {
	t, err := TraceOf(ctx, s, key)
	if err != nil {
		fmt.Fprintf(w, "trace: %v\n", err)
		return 2
	}
	if t == nil {
		fmt.Fprintf(w, "%s: no PO, interchange or SSCC by that name\n", strings.TrimSpace(key))
		return 1
	}
	fmt.Fprintf(w, "%s: PO %s, order %s\n", t.Key, strings.Join(t.POs, ", "), strings.Join(t.Orders, ", "))
	fmt.Fprintln(w, "documents:")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, d := range t.Documents {
		ctl := ""
		if d.Interchange != "" {
			ctl = "ISA " + d.Interchange
			if d.GroupControl != "" {
				ctl += " GS " + d.GroupControl
			}
		}
		fmt.Fprintf(tw, "  %s\t#%d %s %s\t%s\t%s\t%s\t%s\t%s\n", d.CreatedAt.UTC().Format("2006-01-02 15:04:05"), d.ID, d.Direction, d.DocType,
			d.Box, d.FileName, ctl, d.Status, clip(d.Reason, 80))
	}
	tw.Flush()
	fmt.Fprintln(w, "journey:")
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, st := range t.Journey {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", st.At.UTC().Format("2006-01-02 15:04:05.000"), st.State, st.System, st.Function, st.Detail)
	}
	tw.Flush()
	return 0
}

// TraceJSON is Trace as one JSON object (`handler trace -json`), with the
// same exit statuses.
func TraceJSON(ctx context.Context, s *store.Store, w io.Writer, key string) int {
	t, err := TraceOf(ctx, s, key)
	if err != nil {
		fmt.Fprintf(w, "{\"error\": %q}\n", err.Error())
		return 2
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if t == nil {
		_ = enc.Encode(map[string]string{"key": strings.TrimSpace(key), "error": "no PO, interchange or SSCC by that name"})
		return 1
	}
	_ = enc.Encode(t)
	return 0
}

// EDITrace is what Trace prints: the POs and orders a key names, their
// EDI documents and the journey across channels, oldest first.
type EDITrace struct {
	Key       string              `json:"key"`
	POs       []string            `json:"po_numbers"`
	Orders    []string            `json:"order_ids"`
	Documents []*Document         `json:"documents"`
	Journey   []store.JourneyStep `json:"journey"`
}

// TraceOf reads what a PO number, an ISA13 or an SSCC names; nil when
// nothing does.
func TraceOf(ctx context.Context, s *store.Store, key string) (*EDITrace, error) {
	key = strings.TrimSpace(key)
	// An interchange control number is a partner's own counter: the same
	// number comes from several senders (ours included), so SENDER:ISA13
	// names one, and a bare number that several sent is refused.
	sender := ""
	if i := strings.LastIndex(key, ":"); i > 0 {
		sender, key = strings.TrimSpace(key[:i]), strings.TrimSpace(key[i+1:])
	} else {
		var senders []string
		if err := s.Pool.QueryRow(ctx, `
			SELECT COALESCE(array_agg(DISTINCT isa_sender ORDER BY isa_sender), '{}') FROM edi_documents
			 WHERE ltrim(interchange, '0') = ltrim($1, '0') AND interchange <> ''`, key).Scan(&senders); err != nil {
			return nil, fmt.Errorf("resolving %s: %w", key, err)
		}
		if len(senders) > 1 {
			return nil, fmt.Errorf("interchange %s was sent by %s: name one, as SENDER:%s", key, strings.Join(senders, ", "), key)
		}
	}
	pos, orders, err := resolve(ctx, s, key, sender)
	if err != nil {
		return nil, err
	}
	if len(pos) == 0 && len(orders) == 0 {
		return nil, nil
	}
	t := &EDITrace{Key: key}
	for p := range pos {
		t.POs = append(t.POs, p)
	}
	sort.Strings(t.POs)
	for o := range orders {
		t.Orders = append(t.Orders, o)
	}
	sort.Strings(t.Orders)
	if t.Documents, err = queryDocuments(ctx, s.Pool, `(po_number = ANY($1) AND po_number <> '') OR (order_id = ANY($2) AND order_id <> '')
		OR (ltrim(interchange, '0') = ltrim($3, '0') AND ($4 = '' OR isa_sender = $4)) ORDER BY created_at, id`, t.POs, t.Orders, key, sender); err != nil {
		return nil, err
	}
	var steps []store.JourneyStep
	keys := append([]string(nil), t.Orders...)
	for p, partner := range pos {
		keys = append(keys, poJourney(partner, p))
	}
	for _, k := range keys {
		js, err := store.Journey(ctx, s.Pool, k)
		if err != nil {
			return nil, err
		}
		steps = append(steps, js...)
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].At.Before(steps[j].At) })
	// A step recorded for both the PO and the order shows once.
	seen := map[string]bool{}
	for _, st := range steps {
		k := st.State + "\x00" + st.MessageID + "\x00" + st.Detail
		if !seen[k] {
			seen[k] = true
			t.Journey = append(t.Journey, st)
		}
	}
	return t, nil
}

// resolve finds the POs (with their partner) and orders a key names.
func resolve(ctx context.Context, s *store.Store, key, sender string) (pos map[string]string, orders map[string]bool, err error) {
	pos, orders = map[string]string{}, map[string]bool{}
	sscc := key
	if len(sscc) == 20 && strings.HasPrefix(sscc, "00") {
		sscc = sscc[2:]
	}
	rows, err := s.Pool.Query(ctx, `
		SELECT o.partner, o.po_number, o.order_id FROM edi_orders o
		 WHERE o.po_number = $1 OR (o.order_id = $1 AND o.order_id <> '')
		    OR o.order_id IN (SELECT order_id FROM edi_sscc WHERE sscc = $2)
		    OR o.po_number IN (SELECT po_number FROM edi_documents WHERE ltrim(interchange, '0') = ltrim($1, '0') AND interchange <> ''
		                          AND ($3 = '' OR isa_sender = $3) AND po_number <> '')
		    OR o.order_id IN (SELECT order_id FROM edi_documents WHERE ltrim(interchange, '0') = ltrim($1, '0') AND interchange <> ''
		                          AND ($3 = '' OR isa_sender = $3) AND order_id <> '')`,
		key, sscc, sender)
	if err != nil {
		return nil, nil, fmt.Errorf("resolving %s: %w", key, err)
	}
	defer rows.Close()
	for rows.Next() {
		var partner, po, order string
		if err := rows.Scan(&partner, &po, &order); err != nil {
			return nil, nil, err
		}
		pos[po] = partner
		if order != "" {
			orders[order] = true
		}
	}
	return pos, orders, rows.Err()
}
