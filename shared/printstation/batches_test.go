package printstation_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/printstation"
	"github.com/popsockets/integration/shared/printstation/printstationtest"
)

func client(t *testing.T, s *printstationtest.Server, key string) *printstation.Client {
	t.Helper()
	c, err := printstation.New(printstation.Config{BaseURL: s.URL(), APIKey: key, Timeout: 5 * time.Second})
	require.NoError(t, err)
	return c
}

func batch(id string) printstation.Batch {
	return printstation.Batch{BatchID: id, SiteID: "CROF", Category: "custom-photo", DueDate: "2026-12-04", Items: []printstation.BatchItem{
		{OrderID: "O1", LineNumber: "10000", ProductSKU: "801330", ImageType: "CPOD", ImageURL: "https://i.example/1.png", Quantity: 1, DueDate: "2026-12-04"}}}
}

func TestSubmitBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := printstationtest.NewServer(printstationtest.Config{})
	t.Cleanup(s.Close)
	c := client(t, s, s.APIKey())

	t.Run("CreatedOnceForOneKey", func(t *testing.T) {
		first, err := c.SubmitBatch(ctx, batch("PB-1"), "PB-1")
		require.NoError(t, err)
		require.False(t, first.Duplicate)
		again, err := c.SubmitBatch(ctx, batch("PB-1"), "PB-1")
		require.NoError(t, err)
		require.True(t, again.Duplicate)
		require.Equal(t, first.PrintStationBatchID, again.PrintStationBatchID)
		require.Len(t, s.Batches(), 1)
	})
	t.Run("ABatchItHasUnderAnotherKeyIsASuccess", func(t *testing.T) {
		got, err := c.SubmitBatch(ctx, batch("PB-1"), "PB-1/retry-1")
		require.NoError(t, err)
		require.True(t, got.Duplicate)
		require.NotEmpty(t, got.PrintStationBatchID)
		require.Len(t, s.Batches(), 1)
	})
	t.Run("ServerErrorsAreTransient", func(t *testing.T) {
		s.FailNext(http.StatusInternalServerError, 1)
		_, err := c.SubmitBatch(ctx, batch("PB-2"), "PB-2")
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		require.Len(t, s.Batches(), 1, "a told failure has no effect")
	})
	t.Run("ARefusalIsPermanentAndSaysWhy", func(t *testing.T) {
		s.RefuseNextBatch("recipe unknown")
		_, err := c.SubmitBatch(ctx, batch("PB-3"), "PB-3")
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.ErrorContains(t, err, "422 invalid_batch: recipe unknown")
	})
	t.Run("AWrongKeyIsTransientAndNeverQuoted", func(t *testing.T) {
		_, err := client(t, s, "wrong-key-123").SubmitBatch(ctx, batch("PB-4"), "PB-4")
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		require.ErrorContains(t, err, "PRINTSTATION_API_KEY")
		require.NotContains(t, err.Error(), "wrong-key-123")
	})
	t.Run("NoKeyIsRefusedBeforeAnyCall", func(t *testing.T) {
		n := len(s.Calls())
		_, err := c.SubmitBatch(ctx, batch("PB-5"), "")
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.Len(t, s.Calls(), n)
	})
}

func TestParseBatchEvent(t *testing.T) {
	for _, tc := range []struct{ name, body, err string }{
		{"CompletedWithoutItems", `{"type":"batch.completed","data":{"batch_id":"PB-1"}}`, ""},
		{"ItemEventTakesItsStatusFromTheType", `{"type":"item.reprint","data":{"batch_id":"PB-1","items":[{"order_id":"O","line_number":"1"}]}}`, ""},
		{"UnknownType", `{"type":"batch.lost","data":{"batch_id":"PB-1"}}`, `type "batch.lost" is not one of`},
		{"NoBatch", `{"type":"batch.completed","data":{}}`, "data.batch_id is missing"},
		{"ItemEventWithoutItem", `{"type":"item.quarantined","data":{"batch_id":"PB-1"}}`, "names no item"},
		{"ContradictingStatus", `{"type":"item.reprint","data":{"batch_id":"PB-1","items":[{"order_id":"O","line_number":"1","status":"printed"}]}}`, "contradicts"},
		{"UnknownItemStatus", `{"type":"batch.completed","data":{"batch_id":"PB-1","items":[{"order_id":"O","line_number":"1","status":"lost"}]}}`, "not printed, reprint or quarantined"},
		{"ItemTwice", `{"type":"batch.completed","data":{"batch_id":"PB-1","items":[{"order_id":"O","line_number":"1"},{"order_id":"O","line_number":"1"}]}}`, "twice"},
		{"LongID", `{"type":"batch.completed","data":{"batch_id":"` + strings.Repeat("x", 65) + `"}}`, "over the 64 allowed"},
		{"NotJSON", `{"type":`, "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := printstation.ParseBatchEvent([]byte(tc.body))
			if tc.err == "" {
				require.NoError(t, err)
				for _, it := range ev.Data.Items {
					require.NotEmpty(t, it.Status)
				}
				return
			}
			require.Equal(t, fault.ClassMalformed, fault.ClassOf(err))
			require.ErrorContains(t, err, tc.err)
		})
	}
}

// FuzzParseBatchEvent: any body is either an event with every item's
// status known, or Malformed; never a panic.
func FuzzParseBatchEvent(f *testing.F) {
	f.Add([]byte(`{"type":"batch.completed","data":{"batch_id":"PB-1","items":[{"order_id":"O","line_number":"1","status":"reprint"}]}}`))
	f.Add([]byte(`{"type":"item.printed","data":{"batch_id":"PB-1","items":[{"order_id":"O","line_number":"1"}]}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := printstation.ParseBatchEvent(body)
		if err != nil {
			if fault.ClassOf(err) != fault.ClassMalformed {
				t.Fatalf("%v is not malformed", err)
			}
			return
		}
		for _, it := range ev.Data.Items {
			switch it.Status {
			case printstation.ItemPrinted, printstation.ItemReprint, printstation.ItemQuarantined:
			default:
				t.Fatalf("item status %q", it.Status)
			}
		}
	})
}
