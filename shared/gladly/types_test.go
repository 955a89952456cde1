package gladly_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/gladly"
)

func TestDecodeLookup(t *testing.T) {
	t.Parallel()
	ok := []struct {
		name string
		body string
		want gladly.LookupRequest
	}{
		{"BasicWithLists", `{"lookupLevel":"BASIC","query":{"emails":["a@example.com"," b@example.com "],"phones":["+1 555 0100"],"name":"Avery Okafor"},"uniqueMatchRequired":false}`,
			gladly.LookupRequest{LookupLevel: "BASIC", Query: gladly.Query{Emails: []string{"a@example.com", "b@example.com"}, Phones: []string{"+1 555 0100"}, Name: "Avery Okafor"}}},
		{"AStringForAList", `{"lookupLevel":"basic","query":{"emails":"a@example.com"},"uniqueMatchRequired":true}`,
			gladly.LookupRequest{LookupLevel: "BASIC", UniqueMatchRequired: true, Query: gladly.Query{Emails: []string{"a@example.com"}}}},
		{"Detailed", `{"lookupLevel":"DETAILED","query":{"externalCustomerId":"CUST-1","emails":[]},"uniqueMatchRequired":true}`,
			gladly.LookupRequest{LookupLevel: "DETAILED", UniqueMatchRequired: true, Query: gladly.Query{ExternalCustomerID: "CUST-1", Emails: []string{}}}},
		{"UnknownFieldsAreIgnored", `{"lookupLevel":"BASIC","query":{"name":"Q","customAttributes":{"x":"1"}},"uniqueMatchRequired":false,"extra":1}`,
			gladly.LookupRequest{LookupLevel: "BASIC", Query: gladly.Query{Name: "Q"}}},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := gladly.DecodeLookup([]byte(tc.body))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	bad := []struct{ name, body, says string }{
		{"NotJSON", `lookupLevel=BASIC`, "not a JSON object"},
		{"NoLevel", `{"query":{},"uniqueMatchRequired":false}`, "lookupLevel is missing"},
		{"OtherLevel", `{"lookupLevel":"FULL","query":{},"uniqueMatchRequired":false}`, "not BASIC or DETAILED"},
		{"NoUniqueMatch", `{"lookupLevel":"BASIC","query":{}}`, "uniqueMatchRequired is missing"},
		{"NoQuery", `{"lookupLevel":"BASIC","uniqueMatchRequired":false}`, "query is missing"},
		{"DetailedWithoutID", `{"lookupLevel":"DETAILED","query":{"emails":["a@example.com"]},"uniqueMatchRequired":true}`, "externalCustomerId is missing"},
		{"EmailNotAString", `{"lookupLevel":"BASIC","query":{"emails":[1]},"uniqueMatchRequired":false}`, "query.emails is not a string"},
		{"EmptyEmail", `{"lookupLevel":"BASIC","query":{"emails":["a@example.com",""]},"uniqueMatchRequired":false}`, "query.emails[1] is empty"},
		{"ControlInName", `{"lookupLevel":"BASIC","query":{"name":"Avery\u0000Okafor"},"uniqueMatchRequired":false}`, "query.name holds a control character"},
		{"TooMany", `{"lookupLevel":"BASIC","query":{"phones":[` + strings.Repeat(`"1",`, 20) + `"1"]},"uniqueMatchRequired":false}`, "more than 20"},
		{"TooLong", `{"lookupLevel":"BASIC","query":{"name":"` + strings.Repeat("x", 400) + `"},"uniqueMatchRequired":false}`, "longer than 320"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := gladly.DecodeLookup([]byte(tc.body))
			require.Equal(t, fault.ClassMalformed, fault.ClassOf(err))
			require.ErrorContains(t, err, tc.says)
			require.NotContains(t, err.Error(), "a@example.com", "errors name the field, never its value")
			require.NotContains(t, err.Error(), "Avery")
		})
	}
}

func FuzzDecodeLookup(f *testing.F) {
	f.Add([]byte(`{"lookupLevel":"BASIC","query":{"emails":["a@example.com"],"phones":"+1 555 0100","name":"Q"},"uniqueMatchRequired":false}`))
	f.Add([]byte(`{"lookupLevel":"DETAILED","query":{"externalCustomerId":"CUST-1"},"uniqueMatchRequired":true}`))
	f.Add([]byte(`{"lookupLevel":null,"query":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := gladly.DecodeLookup(b)
		if err != nil {
			require.Equal(t, fault.ClassMalformed, fault.ClassOf(err))
			return
		}
		require.Contains(t, []string{gladly.LevelBasic, gladly.LevelDetailed}, req.LookupLevel)
		if req.LookupLevel == gladly.LevelDetailed {
			require.NotEmpty(t, req.Query.ExternalCustomerID)
		}
		for _, v := range append(append([]string{}, req.Query.Emails...), req.Query.Phones...) {
			require.NotEmpty(t, v)
			require.LessOrEqual(t, len(v), gladly.MaxValueBytes)
		}
	})
}
