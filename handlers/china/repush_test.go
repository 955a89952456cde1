package china

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/infra"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/jackyun/jackyuntest"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/messaging"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

// broker is a stand-in for the local host's broker API: it accepts what
// the outbox publishes and keeps it.
type broker struct {
	mu    sync.Mutex
	wires []bus.Wire
}

func (b *broker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ws []bus.Wire
	if r.URL.Path == bus.LocalPublishBatchPath {
		_ = json.NewDecoder(r.Body).Decode(&ws)
	} else {
		var one bus.Wire
		_ = json.NewDecoder(r.Body).Decode(&one)
		ws = []bus.Wire{one}
	}
	b.mu.Lock()
	b.wires = append(b.wires, ws...)
	b.mu.Unlock()
	res := make([]bus.LocalResult, len(ws))
	for i := range res {
		res[i].Status = http.StatusCreated
	}
	_ = json.NewEncoder(w).Encode(res)
}

func (b *broker) list() []bus.Wire {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]bus.Wire(nil), b.wires...)
}

func TestRepush(t *testing.T) {
	t.Parallel()
	cfg := storetest.Schema(t)
	_, err := store.Migrate(context.Background(), cfg, nil)
	require.NoError(t, err)
	fake := jackyuntest.NewServer(jackyuntest.Config{})
	t.Cleanup(fake.Close)
	br := &broker{}
	bs := httptest.NewServer(br)
	t.Cleanup(bs.Close)
	cat, err := messaging.Parse(infra.MessagingJSON)
	require.NoError(t, err)
	values := map[string]string{
		"DATABASE_URL": storetest.SchemaURL(cfg), "DEVHOST_URL": bs.URL, "TOPIC_JACKYUN_ORDERS": "int-dev-jackyun-orders",
		"JACKYUN_URL": fake.URL(), "JACKYUN_APP_KEY": fake.AppKey(), "JACKYUN_APP_SECRET": fake.Secret(),
	}
	getenv := func(k string) string { return values[k] }
	newApp := func() (*kit.App, error) {
		return kit.New(kit.Config{Getenv: getenv, Flows: []kit.Flow{Flow}, Catalog: cat})
	}
	smp := jackyuntest.SampleOrders(1, 11, time.Now().Add(-time.Hour), 0, 100)[0]
	s, err := store.Open(store.Config{URL: storetest.SchemaURL(cfg)})
	require.NoError(t, err)
	t.Cleanup(s.Close)

	t.Run("AnOrderThePollNeverReadIsPublishedAsItsFirstGeneration", func(t *testing.T) {
		fake.AddSamples([]jackyuntest.Sample{smp})
		var out, errOut strings.Builder
		code := RepushCommand(context.Background(), []string{"repush", smp.TradeNo}, getenv, &out, &errOut, newApp)
		require.Equal(t, 0, code, errOut.String())
		require.Contains(t, out.String(), "repushed "+smp.TradeNo+" as generation 1")
		require.Contains(t, out.String(), "jackyun-to-oms creates it in OMS")
		require.Len(t, br.list(), 1, "published at once")
		require.Equal(t, smp.TradeNo+"/jackyun-orders/1", br.list()[0].MessageID)
	})
	t.Run("AFixedOrderIsReadAgainAndPublishedAsTheNextGeneration", func(t *testing.T) {
		fixed := strings.Replace(string(smp.Raw), `"flagNames":"定制"`, `"flagNames":"定制,已修正"`, 1)
		require.NoError(t, fake.AddOrder([]byte(fixed), smp.Modified, time.Time{}))
		_, err := s.Pool.Exec(context.Background(), `UPDATE jackyun_orders SET oms_order_id = 'ORD9000042' WHERE trade_no = $1`, smp.TradeNo)
		require.NoError(t, err)
		var out, errOut strings.Builder
		require.Equal(t, 0, RepushCommand(context.Background(), []string{"repush", smp.TradeNo}, getenv, &out, &errOut, newApp), errOut.String())
		require.Contains(t, out.String(), "as generation 2")
		require.Contains(t, out.String(), "OMS already has it as ORD9000042")
		require.Contains(t, out.String(), "delete it in BatchStation first")
		require.Len(t, br.list(), 2)
		w := br.list()[1]
		require.Equal(t, smp.TradeNo+"/jackyun-orders/2", w.MessageID)
		require.Equal(t, "2", w.ApplicationProperties[PropGeneration])
		env, err := bus.DecodeEnvelope(w.Body)
		require.NoError(t, err)
		require.Equal(t, fixed, string(env.RequestedPayload), "the order as Jackyun has it now")
		var raw []byte
		require.NoError(t, s.Pool.QueryRow(context.Background(), `SELECT raw FROM jackyun_orders WHERE trade_no = $1`, smp.TradeNo).Scan(&raw))
		require.Equal(t, fixed, string(raw))
		require.Equal(t, 2, count(t, s, `SELECT count(*) FROM order_journey WHERE order_id = $1 AND state = $2`, smp.TradeNo, StateRepushed))
	})
	t.Run("AnOrderJackyunDoesNotHaveIsAnError", func(t *testing.T) {
		var out, errOut strings.Builder
		require.Equal(t, 1, RepushCommand(context.Background(), []string{"repush", "JY-NOT-THERE"}, getenv, &out, &errOut, newApp))
		require.Contains(t, errOut.String(), "no such order in Jackyun")
		require.Contains(t, errOut.String(), "tradeStatus 4112")
		require.Len(t, br.list(), 2, "nothing published")
	})
	t.Run("UsageAndConfigurationErrors", func(t *testing.T) {
		var out, errOut strings.Builder
		require.Equal(t, 2, RepushCommand(context.Background(), []string{"repush"}, getenv, &out, &errOut, newApp))
		require.Contains(t, errOut.String(), "usage: handler jackyun repush <tradeNo>")
		empty := func(string) string { return "" }
		errOut.Reset()
		require.Equal(t, 2, RepushCommand(context.Background(), []string{"repush", "JY1"}, empty, &out, &errOut, newApp))
		require.Contains(t, errOut.String(), "JACKYUN_URL is not set")
		require.NotContains(t, errOut.String(), fake.Secret())
		_, err := (&Repusher{}).Repush(context.Background(), "JY\x00")
		require.ErrorContains(t, err, "control character")
	})
}
