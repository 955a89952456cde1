package main

import (
	"context"
	"net/http"

	"github.com/popsockets/integration/shared/devhost/localpartners"
	"github.com/popsockets/integration/shared/gladly"
	"github.com/popsockets/integration/shared/gladly/gladlytest"
)

// seedGladly plays Gladly: a BASIC lookup by a customer's email, the
// DETAILED lookup of that customer, and a tampered one, which is refused.
func seedGladly(ctx context.Context, p *localpartners.Partners, say func(string, ...any)) {
	if p.Gladly == nil || len(p.Customers) == 0 {
		return
	}
	g, c := p.Gladly, p.Customers[0]
	say("")
	say("gladly: lookups signed like Gladly's, POST %s", g.URL)
	status, resp, err := g.Lookup(ctx, gladlytest.Basic([]string{c.Email}, nil, ""))
	if err != nil || status != http.StatusOK {
		say("  BASIC by email: %d %v", status, err)
		return
	}
	say("  BASIC by email: %d customer(s): %s", len(resp.Results), c.ID)
	status, resp, err = g.Lookup(ctx, gladlytest.Detailed(c.ID))
	if err != nil || status != http.StatusOK || len(resp.Results) != 1 {
		say("  DETAILED %s: %d %v", c.ID, status, err)
		return
	}
	r := resp.Results[0]
	say("  DETAILED %s: %d orders, lookupStatus %s", c.ID, len(r.Transactions), r.CustomAttributes["lookupStatus"])
	for _, t := range r.Transactions {
		tracking := ""
		if len(t.Fulfillments) > 0 {
			tracking = t.Fulfillments[0].Carrier + " " + t.Fulfillments[0].TrackingNumber
		}
		say("    %s  %s  %-10s %9s  %d products  %s", t.OrderNumber, t.CreatedAt, t.OrderStatus, t.OrderTotal, len(t.Products), tracking)
	}
	req, err := g.NewRequest(ctx, gladlytest.Detailed(c.ID))
	if err != nil {
		return
	}
	req.Header.Set(gladly.HeaderCorrelationID, "tampered-after-signing")
	status, _, _ = g.Do(req)
	say("  the same lookup with a header changed after signing: %d", status)
}
