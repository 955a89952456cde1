package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Order is the layer's record of an order it routes.
type Order struct {
	OrderID     string `json:"order_id"`
	OrderNumber string `json:"order_number"`
	Source      string `json:"source"`
	Channel     string `json:"channel"`
	PrePack     bool   `json:"pre_pack"`
	TPL         string `json:"tpl"`
	State       string `json:"state"`
	// StateRank orders the flow's states; it only grows (AdvanceOrder).
	StateRank  int       `json:"-"`
	TPLOrderNo string    `json:"tpl_order_no"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// InsertOrder records a new order; an existing order is left as it is and
// created is false.
func InsertOrder(ctx context.Context, q Querier, o Order) (created bool, err error) {
	tag, err := q.Exec(ctx, `
		INSERT INTO orders (order_id, order_number, source, channel, pre_pack, tpl, state, state_rank)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (order_id) DO NOTHING`,
		o.OrderID, o.OrderNumber, o.Source, o.Channel, o.PrePack, o.TPL, o.State, o.StateRank)
	if err != nil {
		return false, fmt.Errorf("recording order %s: %w", o.OrderID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// AdvanceOrder moves an order to state, whose rank the flow's state table
// gives, and records its warehouse order number when tplOrderNo is not
// empty. States only move forward: when the order is already at or past
// rank, the state is left as it is and moved is false (the caller still
// records the step in the journey, so nothing is hidden). A missing order
// is not an error: a state can be reported for an order this layer did not
// route (a NAV release).
func AdvanceOrder(ctx context.Context, q Querier, orderID, state string, rank int, tplOrderNo string) (moved bool, err error) {
	err = q.QueryRow(ctx, `
		UPDATE orders SET
		       state = CASE WHEN state_rank < $3 THEN $2 ELSE state END,
		       state_rank = GREATEST(state_rank, $3),
		       tpl_order_no = CASE WHEN $4 = '' THEN tpl_order_no ELSE $4 END,
		       updated_at = now()
		 WHERE order_id = $1 AND (state_rank < $3 OR ($4 <> '' AND tpl_order_no <> $4))
		RETURNING state = $2`, orderID, state, rank, tplOrderNo).Scan(&moved)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("moving order %s to %s: %w", orderID, state, err)
	}
	return moved, nil
}

// GetOrder returns an order; ErrNotFound when this layer has not seen it.
func GetOrder(ctx context.Context, q Querier, orderID string) (*Order, error) {
	var o Order
	err := q.QueryRow(ctx, `
		SELECT order_id, order_number, source, channel, pre_pack, tpl, state, tpl_order_no, created_at, updated_at
		  FROM orders WHERE order_id = $1`, orderID).
		Scan(&o.OrderID, &o.OrderNumber, &o.Source, &o.Channel, &o.PrePack, &o.TPL, &o.State, &o.TPLOrderNo, &o.CreatedAt, &o.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("order %s: %w", orderID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading order %s: %w", orderID, err)
	}
	return &o, nil
}

// JourneyStep is one state change of an order.
type JourneyStep struct {
	OrderID string `json:"order_id"`
	State   string `json:"state"`
	// System is who caused the change: oms, nav, cirro, xb, integration.
	System    string    `json:"system"`
	Function  string    `json:"function"`
	MessageID string    `json:"message_id"`
	Detail    string    `json:"detail"`
	At        time.Time `json:"at"`
}

// RecordJourney appends a step, in the transaction of the change it records.
func RecordJourney(ctx context.Context, q Querier, s JourneyStep) error {
	_, err := q.Exec(ctx, `
		INSERT INTO order_journey (order_id, state, system, function, message_id, detail)
		VALUES ($1, $2, $3, $4, $5, $6)`, s.OrderID, s.State, s.System, s.Function, s.MessageID, s.Detail)
	if err != nil {
		return fmt.Errorf("recording %s of order %s: %w", s.State, s.OrderID, err)
	}
	return nil
}

// Journey returns an order's steps, oldest first.
func Journey(ctx context.Context, q Querier, orderID string) ([]JourneyStep, error) {
	rows, err := q.Query(ctx, `
		SELECT order_id, state, system, function, message_id, detail, at
		  FROM order_journey WHERE order_id = $1 ORDER BY at, id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("reading journey of order %s: %w", orderID, err)
	}
	defer rows.Close()
	var out []JourneyStep
	for rows.Next() {
		var s JourneyStep
		if err := rows.Scan(&s.OrderID, &s.State, &s.System, &s.Function, &s.MessageID, &s.Detail, &s.At); err != nil {
			return nil, fmt.Errorf("reading journey of order %s: %w", orderID, err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
