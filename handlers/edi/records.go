package edi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/x12"
)

// Document is a row of edi_documents: one file received or sent.
type Document struct {
	ID           int64      `json:"id"`
	Direction    string     `json:"direction"` // in, out
	Box          string     `json:"box"`       // sps, nav
	Partner      string     `json:"partner"`
	DocType      string     `json:"doc_type"` // 850, 940, 997, 856, 945
	Format       string     `json:"format"`   // x12, rsx-7, rsx-legacy
	FileName     string     `json:"file_name"`
	RemoteDir    string     `json:"remote_dir,omitempty"`
	SHA256       string     `json:"sha256"`
	Size         int64      `json:"size"`
	ArchivePath  string     `json:"archive_path,omitempty"`
	ISASender    string     `json:"isa_sender,omitempty"`
	ISAReceiver  string     `json:"isa_receiver,omitempty"`
	Interchange  string     `json:"interchange,omitempty"`
	GroupControl string     `json:"group_control,omitempty"`
	FunctionalID string     `json:"functional_id,omitempty"`
	SetControls  []string   `json:"set_controls,omitempty"`
	PONumber     string     `json:"po_number,omitempty"`
	OrderID      string     `json:"order_id,omitempty"`
	Status       string     `json:"status"`
	Reason       string     `json:"reason,omitempty"`
	Content      []byte     `json:"-"`
	DueAt        *time.Time `json:"due_at,omitempty"`
	AckDueAt     *time.Time `json:"ack_due_at,omitempty"`
	SentAt       *time.Time `json:"sent_at,omitempty"`
	AckedAt      *time.Time `json:"acked_at,omitempty"`
	WarnedAt     *time.Time `json:"warned_at,omitempty"`
	AlertedAt    *time.Time `json:"alerted_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
}

// Document states.
const (
	StatusReceived  = "received"
	StatusParked    = "parked"
	StatusDuplicate = "duplicate"
	StatusQueued    = "queued"
	StatusSent      = "sent"
	StatusAccepted  = "accepted"
	StatusAccErrors = "accepted-with-errors"
	StatusRejected  = "rejected"
	StatusOverdue   = "overdue"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// insertDocument records a document; for an inbound file already recorded
// (same box and hash) nothing is written and created is false.
func insertDocument(ctx context.Context, q store.Querier, d *Document) (created bool, err error) {
	if d.SetControls == nil {
		d.SetControls = []string{}
	}
	err = q.QueryRow(ctx, `
		INSERT INTO edi_documents (direction, box, partner, doc_type, format, file_name, remote_dir, sha256, size, archive_path,
		       isa_sender, isa_receiver, interchange, group_control, functional_id, set_controls, po_number, order_id,
		       status, reason, content, due_at, ack_due_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
		ON CONFLICT DO NOTHING
		RETURNING id, created_at`,
		d.Direction, d.Box, d.Partner, d.DocType, d.Format, d.FileName, d.RemoteDir, d.SHA256, d.Size, d.ArchivePath,
		d.ISASender, d.ISAReceiver, d.Interchange, d.GroupControl, d.FunctionalID, d.SetControls, d.PONumber, d.OrderID,
		d.Status, store.Text(d.Reason, 4000), d.Content, d.DueAt, d.AckDueAt).Scan(&d.ID, &d.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("recording %s %s %s: %w", d.Direction, d.DocType, d.FileName, err)
	}
	return true, nil
}

const documentColumns = `id, direction, box, partner, doc_type, format, file_name, remote_dir, sha256, size, archive_path,
	isa_sender, isa_receiver, interchange, group_control, functional_id, set_controls, po_number, order_id, status, reason,
	due_at, ack_due_at, sent_at, acked_at, warned_at, alerted_at, created_at`

func scanDocument(row pgx.Row) (*Document, error) {
	var d Document
	err := row.Scan(&d.ID, &d.Direction, &d.Box, &d.Partner, &d.DocType, &d.Format, &d.FileName, &d.RemoteDir, &d.SHA256, &d.Size,
		&d.ArchivePath, &d.ISASender, &d.ISAReceiver, &d.Interchange, &d.GroupControl, &d.FunctionalID, &d.SetControls, &d.PONumber,
		&d.OrderID, &d.Status, &d.Reason, &d.DueAt, &d.AckDueAt, &d.SentAt, &d.AckedAt, &d.WarnedAt, &d.AlertedAt, &d.CreatedAt)
	return &d, err
}

func queryDocuments(ctx context.Context, q store.Querier, where string, args ...any) ([]*Document, error) {
	rows, err := q.Query(ctx, `SELECT `+documentColumns+` FROM edi_documents WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("reading EDI documents: %w", err)
	}
	defer rows.Close()
	var out []*Document
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, fmt.Errorf("reading EDI documents: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// inboundByHash finds a file already received.
func inboundByHash(ctx context.Context, q store.Querier, box, hash string) (*Document, error) {
	ds, err := queryDocuments(ctx, q, `direction = 'in' AND box = $1 AND sha256 = $2`, box, hash)
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	return ds[0], nil
}

// txNumbers hands out control numbers from the per-partner sequences in
// the transaction that records the document carrying them: the number is
// committed with the document, before the file leaves, and a rollback gives
// it back (no gap). Concurrent allocators queue on the sequence's row, so
// none gets a number twice; the ledger's key refuses a reuse outright.
type txNumbers struct {
	tx   pgx.Tx
	used []allocation
}

type allocation struct {
	key    x12.ControlKey
	number int64
}

var _ x12.ControlNumbers = (*txNumbers)(nil)

func (n *txNumbers) Next(ctx context.Context, key x12.ControlKey) (int64, error) {
	var v int64
	err := n.tx.QueryRow(ctx, `
		INSERT INTO edi_control_numbers (sender, receiver, kind, functional_id, last) VALUES ($1, $2, $3, $4, 1)
		ON CONFLICT (sender, receiver, kind, functional_id) DO UPDATE SET last = edi_control_numbers.last % 999999999 + 1
		RETURNING last`, key.Sender, key.Receiver, key.Kind.String(), key.FunctionalID).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("allocating %s control number for %s/%s: %w", key.Kind, key.Sender, key.Receiver, err)
	}
	if _, err := n.tx.Exec(ctx, `
		INSERT INTO edi_control_ledger (sender, receiver, kind, functional_id, number) VALUES ($1, $2, $3, $4, $5)`,
		key.Sender, key.Receiver, key.Kind.String(), key.FunctionalID, v); err != nil {
		return 0, fmt.Errorf("%s control number %d for %s/%s was used before (the ledger refuses a reuse): %w", key.Kind, v, key.Sender, key.Receiver, err)
	}
	n.used = append(n.used, allocation{key, v})
	return v, nil
}

// attach links the numbers handed out to the document that carries them.
func (n *txNumbers) attach(ctx context.Context, documentID int64) error {
	for _, a := range n.used {
		if _, err := n.tx.Exec(ctx, `
			UPDATE edi_control_ledger SET document_id = $6
			 WHERE sender = $1 AND receiver = $2 AND kind = $3 AND functional_id = $4 AND number = $5`,
			a.key.Sender, a.key.Receiver, a.key.Kind.String(), a.key.FunctionalID, a.number, documentID); err != nil {
			return fmt.Errorf("linking control number %d to document %d: %w", a.number, documentID, err)
		}
	}
	n.used = nil
	return nil
}

// ediOrder is a row of edi_orders.
type ediOrder struct {
	Partner    string
	PONumber   string
	Purpose    string
	DocumentID int64
	NAVOrderNo string
	OrderID    string
	Status     string
	PO         PO
	Revision   int
}

func getEDIOrder(ctx context.Context, q store.Querier, where string, args ...any) (*ediOrder, error) {
	var o ediOrder
	err := q.QueryRow(ctx, `SELECT partner, po_number, purpose, document_id, nav_order_no, order_id, status, po, revision
		  FROM edi_orders WHERE `+where+` LIMIT 1`, args...).
		Scan(&o.Partner, &o.PONumber, &o.Purpose, &o.DocumentID, &o.NAVOrderNo, &o.OrderID, &o.Status, &o.PO, &o.Revision)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading EDI order: %w", err)
	}
	return &o, nil
}

// poJourney is the journey key of a PO before NAV gives it an order number.
func poJourney(partner, po string) string { return "po/" + partner + "/" + po }

// EDI journey states (beside the order flow's).
const (
	StatePOReceived      = "EDI_PO_RECEIVED"
	StatePOCancelled     = "EDI_PO_CANCELLED"
	StateNAVOrderCreated = "NAV_ORDER_CREATED"
	StateWarehouseOrder  = "EDI_940_RECEIVED"
	StateASNSent         = "EDI_856_SENT"
	StateShipAdviceSent  = "EDI_945_SENT"
)
