package localpartners

import (
	"strings"

	"github.com/popsockets/integration/shared/gladly/gladlytest"
	"github.com/popsockets/integration/shared/oms/omstest"
)

// GladlyCustomers is how many invented customers the OMS fake holds for
// Gladly's lookups.
const GladlyCustomers = 20

// startGladly plays Gladly: lookups signed with a fresh key, posted to the
// host's gladly-lookup (anonymous: the signature is the authentication),
// and OMS orders of invented customers for them to find.
func (p *Partners) startGladly(hostURL string) {
	key := RandomSecret(24)
	p.Gladly = &gladlytest.Gladly{URL: strings.TrimRight(hostURL, "/") + "/api/gladly/lookup", Key: key}
	for _, orders := range omstest.SampleCustomers(GladlyCustomers, 1) {
		p.Customers = append(p.Customers, orders[0].Customer)
		for _, o := range orders {
			p.OMS.AddCustomerOrder(o)
		}
	}
	p.Settings["GLADLY_SIGNING_KEYS"] = key
}
