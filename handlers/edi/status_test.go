package edi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
)

func TestStatusAndTrace(t *testing.T) {
	t.Parallel()
	b := newBench(t)
	pt, _ := b.partners.ByID("529")
	pt.ASNFormat = "x12"
	require.NoError(t, b.shipmentDocsFn(Via945SFTP).Handle(context.Background(), b.shippedOrder(t, "6736452611", walmartShipment("SO001000"))))
	ctx := context.Background()

	t.Run("StatusListsDocumentsByState", func(t *testing.T) {
		var out strings.Builder
		require.Equal(t, 0, Status(ctx, b.store, &out, b.now))
		require.Contains(t, out.String(), "parked messages (0)")
		require.Contains(t, out.String(), "awaiting 997 (1)")
		require.Contains(t, out.String(), "SHSO001000-CRSO001000.edi")
		require.Regexp(t, `POPSOCKETS -> 925485US00\s+interchange\s+last 1\s+1 used\s+no gaps`, out.String())
		out.Reset()
		require.Equal(t, 1, Status(ctx, b.store, &out, b.now.Add(25*time.Hour)), "late: exit 1")
		require.Contains(t, out.String(), "late (1)")
	})
	t.Run("AParkedShipNoticeIsListedAndNeedsAttention", func(t *testing.T) {
		_, err := b.store.Park(ctx, azfunc.Parked{Function: FnEDIShipmentDocs, MessageID: "SO002000/shipped", CorrelationID: "SO002000",
			Reason: "ship notice refused before sending: carton 2 has no SSCC", Payload: []byte(`{}`)})
		require.NoError(t, err)
		var out strings.Builder
		require.Equal(t, 1, Status(ctx, b.store, &out, b.now), "something waits for a person: exit 1")
		require.Contains(t, out.String(), "parked messages (1)")
		require.Regexp(t, `edi-shipment-docs\s+order SO002000\s+.*carton 2 has no SSCC\s+handler replay \d+`, out.String())
	})
	for _, key := range []string{"6736452611", sscc2, "00" + sscc1, "000000001"} {
		t.Run("TraceBy"+key, func(t *testing.T) {
			var out strings.Builder
			require.Equal(t, 0, Trace(ctx, b.store, &out, key), out.String())
			s := out.String()
			require.Contains(t, s, "PO 6736452611, order SO001000")
			for _, want := range []string{StatePOReceived, StateWarehouseOrder, StateASNSent, StateShipAdviceSent, "in 850", "in 940", "out 856", "out 945"} {
				require.Contains(t, s, want)
			}
		})
	}
	t.Run("AnInterchangeNumberTwoSendersUsedMustBeNamed", func(t *testing.T) {
		var sender string
		require.NoError(t, b.store.Pool.QueryRow(ctx, `SELECT isa_sender FROM edi_documents WHERE interchange = '000000001' LIMIT 1`).Scan(&sender))
		_, err := insertDocument(ctx, b.store.Pool, &Document{Direction: "in", Box: "sps", Partner: "other", DocType: "997", Format: "x12",
			FileName: "FA-other.edi", SHA256: "other-sha", ISASender: "OTHERSENDER", ISAReceiver: sender, Interchange: "000000001", Status: StatusReceived})
		require.NoError(t, err)
		var out strings.Builder
		require.Equal(t, 2, Trace(ctx, b.store, &out, "000000001"))
		require.Contains(t, out.String(), "interchange 000000001 was sent by ")
		require.Contains(t, out.String(), "OTHERSENDER")
		require.Contains(t, out.String(), "as SENDER:000000001")
		out.Reset()
		require.Equal(t, 0, Trace(ctx, b.store, &out, sender+":000000001"), out.String())
		require.Contains(t, out.String(), "PO 6736452611, order SO001000")
		require.NotContains(t, out.String(), "FA-other.edi", "the other sender's document is not this order's")
	})
	t.Run("TraceOfNothing", func(t *testing.T) {
		var out strings.Builder
		require.Equal(t, 1, Trace(ctx, b.store, &out, "NOPE"))
		require.Contains(t, out.String(), "no PO, interchange or SSCC")
	})
}
