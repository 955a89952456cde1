package oms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/partnerhttp"
)

// OrderQuery is one search of OMS's orders: exactly one of Email, Phone,
// Name and CustomerID.
type OrderQuery struct {
	Email, Phone, Name, CustomerID string
	// Limit bounds the orders answered (1 to MaxOrdersLimit; 0 is 10).
	Limit int
}

// ErrOrderNotFound means OMS has no such order (permanent).
var ErrOrderNotFound = errors.New("OMS has no such order")

func (q OrderQuery) values() (url.Values, string, error) {
	v := url.Values{}
	var set []string
	for _, f := range []struct{ name, value string }{
		{QueryEmail, q.Email}, {QueryPhone, q.Phone}, {QueryName, q.Name}, {QueryCustomerID, q.CustomerID},
	} {
		if s := strings.TrimSpace(f.value); s != "" {
			v.Set(f.name, s)
			set = append(set, f.name)
		}
	}
	if len(set) != 1 {
		return nil, "", fault.Permanentf("searching OMS orders: give exactly one of email, phone, name and customer id (got %d)", len(set))
	}
	limit := q.Limit
	if limit == 0 {
		limit = 10
	}
	if limit < 1 || limit > MaxOrdersLimit {
		return nil, "", fault.Permanentf("searching OMS orders: limit %d is not between 1 and %d", limit, MaxOrdersLimit)
	}
	v.Set(QueryLimit, strconv.Itoa(limit))
	return v, set[0], nil
}

// SearchOrders lists the orders matching q, newest first. No match is an
// empty list. Errors never hold the value searched for (personal data).
func (c *Client) SearchOrders(ctx context.Context, q OrderQuery) ([]OrderSummary, error) {
	v, by, err := q.values()
	if err != nil {
		return nil, err
	}
	what := "searching OMS orders by " + by
	a, err := c.http.Do(ctx, partnerhttp.Request{Method: http.MethodGet, Path: PathOrders + "?" + v.Encode()})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if !a.OK() {
		return nil, fmt.Errorf("%s: %w", what, c.readFailure(a, q.Email, q.Phone, q.Name, q.CustomerID))
	}
	var list OrderList
	if err := json.Unmarshal(a.Body, &list); err != nil || a.Cut {
		return nil, fault.Transient(fmt.Errorf("%s: OMS answered %d with a body that is not an order list", what, a.Status), 0)
	}
	return list.Orders, nil
}

// GetOrder reads one order with its lines and fulfilments; an unknown
// order is ErrOrderNotFound.
func (c *Client) GetOrder(ctx context.Context, orderID string) (*OrderDetail, error) {
	if strings.TrimSpace(orderID) == "" {
		return nil, fault.Permanentf("reading an OMS order: no order id")
	}
	a, err := c.http.Do(ctx, partnerhttp.Request{Method: http.MethodGet, Path: OrderPath(orderID)})
	if err != nil {
		return nil, fmt.Errorf("reading OMS order %s: %w", orderID, err)
	}
	if a.Status == http.StatusNotFound {
		return nil, fault.Permanent(fmt.Errorf("reading OMS order %s: %w", orderID, ErrOrderNotFound))
	}
	if !a.OK() {
		return nil, fmt.Errorf("reading OMS order %s: %w", orderID, c.readFailure(a))
	}
	var d OrderDetail
	if err := json.Unmarshal(a.Body, &d); err != nil || a.Cut || d.OrderID == "" {
		return nil, fault.Transient(fmt.Errorf("reading OMS order %s: OMS answered %d with a body that is not an order", orderID, a.Status), 0)
	}
	return &d, nil
}

// readFailure classifies a failed read; OMS's message is cleaned of the
// values searched for, which OMS may repeat.
func (c *Client) readFailure(a partnerhttp.Answer, searched ...string) error {
	var w WireError
	_ = json.Unmarshal(a.Body, &w)
	return c.http.Failure(a, &Error{Status: a.Status, Code: c.http.Clean(w.Code, searched...), Message: c.http.Clean(w.Message, searched...)})
}
