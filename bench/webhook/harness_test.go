package webhookbench

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/bus"
)

// The benchmark's own parts, checked without a database.

func TestParsePgbenchReadsTheSummary(t *testing.T) {
	out := `pgbench (15.8 (Debian 15.8-0+deb12u1))
transaction type: insert.sql
scaling factor: 1
query mode: prepared
number of clients: 50
number of threads: 2
maximum number of tries: 1
duration: 10 s
number of transactions actually processed: 103012
number of failed transactions: 0 (0.000%)
latency average = 4.851 ms
initial connection time = 31.207 ms
tps = 10300.123456 (without initial connection time)
`
	r, err := parsePgbench(out)
	require.NoError(t, err)
	require.InDelta(t, 10300.123456, r.tps, 1e-9)
	require.Equal(t, 103012, r.processed)
	require.Zero(t, r.failed)
	require.InDelta(t, 4.851, r.latency, 1e-9)

	_, err = parsePgbench("pgbench: error: connection to server failed")
	require.Error(t, err)
}

func TestParseStatReadsCPUTimes(t *testing.T) {
	// A comm with spaces and parentheses, as /proc allows.
	st, err := parseStat("4242 (postgres: a (b)) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 50 30 20 20 0 1 0 1 1 1\n")
	require.NoError(t, err)
	require.Equal(t, "postgres: a (b)", st.comm)
	require.Equal(t, 17, st.ppid)
	require.Equal(t, 3*time.Second, st.own)
	require.Equal(t, 500*time.Millisecond, st.children)
}

func TestPercentileIsNearestRank(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, time.Duration(101-i)*time.Millisecond)
	}
	require.Equal(t, 50*time.Millisecond, percentile(lat, 0.5))
	require.Equal(t, 99*time.Millisecond, percentile(lat, 0.99))
	require.Equal(t, 100*time.Millisecond, percentile(lat, 1))
	require.Zero(t, percentile(nil, 0.99))
}

func TestSinkAnswersAsTheLocalBrokerAndCountsDuplicates(t *testing.T) {
	s := newSink([]string{"int-dev-fulfillment-request"})
	post := func(body string) int {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, bus.LocalPublishPath, bytes.NewBufferString(body)))
		return rec.Code
	}
	msg := func(id, order string) string {
		return `{"topic":"int-dev-fulfillment-request","message_id":"` + id + `","correlation_id":"` + order + `"}`
	}
	require.Equal(t, http.StatusBadRequest, post("not json"))
	require.Equal(t, http.StatusNotFound, post(`{"topic":"int-dev-unknown","message_id":"x"}`))
	require.Equal(t, http.StatusCreated, post(msg("A/1", "A")))
	require.Equal(t, http.StatusCreated, post(msg("B/1", "B")))
	require.Equal(t, http.StatusCreated, post(msg("B/1", "B")), "a duplicate is accepted, as the broker drops it")
	require.Equal(t, http.StatusCreated, post(msg("C/1", "C")))
	require.Equal(t, http.StatusCreated, post(msg("C/2", "C")), "a second message id for one order")

	seen, once, dups, _ := s.published([]string{"A", "B", "C", "D"})
	require.Equal(t, 3, seen)
	require.Equal(t, 1, once)
	require.Equal(t, 2, dups)
}
