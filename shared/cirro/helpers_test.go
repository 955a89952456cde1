package cirro_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/cirro"
	"github.com/popsockets/integration/shared/cirro/cirrotest"
)

// start is the hour every clock in these tests begins at.
var start = time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)

// pair starts a fake and a client that share clock; mod adjusts the client's
// config before New.
func pair(t *testing.T, fc cirrotest.Config, mod func(*cirro.Config)) (*cirro.Client, *cirrotest.Server, *cirrotest.Clock) {
	t.Helper()
	clock := cirrotest.NewClock(start)
	if fc.Now == nil {
		fc.Now = clock.Now
	}
	srv := cirrotest.NewServer(fc)
	t.Cleanup(srv.Close)
	cfg := cirro.Config{
		BaseURL:       srv.URL(),
		AppKey:        srv.AppKey(),
		AppToken:      srv.AppToken(),
		Timeout:       30 * time.Second, // generous: tests that time out set their own
		HTTPClient:    pooled(),
		Now:           clock.Now,
		RatePerMinute: 1_000_000,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := cirro.New(cfg)
	require.NoError(t, err)
	return c, srv, clock
}

// pooled is an HTTP client that keeps enough idle connections for the
// concurrency tests to reuse them instead of dialling anew.
func pooled() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	return &http.Client{Transport: tr}
}

// b2cOrder is an order with made-up consignee data.
func b2cOrder(ref string) cirro.OrderCreate {
	return cirro.OrderCreate{
		ReferenceNo:    ref,
		ShippingMethod: "USPS_GROUND",
		WarehouseCode:  "US-NJ-01",
		Consignee: cirro.Consignee{
			Name:        "Jane Example",
			Phone:       "+1 555 0100",
			Email:       "jane@example.com",
			CountryCode: "US",
			Province:    "CO",
			City:        "Boulder",
			Address1:    "1 Example Way",
			Address2:    "Unit 4",
			Zipcode:     "80301",
		},
		Items:  []cirro.Item{{SKU: "PS-GRIP-BLK", Quantity: 2}, {SKU: "PS-MOUNT-WHT", Quantity: 1}},
		Remark: "gift",
	}
}

func b2bOrder(ref, po string) cirro.B2BOrderCreate {
	o := b2cOrder(ref)
	o.ShippingMethod = "UPS_GROUND"
	o.Consignee = cirro.Consignee{
		Name:        "Receiving Dock 7",
		Company:     "Example Retail DC",
		CountryCode: "US",
		Province:    "PA",
		City:        "Carlisle",
		Address1:    "100 Distribution Dr",
		Zipcode:     "17013",
	}
	o.Remark = ""
	return cirro.B2BOrderCreate{
		OrderCreate:   o,
		PONumber:      po,
		LabelTemplate: []byte(`{"ucc_label":{"dept":"042","dc":"6001","store":"","type":"UCC128","items":[{"upc":"810000000017","product_sku":"PS-GRIP-BLK","platform_sku":"B0EXAMPLE1"}]}}`),
		CartonList:    []byte(`[{"carton_no":1,"label_url":"https://labels.example.com/1.pdf"}]`),
	}
}
