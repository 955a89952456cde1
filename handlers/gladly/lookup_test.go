package gladly_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/handlers/gladly"
	"github.com/popsockets/integration/shared/azfunc"
	glad "github.com/popsockets/integration/shared/gladly"
	"github.com/popsockets/integration/shared/gladly/gladlytest"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/oms/omstest"
)

type lockedLog struct {
	mu sync.Mutex
	strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.Builder.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.Builder.String()
}

type fixture struct {
	oms       *omstest.Server
	gladly    *gladlytest.Gladly
	logs      *lockedLog
	customers [][]oms.OrderDetail
	clock     *clock
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// start runs gladly-lookup behind the custom-handler server, on the OMS
// fake seeded with sample customers, and a Gladly that signs like Gladly.
func start(t *testing.T, budget time.Duration) *fixture { return startWith(t, budget, nil) }

func startWith(t *testing.T, budget time.Duration, wrap func(gladly.OrderReader) gladly.OrderReader) *fixture {
	t.Helper()
	f := &fixture{oms: omstest.NewServer(omstest.Config{}), logs: &lockedLog{}, clock: &clock{t: time.Now()}}
	t.Cleanup(f.oms.Close)
	f.customers = omstest.SampleCustomers(6, 21)
	for _, orders := range f.customers {
		for _, o := range orders {
			f.oms.AddCustomerOrder(o)
		}
	}
	c, err := oms.New(oms.Config{BaseURL: f.oms.URL(), Token: f.oms.Token(), Timeout: budget})
	require.NoError(t, err)
	v, err := glad.NewVerifier([]string{"current-key", "retiring-key"}, nil)
	require.NoError(t, err)
	var reader gladly.OrderReader = c
	if wrap != nil {
		reader = wrap(c)
	}
	h := &gladly.Lookup{Verifier: v, OMS: reader, Budget: budget, MaxOrders: 10, Cache: gladly.NewCache(time.Minute, f.clock.now)}
	srv, err := azfunc.NewServer(azfunc.Config{Logging: azfunc.NewLogging(f.logs, f.logs, nil, nil)})
	require.NoError(t, err)
	srv.HTTP("gladly-lookup", http.MethodPost, "gladly/lookup", h, azfunc.SkipGate())
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	f.gladly = &gladlytest.Gladly{URL: hs.URL + "/api/gladly/lookup", Key: "current-key"}
	return f
}

func (f *fixture) lookup(t *testing.T, req glad.LookupRequest) *glad.LookupResponse {
	t.Helper()
	status, resp, err := f.gladly.Lookup(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status, lastLine(f.logs.String()))
	return resp
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestBasicLookups(t *testing.T) {
	t.Parallel()
	f := start(t, 3*time.Second)
	cust := f.customers[0][0].Customer
	for name, req := range map[string]glad.LookupRequest{
		"ByEmail":             gladlytest.Basic([]string{"nobody@example.com", strings.ToUpper(cust.Email)}, nil, ""),
		"ByPhone":             gladlytest.Basic(nil, []string{cust.Phone}, ""),
		"ByName":              gladlytest.Basic(nil, nil, cust.Name),
		"ByAllOfThemAtOnce":   gladlytest.Basic([]string{cust.Email}, []string{cust.Phone}, cust.Name),
		"WithTheRetiringKey":  gladlytest.Basic([]string{cust.Email}, nil, ""),
		"NothingKnownMatches": gladlytest.Basic([]string{"nobody@example.com"}, nil, ""),
	} {
		t.Run(name, func(t *testing.T) {
			g := f.gladly
			if name == "WithTheRetiringKey" {
				g = &gladlytest.Gladly{URL: f.gladly.URL, Key: "retiring-key"}
			}
			status, resp, err := g.Lookup(context.Background(), req)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, status)
			if name == "NothingKnownMatches" {
				require.Empty(t, resp.Results)
				return
			}
			require.Len(t, resp.Results, 1, "one customer, however many searches found them")
			r := resp.Results[0]
			require.Equal(t, cust.ID, r.ExternalCustomerID)
			require.Equal(t, cust.Name, r.Name)
			require.Equal(t, []glad.Email{{Original: cust.Email}}, r.Emails)
		})
	}
	require.NotContains(t, f.logs.String(), cust.Email, "no personal data in the logs")
	require.NotContains(t, f.logs.String(), cust.Name)
	require.NotContains(t, f.logs.String(), cust.Phone)
	require.Contains(t, f.logs.String(), `"event":"gladly lookup answered"`)
}

func TestDetailedLookup(t *testing.T) {
	t.Parallel()
	f := start(t, 3*time.Second)
	orders := f.customers[1]
	id := orders[0].Customer.ID
	resp := f.lookup(t, gladlytest.Detailed(id))
	require.Len(t, resp.Results, 1, "DETAILED answers exactly one result")
	r := resp.Results[0]
	require.Equal(t, id, r.ExternalCustomerID)
	require.Equal(t, gladly.StatusComplete, r.CustomAttributes["lookupStatus"])
	require.Len(t, r.Transactions, len(orders))
	for _, tr := range r.Transactions {
		require.Equal(t, glad.TransactionOrder, tr.Type)
		require.NotEmpty(t, tr.Products)
		require.Regexp(t, `^\$\d`, tr.OrderTotal)
		if tr.OrderStatus == glad.OrderShipped {
			require.NotEmpty(t, tr.Fulfillments[0].TrackingNumber)
		}
	}
	require.Contains(t, f.logs.String(), `"correlation_id":"`+id+`"`)

	t.Run("AnUnknownCustomerHasNoResult", func(t *testing.T) {
		require.Empty(t, f.lookup(t, gladlytest.Detailed("CUST-NOBODY")).Results)
	})
}

// TestSignatureFailuresAre401AndReachNothing: tampered, stale and unsigned
// lookups are refused before OMS is asked, with a reason in the log line.
func TestSignatureFailuresAre401AndReachNothing(t *testing.T) {
	t.Parallel()
	f := start(t, 3*time.Second)
	ctx := context.Background()
	body := `{"lookupLevel":"DETAILED","query":{"externalCustomerId":"` + f.customers[0][0].Customer.ID + `"},"uniqueMatchRequired":true}`
	cases := map[string]func(*http.Request){
		"Unsigned": func(r *http.Request) { r.Header.Del(glad.HeaderAuthorization); r.Header.Del(glad.HeaderTime) },
		"TamperedBody": func(r *http.Request) {
			tampered := strings.Replace(body, "DETAILED", "BASIC", 1)
			r.Body, r.ContentLength = nopBody(tampered), int64(len(tampered))
		},
		"TamperedHeader": func(r *http.Request) { r.Header.Set(glad.HeaderCorrelationID, "someone-else") },
		"WrongKey":       nil,
	}
	calls := len(f.oms.Calls())
	for name, tamper := range cases {
		t.Run(name, func(t *testing.T) {
			g := f.gladly
			if name == "WrongKey" {
				g = &gladlytest.Gladly{URL: f.gladly.URL, Key: "not-the-key"}
			}
			r, err := g.NewRawRequest(ctx, []byte(body))
			require.NoError(t, err)
			if tamper != nil {
				tamper(r)
			}
			status, answer, err := g.Do(r)
			require.NoError(t, err)
			require.Equal(t, http.StatusUnauthorized, status)
			require.Contains(t, string(answer), `"class":"unauthorized"`)
		})
	}
	t.Run("Stale", func(t *testing.T) {
		old := &gladlytest.Gladly{URL: f.gladly.URL, Key: "current-key", Now: func() time.Time { return time.Now().Add(-6 * time.Minute) }}
		status, _, err := old.Lookup(ctx, gladlytest.Detailed("CUST-1"))
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, status)
	})
	require.Len(t, f.oms.Calls(), calls, "OMS was never asked")
	logs := f.logs.String()
	for _, reason := range []string{glad.ReasonMissing, glad.ReasonSignature, glad.ReasonStale} {
		require.Contains(t, logs, `"reason":"`+reason+`"`)
	}
	require.NotContains(t, logs, "someone-else", "nothing the caller sent is logged")

	t.Run("SignedButMalformedIs400", func(t *testing.T) {
		r, err := f.gladly.NewRawRequest(ctx, []byte(`{"lookupLevel":"DETAILED","query":{},"uniqueMatchRequired":true}`))
		require.NoError(t, err)
		status, answer, err := f.gladly.Do(r)
		require.NoError(t, err)
		require.Equal(t, http.StatusBadRequest, status)
		require.Contains(t, string(answer), "externalCustomerId is missing")
	})
}

// TestSlowOrDownOMSYieldsPartialDataWithinTheBudget: whatever OMS has not
// answered when the budget runs out is left out, and the answer says so;
// a cached answer stands in when OMS fails.
func TestSlowOrDownOMSYieldsPartialDataWithinTheBudget(t *testing.T) {
	t.Parallel()
	const budget = 300 * time.Millisecond
	f := start(t, budget)
	orders := f.customers[2]
	id := orders[0].Customer.ID

	t.Run("NothingInTimeIsAnEmptyPartialResultNotATimeout", func(t *testing.T) {
		f.oms.Delay(2 * time.Second)
		start := time.Now()
		resp := f.lookup(t, gladlytest.Detailed(id))
		took := time.Since(start)
		f.oms.Delay(0)
		require.Less(t, took, budget+400*time.Millisecond, "answered at the budget, far within Gladly's 5 s")
		require.Len(t, resp.Results, 1)
		require.Equal(t, id, resp.Results[0].ExternalCustomerID)
		require.Equal(t, "partial: OMS answered 0 of 1 reads in time", resp.Results[0].CustomAttributes["lookupStatus"])
		require.Nil(t, resp.Results[0].Transactions)
	})

	t.Run("LateDetailsAreLeftOut", func(t *testing.T) {
		slow := map[string]bool{orders[0].OrderID: true}
		g := startWith(t, budget, func(r gladly.OrderReader) gladly.OrderReader { return &slowDetails{OrderReader: r, slow: slow} })
		start := time.Now()
		resp := g.lookup(t, gladlytest.Detailed(g.customers[2][0].Customer.ID))
		require.Less(t, time.Since(start), budget+400*time.Millisecond)
		r := resp.Results[0]
		require.Len(t, r.Transactions, len(orders), "every order is listed")
		for _, tr := range r.Transactions {
			require.Equal(t, slow[tr.OrderID], tr.Products == nil, "only the late order has no products")
		}
		require.Equal(t, gladly.PartialStatus(len(orders), len(orders)+1), r.CustomAttributes["lookupStatus"])
	})

	t.Run("OMSDownServesWhatIsCached", func(t *testing.T) {
		other := f.customers[3]
		oid := other[0].Customer.ID
		require.Equal(t, gladly.StatusComplete, f.lookup(t, gladlytest.Detailed(oid)).Results[0].CustomAttributes["lookupStatus"])
		f.clock.add(2 * time.Minute)
		f.oms.FailNext(http.StatusServiceUnavailable, 100)
		r := f.lookup(t, gladlytest.Detailed(oid)).Results[0]
		require.Equal(t, gladly.StatusComplete, r.CustomAttributes["lookupStatus"], "every read had an answer, if older")
		require.Len(t, r.Transactions, len(other))
		require.Contains(t, lastLine(f.logs.String()), `"stale":`)
	})
}

// slowDetails is OMS with some orders' details slower than any budget.
type slowDetails struct {
	gladly.OrderReader
	slow map[string]bool
}

func (s *slowDetails) GetOrder(ctx context.Context, id string) (*oms.OrderDetail, error) {
	if s.slow[id] {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return s.OrderReader.GetOrder(ctx, id)
}

// TestConcurrentLookupsShareTheirOMSReads: lookups of one customer at
// once make one read of each thing in OMS.
func TestConcurrentLookupsShareTheirOMSReads(t *testing.T) {
	t.Parallel()
	f := start(t, 3*time.Second)
	orders := f.customers[4]
	f.oms.Delay(50 * time.Millisecond)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, err := f.gladly.Lookup(context.Background(), gladlytest.Detailed(orders[0].Customer.ID))
			if err != nil || status != http.StatusOK {
				t.Errorf("lookup: %d %v", status, err)
			}
		}()
	}
	wg.Wait()
	require.Len(t, f.oms.Calls(), 1+len(orders), "one search, one read per order")
}

type body struct{ *strings.Reader }

func (body) Close() error { return nil }

func nopBody(s string) body { return body{strings.NewReader(s)} }
