package gladly

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/azfunc"
	glad "github.com/popsockets/integration/shared/gladly"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/partnerset"
	"github.com/popsockets/integration/shared/webhook"
)

// FnLookup is the function's name (its folder under functions/).
const FnLookup = "gladly-lookup"

var lookupFns = []string{FnLookup}

// Flow is the Gladly flow.
var Flow = kit.Flow{
	Name: "gladly",
	Settings: slices.Concat(partnerset.OMS(lookupFns...), []kit.Setting{
		{Name: "GLADLY_SIGNING_KEYS", Description: "the signing key(s) Gladly's lookup adapter signs with; two, space-separated, during a rotation",
			Secret: true, Functions: lookupFns},
		{Name: "GLADLY_OMS_BUDGET_MS", Description: "how long the OMS calls of one lookup may take in all (Gladly waits 5 s); what is late is left out",
			Default: "3000", Check: kit.PositiveInt, Functions: lookupFns},
		{Name: "GLADLY_CACHE_SECONDS", Description: "how long an OMS answer is reused by later lookups", Default: "60", Check: kit.PositiveInt, Functions: lookupFns},
		{Name: "GLADLY_MAX_ORDERS", Description: "orders per customer a DETAILED lookup answers, newest first (at most 50)",
			Default: "10", Check: maxOrders, Functions: lookupFns},
		{Name: "GLADLY_ORDER_URL", Description: "customerOrderUrl of an order: a URL with {order_number} or {order_id} in it (empty: none)",
			Optional: true, Check: orderURL, Functions: lookupFns},
	}),
	Register: func(r *kit.Registry) {
		r.HTTP(FnLookup, http.MethodPost, "gladly/lookup", func(p *kit.Parts) (http.Handler, error) {
			v, err := glad.NewVerifier(webhook.ParseSecrets(p.Setting("GLADLY_SIGNING_KEYS")), p.Now())
			p.Fail(err)
			budget := time.Duration(p.Int("GLADLY_OMS_BUDGET_MS")) * time.Millisecond
			c, err := oms.New(oms.Config{BaseURL: p.Setting("OMS_BASE_URL"), Token: p.Setting("OMS_API_TOKEN"),
				Timeout: budget, HTTPClient: lookupClient()})
			p.Fail(err)
			return &Lookup{Verifier: v, OMS: c, Budget: budget, MaxOrders: p.Int("GLADLY_MAX_ORDERS"),
				Cache:   NewCache(time.Duration(p.Int("GLADLY_CACHE_SECONDS"))*time.Second, p.Now()),
				Mapping: Mapping{OrderURL: p.Setting("GLADLY_ORDER_URL")}}, nil
		}, azfunc.SkipGate())
	},
}

// lookupClient keeps connections to OMS open between lookups: a lookup
// makes several reads at once, and Gladly waits 5 s.
func lookupClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy: http.ProxyFromEnvironment, MaxIdleConns: 100, MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second,
		TLSHandshakeTimeout: 2 * time.Second, ForceAttemptHTTP2: true,
	}}
}

func maxOrders(v string) error {
	if n, err := strconv.Atoi(v); err != nil || n < 1 || n > oms.MaxOrdersLimit {
		return fmt.Errorf("is not a whole number from 1 to %d", oms.MaxOrdersLimit)
	}
	return nil
}

func orderURL(v string) error {
	if err := kit.HTTPSURL(strings.NewReplacer("{order_number}", "x", "{order_id}", "x").Replace(v)); err != nil {
		return err
	}
	if !strings.Contains(v, "{order_number}") && !strings.Contains(v, "{order_id}") {
		return errors.New("names neither {order_number} nor {order_id}")
	}
	return nil
}
