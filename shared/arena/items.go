package arena

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/fault"
)

// Page asks for one page of a list: Offset from 0, Limit at most
// MaxPageLimit (0: MaxPageLimit). A page shorter than Limit is the last.
type Page struct {
	Offset, Limit int
}

func (p Page) values() (url.Values, int, error) {
	limit := p.Limit
	if limit == 0 {
		limit = MaxPageLimit
	}
	if limit < 0 || limit > MaxPageLimit || p.Offset < 0 {
		return nil, 0, fault.Permanentf("an Arena page holds 1 to %d results (asked for offset %d, limit %d)", MaxPageLimit, p.Offset, p.Limit)
	}
	return url.Values{ParamOffset: {strconv.Itoa(p.Offset)}, ParamLimit: {strconv.Itoa(limit)}}, limit, nil
}

// Item returns an item (its effective revision) or a revision of it, by
// GUID, with every additional attribute; the raw answer comes with it.
func (c *Client) Item(ctx context.Context, guid string) (Item, json.RawMessage, error) {
	if strings.TrimSpace(guid) == "" {
		return Item{}, nil, fault.Permanentf("getting an Arena item: no GUID")
	}
	var raw json.RawMessage
	q := url.Values{ParamIncludeEmpty: {"true"}, ParamResponseView: {ResponseViewFull}}
	if err := c.do(ctx, request{method: http.MethodGet, path: ItemPath(guid), query: q, what: "getting Arena item " + guid}, &raw); err != nil {
		return Item{}, nil, err
	}
	var it Item
	if err := json.Unmarshal(raw, &it); err != nil || it.Number == "" {
		return Item{}, nil, fault.Transient(fmt.Errorf("getting Arena item %s: the answer is not an item", guid), 0)
	}
	return it, raw, nil
}

// FindItems lists items whose number is number exactly.
func (c *Client) FindItems(ctx context.Context, number string) ([]Item, error) {
	if strings.TrimSpace(number) == "" {
		return nil, fault.Permanentf("finding an Arena item: no item number")
	}
	q, _, _ := Page{}.values()
	q.Set(ParamNumber, EscapeNumber(number))
	q.Set(ParamResponseView, ResponseViewFull)
	var w WireList[Item]
	if err := c.do(ctx, request{method: http.MethodGet, path: PathItems, query: q, what: "finding Arena item " + number}, &w); err != nil {
		return nil, err
	}
	var out []Item
	for _, it := range w.Results {
		if it.Number == number {
			out = append(out, it)
		}
	}
	return out, nil
}

// ItemsEffectiveSince lists one page of items whose effective revision was
// made effective at or after since (for workspaces without outbound events).
func (c *Client) ItemsEffectiveSince(ctx context.Context, since time.Time, p Page) ([]Item, bool, error) {
	q, limit, err := p.values()
	if err != nil {
		return nil, false, err
	}
	q.Set(ParamEffectiveFrom, since.UTC().Format(time.RFC3339))
	q.Set(ParamResponseView, ResponseViewFull)
	var w WireList[Item]
	if err := c.do(ctx, request{method: http.MethodGet, path: PathItems, query: q, what: "listing Arena items changed since " + since.UTC().Format(time.RFC3339)}, &w); err != nil {
		return nil, false, err
	}
	return w.Results, len(w.Results) < limit, nil
}

// BOM returns the item's bill of materials (its immediate children).
func (c *Client) BOM(ctx context.Context, guid string) ([]BOMLine, json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.do(ctx, request{method: http.MethodGet, path: itemBOMPath(guid), what: "getting the BOM of Arena item " + guid}, &raw); err != nil {
		return nil, nil, err
	}
	var w WireList[BOMLine]
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, nil, fault.Transient(fmt.Errorf("getting the BOM of Arena item %s: the answer does not decode: %w", guid, err), 0)
	}
	return w.Results, raw, nil
}

// Events lists one page of an outbound integration's unreconciled events.
func (c *Client) Events(ctx context.Context, integration string, p Page) ([]Event, bool, error) {
	q, limit, err := p.values()
	if err != nil {
		return nil, false, err
	}
	q.Set(ParamItemsReconciled, "false")
	var w WireList[Event]
	if err := c.do(ctx, request{method: http.MethodGet, path: eventsPath(integration), query: q, what: "listing Arena events"}, &w); err != nil {
		return nil, false, err
	}
	return w.Results, len(w.Results) < limit, nil
}

// EventItems lists one page of the unreconciled items of an event.
func (c *Client) EventItems(ctx context.Context, integration, event string, p Page) ([]EventItem, bool, error) {
	q, limit, err := p.values()
	if err != nil {
		return nil, false, err
	}
	q.Set(ParamReconciled, "false")
	var w WireList[EventItem]
	if err := c.do(ctx, request{method: http.MethodGet, path: eventPath(integration, event) + "/items", query: q, what: "listing the items of Arena event " + event}, &w); err != nil {
		return nil, false, err
	}
	return w.Results, len(w.Results) < limit, nil
}

// Reconcile marks every item of an event reconciled; doing it twice is harmless.
func (c *Client) Reconcile(ctx context.Context, integration, event string) error {
	return c.do(ctx, request{method: http.MethodPut, path: eventPath(integration, event), body: WireReconcile{ItemsReconciled: true},
		what: "reconciling Arena event " + event}, nil)
}

// EffectiveAt reads an Arena time (RFC 3339, UTC); zero when empty or unreadable.
func EffectiveAt(s string) time.Time {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// Text is an attribute's value as text: a string as it is, a number as
// written, a list joined with ";", null as "".
func (a Attribute) Text() string {
	raw := strings.TrimSpace(string(a.Value))
	if raw == "" || raw == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(a.Value, &s) == nil {
		return s
	}
	var list []any
	if json.Unmarshal(a.Value, &list) == nil {
		parts := make([]string, 0, len(list))
		for _, v := range list {
			parts = append(parts, fmt.Sprint(v))
		}
		return strings.Join(parts, ";")
	}
	return raw
}
