package gladly

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	glad "github.com/popsockets/integration/shared/gladly"
	"github.com/popsockets/integration/shared/oms"
)

// Mapping turns OMS orders into Gladly's lookup results.
type Mapping struct {
	// OrderURL is GLADLY_ORDER_URL: {order_number} and {order_id} are
	// replaced (escaped); empty: no customerOrderUrl.
	OrderURL string
}

// Lookup statuses, in customAttributes.lookupStatus.
const (
	StatusComplete = "complete"
	// partialPrefix starts the status of an answer OMS could not complete in time.
	partialPrefix = "partial: "
)

// PartialStatus says how much of a lookup OMS answered.
func PartialStatus(answered, asked int) string {
	return fmt.Sprintf("%sOMS answered %d of %d reads in time", partialPrefix, answered, asked)
}

// BasicResults groups order summaries by OMS customer, newest order first:
// one result per customer, with the names, emails, phones and address its
// orders carry. Orders without a customer id are left out: Gladly needs an
// id to link.
func BasicResults(orders []oms.OrderSummary) []glad.Result {
	orders = newestFirst(orders)
	var ids []string
	byID := map[string][]oms.OrderSummary{}
	for _, o := range orders {
		id := o.Customer.ID
		if id == "" {
			continue
		}
		if _, ok := byID[id]; !ok {
			ids = append(ids, id)
		}
		if !slices.ContainsFunc(byID[id], func(x oms.OrderSummary) bool { return x.OrderID == o.OrderID }) {
			byID[id] = append(byID[id], o)
		}
	}
	out := make([]glad.Result, 0, len(ids))
	for _, id := range ids {
		out = append(out, customer(id, byID[id]))
	}
	return out
}

// customer is the result for one customer from their orders, newest first.
func customer(id string, orders []oms.OrderSummary) glad.Result {
	r := glad.Result{ExternalCustomerID: id, CustomAttributes: map[string]string{"omsCustomerId": id}}
	for _, o := range orders {
		c := o.Customer
		if r.Name == "" {
			r.Name = strings.TrimSpace(c.Name)
		}
		if r.Address == "" && c.Address != nil {
			r.Address = FormatAddress(*c.Address)
		}
		if e := strings.TrimSpace(c.Email); e != "" && !slices.ContainsFunc(r.Emails, func(x glad.Email) bool { return strings.EqualFold(x.Original, e) }) {
			r.Emails = append(r.Emails, glad.Email{Original: e})
		}
		if p := strings.TrimSpace(c.Phone); p != "" && !slices.ContainsFunc(r.Phones, func(x glad.Phone) bool { return x.Original == p }) {
			r.Phones = append(r.Phones, glad.Phone{Original: p})
		}
	}
	if len(orders) > 0 {
		r.CustomAttributes["lastOrderNumber"] = orders[0].OrderNumber
		r.CustomAttributes["lastOrderAt"] = orders[0].CreatedAt.UTC().Format(time.RFC3339)
	}
	return r
}

// DetailedResult is the one result of a DETAILED lookup: the customer and
// an ORDER transaction per order, newest first. Orders whose details are
// missing (OMS did not answer in time) carry their summary only: status,
// total, date, no products or fulfilments. status goes to
// customAttributes.lookupStatus.
func (m Mapping) DetailedResult(id string, orders []oms.OrderSummary, details map[string]*oms.OrderDetail, status string) glad.Result {
	orders = newestFirst(orders)
	r := customer(id, orders)
	r.CustomAttributes["lookupStatus"] = status
	for _, o := range orders {
		r.Transactions = append(r.Transactions, m.Transaction(o, details[o.OrderID]))
	}
	return r
}

// Transaction maps one order; d may be nil (its details are unknown).
func (m Mapping) Transaction(o oms.OrderSummary, d *oms.OrderDetail) glad.Transaction {
	t := glad.Transaction{
		Type: glad.TransactionOrder, OrderID: o.OrderID, OrderNumber: o.OrderNumber,
		CreatedAt: o.CreatedAt.UTC().Format(time.RFC3339), OrderStatus: OrderStatus(o.Status),
		OrderTotal: FormatMoney(o.TotalMinor, o.Currency), CurrencyCode: strings.ToUpper(o.Currency),
		CustomerOrderURL: m.orderURL(o),
	}
	if d == nil {
		return t
	}
	// The detail is read after the summary: its state is the newer one.
	t.OrderStatus = OrderStatus(d.Status)
	t.Products = []glad.Product{}
	for _, l := range d.Lines {
		t.Products = append(t.Products, glad.Product{Name: l.Name, SKU: l.SKU, Quantity: l.Quantity,
			UnitPrice: FormatMoney(l.UnitPriceMinor, o.Currency), Status: l.Status})
	}
	t.Fulfillments = []glad.Fulfillment{}
	for _, f := range d.Fulfillments {
		shipped := ""
		if f.ShippedAt != nil {
			shipped = f.ShippedAt.UTC().Format(time.RFC3339)
		}
		if len(f.TrackingNumbers) == 0 {
			t.Fulfillments = append(t.Fulfillments, glad.Fulfillment{Status: f.Status, Carrier: f.Carrier, ShippedAt: shipped})
			continue
		}
		for _, n := range f.TrackingNumbers {
			ff := glad.Fulfillment{Status: f.Status, Carrier: f.Carrier, TrackingNumber: n, ShippedAt: shipped}
			if len(f.TrackingNumbers) == 1 {
				ff.TrackingURL = f.TrackingURL
			}
			t.Fulfillments = append(t.Fulfillments, ff)
		}
	}
	return t
}

func (m Mapping) orderURL(o oms.OrderSummary) string {
	if m.OrderURL == "" {
		return ""
	}
	return strings.NewReplacer("{order_number}", url.PathEscape(o.OrderNumber), "{order_id}", url.PathEscape(o.OrderID)).Replace(m.OrderURL)
}

func newestFirst(orders []oms.OrderSummary) []oms.OrderSummary {
	out := slices.Clone(orders)
	slices.SortStableFunc(out, func(a, b oms.OrderSummary) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out
}

// OrderStatus maps an OMS state to Sidekick's orderStatus (contract.go of
// shared/gladly): not yet released to a warehouse is PENDING, at a
// warehouse PROCESSING, shipped SHIPPED; a state this layer does not know
// is PROCESSING, the one that promises nothing.
func OrderStatus(state string) string {
	switch strings.ToUpper(strings.TrimSpace(state)) {
	case oms.StatePendingNAVRelease, "NEW", "CREATED":
		return glad.OrderPending
	case oms.StateShipped, "DELIVERED":
		return glad.OrderShipped
	case "CANCELLED", "CANCELED":
		return glad.OrderCancelled
	default:
		return glad.OrderProcessing
	}
}

// currencies are the symbols and minor-unit digits of the currencies the
// brand sells in; another currency is written with its code.
var currencies = map[string]struct {
	symbol string
	digits int
}{
	"USD": {"$", 2}, "CAD": {"CA$", 2}, "AUD": {"A$", 2}, "NZD": {"NZ$", 2}, "EUR": {"€", 2}, "GBP": {"£", 2},
	"JPY": {"¥", 0}, "CNY": {"CN¥", 2}, "KRW": {"₩", 0}, "HKD": {"HK$", 2}, "MXN": {"MX$", 2}, "CHF": {"CHF ", 2},
}

// FormatMoney writes an amount in minor units with its currency symbol,
// as Sidekick wants orderTotal: "$1,234.50", "€12.00", "¥1,200", and
// "SEK 99.00" for a currency without a symbol here.
func FormatMoney(minor int64, currency string) string {
	code := strings.ToUpper(strings.TrimSpace(currency))
	c, ok := currencies[code]
	if !ok {
		c = struct {
			symbol string
			digits int
		}{code + " ", 2}
		if code == "" {
			c.symbol = ""
		}
	}
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	unit := int64(1)
	for range c.digits {
		unit *= 10
	}
	whole := strconv.FormatInt(minor/unit, 10)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := sign + c.symbol + b.String()
	if c.digits > 0 {
		out += fmt.Sprintf(".%0*d", c.digits, minor%unit)
	}
	return out
}

// FormatAddress writes an address on one line.
func FormatAddress(a oms.Address) string {
	var parts []string
	for _, p := range []string{a.Line1, a.Line2, a.City, strings.TrimSpace(a.Region + " " + a.PostalCode), a.Country} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}
