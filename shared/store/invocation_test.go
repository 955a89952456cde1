package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

// sbInvocation is a Service Bus invocation as the host sends it: the body
// and metadata strings quoted twice, the delivery count as a string.
func sbInvocation(messageID, body string, deliveryCount int) string {
	twice := func(v string) string { b, _ := json.Marshal(v); b, _ = json.Marshal(string(b)); return string(b) }
	return fmt.Sprintf(`{"Data":{"msg":%s},"Metadata":{"DeliveryCount":"%d","MessageId":%s,"CorrelationId":%s,`+
		`"sys":{"MethodName":"cirro-fulfill","UtcNow":"2026-11-25T18:15:00Z","RandGuid":"r"}}}`,
		twice(body), deliveryCount, twice(messageID), twice("ORD-1"))
}

func post(t *testing.T, url, body string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestInvocationsAgainstTheRealStore runs the error-class table end to end:
// the azfunc server parks into PostgreSQL and a handler records its effect
// with Once.
func TestInvocationsAgainstTheRealStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.Store(t)
	storetest.Exec(t, s, `CREATE TABLE effects (message_id text)`)
	srv, err := azfunc.NewServer(azfunc.Config{Logging: azfunc.NewLogging(io.Discard, io.Discard, nil, nil), Parker: s, Gate: s,
		RetryBudget: time.Nanosecond}) // this test is about what one attempt leaves behind
	require.NoError(t, err)
	var failWith error
	srv.ServiceBus("cirro-fulfill", "msg", false, func(ctx context.Context, m *azfunc.Message) error {
		return s.Once(ctx, "cirro-fulfill", m.MessageID, azfunc.Info(ctx).ID, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO effects VALUES ($1)`, m.MessageID); err != nil {
				return err
			}
			return failWith
		})
	})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	url := hs.URL + "/cirro-fulfill"

	t.Run("DuplicateMessageIDHasNoSecondEffect", func(t *testing.T) {
		failWith = nil
		require.Equal(t, 200, post(t, url, sbInvocation("m-dup", `{"a":1}`, 1)))
		require.Equal(t, 200, post(t, url, sbInvocation("m-dup", `{"a":1}`, 1)))
		require.Equal(t, 1, storetest.Count(t, s, `SELECT * FROM effects WHERE message_id = 'm-dup'`))
	})

	t.Run("TransientIs500AndWritesNothing", func(t *testing.T) {
		failWith = errors.New("cirro timed out")
		require.Equal(t, 500, post(t, url, sbInvocation("m-transient", `{"a":1}`, 1)))
		require.Equal(t, 0, storetest.Count(t, s, `SELECT * FROM effects WHERE message_id = 'm-transient'`))
		require.Equal(t, 0, storetest.Count(t, s, `SELECT * FROM processed_messages WHERE message_id = 'm-transient'`))
		require.Equal(t, 0, storetest.Count(t, s, `SELECT * FROM parked_messages WHERE message_id = 'm-transient'`))
	})

	t.Run("PermanentIsParkedOnceWithItsReasonAnd2xx", func(t *testing.T) {
		failWith = fault.Permanentf("ship method XYZ is not mapped")
		require.Equal(t, 200, post(t, url, sbInvocation("m-bad", `{"ship":"XYZ"}`, 1)))
		require.Equal(t, 200, post(t, url, sbInvocation("m-bad", `{"ship":"XYZ"}`, 2)))
		parked, err := s.ListParked(ctx, store.ParkedFilter{Function: "cirro-fulfill"})
		require.NoError(t, err)
		require.Len(t, parked, 1)
		require.Equal(t, "ship method XYZ is not mapped", parked[0].Reason)
		require.Equal(t, 2, parked[0].TimesSeen)
		require.Equal(t, 2, parked[0].DeliveryCount)
		require.JSONEq(t, `{"ship":"XYZ"}`, string(parked[0].Payload))
		require.Equal(t, "ORD-1", parked[0].CorrelationID)
		require.Equal(t, 0, storetest.Count(t, s, `SELECT * FROM effects WHERE message_id = 'm-bad'`), "nothing half-written")
	})
}
