package print

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/fault"
)

// Field limits of an order-update payload.
const (
	maxID       = 64
	maxImageURL = 2048
	maxLines    = 500
)

// Line is one printable line as it enters the queue.
type Line struct {
	LineNumber string
	ProductSKU string
	RecipeID   string
	ImageType  string
	ImageURL   string
	Category   string
	Quantity   int
	Due        time.Time // a date, UTC midnight
}

// Decision is what print-order-intake does with an order.
type Decision struct {
	Printable bool
	// Reason says why the order is not printable, for its journey and log line.
	Reason    string
	Warehouse string
	Site      string
	// Lines are the printable lines; Skipped the others ("10000 FG").
	Lines   []Line
	Skipped []string
}

// Decide reads an order-update payload against the rules. A payload that
// cannot be acted on (no order id, a printable line without an image, a
// date that is not a date) is an error of class Malformed: the message is
// parked. An order that is simply not for print is a Decision with
// Printable false and its Reason.
func Decide(o OrderUpdate, r *Rules) (Decision, error) {
	if err := azfunc.CheckField("orderId", o.OrderID, maxID, true); err != nil {
		return Decision{}, fault.Malformed(err)
	}
	for _, f := range [][2]string{{"siteId", o.SiteID}, {"warehouse", o.Warehouse}, {"omsOrderId", o.OMSOrderID}, {"status", o.Status}} {
		if err := azfunc.CheckField(f[0], f[1], maxID, false); err != nil {
			return Decision{}, fault.Malformedf("order %s: %v", o.OrderID, err)
		}
	}
	d := Decision{Warehouse: strings.ToUpper(strings.TrimSpace(o.Warehouse))}
	if d.Warehouse == "" {
		d.Warehouse = strings.ToUpper(strings.TrimSpace(o.SiteID))
	}
	if d.Warehouse == "" {
		return Decision{}, fault.Malformedf("order %s names neither a warehouse nor a siteId: its print configuration is unknown", o.OrderID)
	}
	if st := strings.ToUpper(o.Status); st != "" && st != "NEW" {
		d.Reason = fmt.Sprintf("not for print: order-update status %s is not NEW, nothing to queue", azfunc.Clip(o.Status, 32))
		return d, nil
	}
	if len(o.OrderItems) == 0 {
		return Decision{}, fault.Malformedf("order %s has no orderItems", o.OrderID)
	}
	if len(o.OrderItems) > maxLines {
		return Decision{}, fault.Malformedf("order %s has %d lines, over the %d allowed", o.OrderID, len(o.OrderItems), maxLines)
	}
	due, err := dueDate(o)
	if err != nil {
		return Decision{}, err
	}
	seen := map[string]bool{}
	for i, it := range o.OrderItems {
		for _, f := range []struct {
			name, v  string
			required bool
		}{{"orderLineNumber", it.OrderLineNumber, true}, {"productSku", it.ProductSKU, true}, {"imageType", it.ImageType, false}, {"recipeId", it.RecipeID, false}} {
			if err := azfunc.CheckField(fmt.Sprintf("orderItems[%d].%s", i, f.name), f.v, maxID, f.required); err != nil {
				return Decision{}, fault.Malformedf("order %s: %v", o.OrderID, err)
			}
		}
		if seen[it.OrderLineNumber] {
			return Decision{}, fault.Malformedf("order %s has line %s twice", o.OrderID, it.OrderLineNumber)
		}
		seen[it.OrderLineNumber] = true
		if !r.Printable(it.ImageType) {
			d.Skipped = append(d.Skipped, strings.TrimSpace(it.OrderLineNumber+" "+it.ImageType))
			continue
		}
		if it.Quantity <= 0 {
			return Decision{}, fault.Malformedf("order %s line %s (%s): quantity %d is not above zero", o.OrderID, it.OrderLineNumber, it.ImageType, it.Quantity)
		}
		if err := checkImageURL(it.ImageURL); err != nil {
			return Decision{}, fault.Malformedf("order %s line %s (%s): %v: it cannot be validated or printed", o.OrderID, it.OrderLineNumber, it.ImageType, err)
		}
		d.Lines = append(d.Lines, Line{
			LineNumber: it.OrderLineNumber, ProductSKU: it.ProductSKU, RecipeID: it.RecipeID,
			ImageType: strings.ToUpper(it.ImageType), ImageURL: it.ImageURL, Category: r.Category(it.ProductSKU, it.ImageType),
			Quantity: it.Quantity, Due: due,
		})
	}
	if len(d.Lines) == 0 {
		d.Reason = fmt.Sprintf("not printable: no line has image type %s (lines: %s)",
			strings.Join(r.PrintableImageTypes, ", "), strings.Join(d.Skipped, ", "))
		return d, nil
	}
	w, ok := r.Warehouses[d.Warehouse]
	switch {
	case !ok:
		d.Reason = fmt.Sprintf("not printable here: warehouse %s has no print-station batching configured", d.Warehouse)
		d.Lines = nil
		return d, nil
	case !w.PrintStationBatching:
		d.Reason = fmt.Sprintf("not printable here: warehouse %s has print-station batching off", d.Warehouse)
		d.Lines = nil
		return d, nil
	}
	d.Printable, d.Site = true, w.PrintSite
	return d, nil
}

func dueDate(o OrderUpdate) (time.Time, error) {
	v, field := o.DueDate, "dueDate"
	if v == "" {
		v, field = o.Date, "date"
	}
	if v == "" {
		return time.Time{}, fault.Malformedf("order %s has neither dueDate nor date: its place in the queue is unknown", o.OrderID)
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, fault.Malformedf("order %s: %s %q is not a date YYYY-MM-DD", o.OrderID, field, azfunc.Clip(v, 32))
	}
	return t, nil
}

func checkImageURL(v string) error {
	if v == "" {
		return fmt.Errorf("no imageUrl")
	}
	if len(v) > maxImageURL {
		return fmt.Errorf("imageUrl is %d bytes long, over the %d allowed", len(v), maxImageURL)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("imageUrl is not an absolute http(s) URL")
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("imageUrl holds a control character")
		}
	}
	return nil
}

// QueuedDetail is the journey detail of an order whose lines were queued.
func QueuedDetail(d Decision, r *Rules, added, requeued, unchanged int) string {
	cats := map[string]int{}
	var order []string
	for _, l := range d.Lines {
		if cats[l.Category] == 0 {
			order = append(order, l.Category)
		}
		cats[l.Category]++
	}
	parts := make([]string, 0, len(order))
	for _, c := range order {
		parts = append(parts, fmt.Sprintf("%d %s", cats[c], c))
	}
	s := fmt.Sprintf("%s to print at %s (%s), due %s", lines(len(d.Lines)), d.Site, strings.Join(parts, ", "), d.Lines[0].Due.Format(time.DateOnly))
	switch {
	case added+requeued == 0:
		return s + fmt.Sprintf(": nothing new, all %d already queued or batched", unchanged)
	case requeued > 0:
		s += fmt.Sprintf(": %d queued again after being parked", requeued)
		if added > 0 {
			s += fmt.Sprintf(", %d new", added)
		}
	}
	if len(d.Skipped) > 0 {
		s += fmt.Sprintf("; not printed: %s", strings.Join(d.Skipped, ", "))
	}
	return s + "; images are validated, then " + r.WaitReason(d.Site, d.Lines[0].Category)
}

// lines is "1 line" or "n lines".
func lines(n int) string {
	if n == 1 {
		return "1 line"
	}
	return fmt.Sprintf("%d lines", n)
}
