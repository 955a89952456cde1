package omstest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/oms"
)

// Sample is one order OMS would ask us to fulfil, with its customer in clear.
type Sample struct {
	Request  oms.FulfillmentRequest
	Customer oms.Customer
}

// ShipMethods are the ship method codes the samples use.
var ShipMethods = []string{"STANDARD", "EXPRESS", "2DAY"}

// sampleEpoch is when the first sample was requested; the rest follow it.
var sampleEpoch = time.Date(2026, time.March, 2, 14, 0, 0, 0, time.UTC)

type sku struct {
	code  string
	price int64 // minor units, USD
}

var (
	skus = []sku{
		{"PS-GRIP-BLK", 1500}, {"PS-GRIP-WHT", 1500}, {"PS-GRIP-MRBL", 2000},
		{"PS-MAGSAFE-BLK", 3000}, {"PS-MAGSAFE-SAGE", 3000}, {"PS-WALLET-BLK", 3500},
		{"PS-MOUNT-CAR", 2500}, {"PS-CASE-IP15-CLR", 4000}, {"PS-CUSTOM-CYO", 2500},
	}
	packCodes  = []string{"PK6", "PK12", "PK24"}
	firstNames = []string{"Avery", "Jordan", "Riley", "Casey", "Morgan", "Quinn", "Harper", "Rowan", "Emerson", "Sky"}
	lastNames  = []string{"Lindqvist", "Okafor", "Marchetti", "Nakamura", "Delacroix", "Brennan", "Haddad", "Novak", "Ferreira", "Castillo"}
	streets    = []string{"Maple Ave", "Cedar St", "Harbor Rd", "Pine Ridge Dr", "Juniper Ln", "Willow Ct", "Aspen Way", "Lakeview Blvd"}
	places     = []struct{ city, region, zip string }{
		{"Boulder", "CO", "80302"}, {"Portland", "OR", "97205"}, {"Austin", "TX", "78704"},
		{"Madison", "WI", "53703"}, {"Raleigh", "NC", "27601"}, {"Tucson", "AZ", "85701"},
		{"Burlington", "VT", "05401"}, {"Ann Arbor", "MI", "48104"},
	}
	retailers  = []string{"Northwind Retail", "Blue Heron Stores", "Summit Outfitters", "Cobalt Mobile Supply"}
	warehouses = []string{"", "", "US-EAST", "US-WEST"}
)

// SampleOrders returns n realistic orders, the same for the same seed:
// mostly sfcc and shopify B2C orders, some b2b_portal orders (order type
// 70, a PO number, a company, pre-packed lines), ship methods from
// ShipMethods. Every customer is invented: example.com emails and 555-01xx
// phone numbers.
func SampleOrders(n int, seed int64) []Sample {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x0df5))
	first := 200000 + rng.IntN(700000)
	out := make([]Sample, 0, n)
	for i := range n {
		id := fmt.Sprintf("ORD%06d", first+i)
		var source string
		switch p := rng.IntN(100); {
		case p < 50:
			source = oms.SourceSFCC
		case p < 82:
			source = oms.SourceShopify
		default:
			source = oms.SourceB2BPortal
		}
		b2b := source == oms.SourceB2BPortal
		r := oms.FulfillmentRequest{
			OrderID:     id,
			Source:      source,
			ShipMethod:  ShipMethods[rng.IntN(len(ShipMethods))],
			Warehouse:   warehouses[rng.IntN(len(warehouses))],
			RequestedAt: sampleEpoch.Add(time.Duration(i) * 7 * time.Minute),
		}
		switch source {
		case oms.SourceSFCC:
			r.OrderNumber = fmt.Sprintf("PS%08d", 10000000+rng.IntN(90000000))
		case oms.SourceShopify:
			r.OrderNumber = fmt.Sprintf("#%d", 1000+first%9000+i)
		default:
			r.OrderNumber = fmt.Sprintf("B2B-%06d", first+i)
			r.OrderType = 70
			r.PONumber = fmt.Sprintf("PO%07d", rng.IntN(10000000))
		}
		lines := 1 + rng.IntN(3)
		for l := range lines {
			s := skus[rng.IntN(len(skus))]
			line := oms.Line{LineNo: l + 1, SKU: s.code, Quantity: 1 + rng.IntN(3), UnitPriceMinor: s.price, Currency: "USD"}
			if b2b {
				line.Quantity = 6 * (1 + rng.IntN(20))
				if rng.IntN(3) > 0 {
					line.PackCode = packCodes[rng.IntN(len(packCodes))]
				}
			} else if rng.IntN(10) == 0 {
				line.PackCode = packCodes[0]
			}
			r.Lines = append(r.Lines, line)
		}
		fn, ln := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
		pl := places[rng.IntN(len(places))]
		c := oms.Customer{
			Name:  fn + " " + ln,
			Email: strings.ToLower(fn+"."+ln) + "@example.com",
			Phone: fmt.Sprintf("+1 %03d-555-01%02d", 200+rng.IntN(700), rng.IntN(100)),
			Address: oms.Address{
				Line1:      fmt.Sprintf("%d %s", 10+rng.IntN(9900), streets[rng.IntN(len(streets))]),
				City:       pl.city,
				Region:     pl.region,
				PostalCode: pl.zip,
				Country:    "US",
			},
		}
		if rng.IntN(4) == 0 {
			c.Address.Line2 = fmt.Sprintf("Apt %d", 1+rng.IntN(40))
		}
		if b2b {
			c.Company = retailers[rng.IntN(len(retailers))]
			c.Address.Line2 = "Receiving Dock " + string(rune('A'+rng.IntN(4)))
		}
		out = append(out, Sample{Request: r, Customer: c})
	}
	return out
}
