package gladly

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/popsockets/integration/shared/fault"
)

// LookupRequest is what Gladly posts to the lookup URL.
type LookupRequest struct {
	// LookupLevel is BASIC (auto-link and search) or DETAILED (a refresh
	// of one linked customer); DecodeLookup upper-cases it.
	LookupLevel string `json:"lookupLevel"`
	Query       Query  `json:"query"`
	// UniqueMatchRequired is true for auto-linking and DETAILED lookups.
	UniqueMatchRequired bool `json:"uniqueMatchRequired"`
}

// Query is what Gladly knows of the customer. Personal data: never logged.
type Query struct {
	Emails             []string `json:"emails,omitempty"`
	Phones             []string `json:"phones,omitempty"`
	Name               string   `json:"name,omitempty"`
	ExternalCustomerID string   `json:"externalCustomerId,omitempty"`
}

// LookupResponse is the answer.
type LookupResponse struct {
	Results []Result `json:"results"`
}

// Result is one customer. Leaving a field out keeps what Gladly has;
// an empty custom attribute clears it.
type Result struct {
	ExternalCustomerID string            `json:"externalCustomerId"`
	Name               string            `json:"name,omitempty"`
	Address            string            `json:"address,omitempty"`
	Emails             []Email           `json:"emails,omitempty"`
	Phones             []Phone           `json:"phones,omitempty"`
	CustomAttributes   map[string]string `json:"customAttributes,omitempty"`
	Transactions       []Transaction     `json:"transactions,omitempty"`
}

// Email is one of a customer's addresses.
type Email struct {
	Original string `json:"original"`
}

// Phone is one of a customer's numbers.
type Phone struct {
	Original string `json:"original"`
	Type     string `json:"type,omitempty"`
}

// Transaction is an ORDER transaction as Sidekick reads it.
type Transaction struct {
	Type        string `json:"type"`
	OrderID     string `json:"orderId"`
	OrderNumber string `json:"orderNumber,omitempty"`
	// CreatedAt is ISO 8601.
	CreatedAt   string `json:"createdAt"`
	OrderStatus string `json:"orderStatus"`
	// OrderTotal carries the currency symbol ("$45.00").
	OrderTotal       string `json:"orderTotal"`
	CurrencyCode     string `json:"currencyCode,omitempty"`
	CustomerOrderURL string `json:"customerOrderUrl,omitempty"`
	// Products and Fulfillments are left out when the order's details are
	// not known (OMS did not answer in time), never sent empty for it.
	Products     []Product     `json:"products,omitempty"`
	Fulfillments []Fulfillment `json:"fulfillments,omitempty"`
}

// Product is one line of an order.
type Product struct {
	Name      string `json:"name"`
	SKU       string `json:"sku"`
	Quantity  int    `json:"quantity"`
	UnitPrice string `json:"unitPrice,omitempty"`
	Status    string `json:"status,omitempty"`
}

// Fulfillment is one shipment of an order, with its tracking.
type Fulfillment struct {
	Status         string `json:"status"`
	Carrier        string `json:"carrier,omitempty"`
	TrackingNumber string `json:"trackingNumber,omitempty"`
	TrackingURL    string `json:"trackingUrl,omitempty"`
	ShippedAt      string `json:"shippedAt,omitempty"`
}

// Limits of what a lookup may carry.
const (
	MaxQueryValues = 20
	MaxValueBytes  = 320
)

// DecodeLookup reads a lookup request strictly: JSON with lookupLevel
// BASIC or DETAILED (any case), uniqueMatchRequired a boolean, emails and
// phones a string or a list of non-empty strings, name a non-empty
// string, and externalCustomerId a non-empty string, present in DETAILED.
// Errors are Malformed and name the field, never its value.
func DecodeLookup(body []byte) (LookupRequest, error) {
	var raw struct {
		LookupLevel         *string         `json:"lookupLevel"`
		Query               json.RawMessage `json:"query"`
		UniqueMatchRequired *bool           `json:"uniqueMatchRequired"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return LookupRequest{}, fault.Malformedf("lookup is not a JSON object with lookupLevel, query and uniqueMatchRequired")
	}
	var req LookupRequest
	switch {
	case raw.LookupLevel == nil:
		return req, fault.Malformedf("lookupLevel is missing")
	case strings.EqualFold(*raw.LookupLevel, LevelBasic):
		req.LookupLevel = LevelBasic
	case strings.EqualFold(*raw.LookupLevel, LevelDetailed):
		req.LookupLevel = LevelDetailed
	default:
		return req, fault.Malformedf("lookupLevel is not BASIC or DETAILED")
	}
	if raw.UniqueMatchRequired == nil {
		return req, fault.Malformedf("uniqueMatchRequired is missing")
	}
	req.UniqueMatchRequired = *raw.UniqueMatchRequired
	var q struct {
		Emails             json.RawMessage `json:"emails"`
		Phones             json.RawMessage `json:"phones"`
		Name               json.RawMessage `json:"name"`
		ExternalCustomerID json.RawMessage `json:"externalCustomerId"`
	}
	if len(bytes.TrimSpace(raw.Query)) == 0 || json.Unmarshal(raw.Query, &q) != nil {
		return req, fault.Malformedf("query is missing or not an object")
	}
	var err error
	if req.Query.Emails, err = stringOrList("query.emails", q.Emails); err != nil {
		return req, err
	}
	if req.Query.Phones, err = stringOrList("query.phones", q.Phones); err != nil {
		return req, err
	}
	if req.Query.Name, err = optionalString("query.name", q.Name); err != nil {
		return req, err
	}
	if req.Query.ExternalCustomerID, err = optionalString("query.externalCustomerId", q.ExternalCustomerID); err != nil {
		return req, err
	}
	if req.LookupLevel == LevelDetailed && req.Query.ExternalCustomerID == "" {
		return req, fault.Malformedf("query.externalCustomerId is missing: a DETAILED lookup needs it")
	}
	return req, nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

func stringOrList(field string, raw json.RawMessage) ([]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if err := checkValue(field, one); err != nil {
			return nil, err
		}
		return []string{strings.TrimSpace(one)}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fault.Malformedf("%s is not a string or a list of strings", field)
	}
	if len(list) > MaxQueryValues {
		return nil, fault.Malformedf("%s has %d values, more than %d", field, len(list), MaxQueryValues)
	}
	out := make([]string, 0, len(list))
	for i, v := range list {
		if err := checkValue(fmt.Sprintf("%s[%d]", field, i), v); err != nil {
			return nil, err
		}
		out = append(out, strings.TrimSpace(v))
	}
	return out, nil
}

func optionalString(field string, raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fault.Malformedf("%s is not a string", field)
	}
	if err := checkValue(field, s); err != nil {
		return "", err
	}
	return strings.TrimSpace(s), nil
}

// checkValue refuses an empty, over-long or control-character value.
func checkValue(field, v string) error {
	switch {
	case strings.TrimSpace(v) == "":
		return fault.Malformedf("%s is empty", field)
	case len(v) > MaxValueBytes:
		return fault.Malformedf("%s is longer than %d bytes", field, MaxValueBytes)
	case !utf8.ValidString(v):
		return fault.Malformedf("%s is not valid UTF-8", field)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return fault.Malformedf("%s holds a control character", field)
	}
	return nil
}
