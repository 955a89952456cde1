package edi

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/handlers/fulfillment"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/golden"
	"github.com/popsockets/integration/shared/rsx"
	"github.com/popsockets/integration/shared/x12"
)

var (
	sscc1 = "008429781000000012"
	sscc2 = "008429781000000029"
)

func walmartShipment(orderID string) fulfillment.Shipped {
	return fulfillment.Shipped{OrderID: orderID, TPL: "cirro", TPLOrderNo: "CR" + orderID, Channel: "b2b", PONumber: "6736452611",
		Carrier: "FEDEX GROUND", TrackingNumbers: []string{"1Z1", "1Z2"}, ShippedAt: time.Date(2026, 12, 4, 9, 30, 0, 0, time.UTC),
		Cartons: []fulfillment.Carton{
			{SSCC: sscc1, TrackingNumber: "1Z1", Items: []fulfillment.Quantity{{SKU: "801330", Quantity: 48}}},
			{SSCC: sscc2, TrackingNumber: "1Z2", Items: []fulfillment.Quantity{{SKU: "801331", Quantity: 24}}},
		}}
}

func (b *bench) shipmentDocsFn(via string) *ShipmentDocsFn {
	return &ShipmentDocsFn{Function: FnEDIShipmentDocs, Store: b.store, Partners: b.partners, Sender: b.sender(),
		SPS: client(b.t, b.sps), NAV: client(b.t, b.nav), SPSDir: "in", NAVDir: "inbound", Via945: via,
		Us: Interchange{"ZZ", "POPSOCKETS"}, NAVISA: Interchange{"ZZ", "NAVPOPSOCKETS"}, Now: b.clock}
}

// shippedOrder takes a Walmart PO through SPS and NAV's 940 to a shipment.
func (b *bench) shippedOrder(t *testing.T, po string, s fulfillment.Shipped) *azfuncMessage {
	t.Helper()
	data := strings.ReplaceAll(string(testdata(t, "po-7x-walmart.xml")), "6736452611", po)
	data = strings.Replace(data, "000051234", fmt.Sprint(len(po)*7919%999999), 1)
	b.received(t, "PO"+po+".xml", []byte(data))
	require.NoError(t, b.nav.WriteFile("outbound/940-"+s.OrderID+".edi", nav940(t, s.OrderID, po, map[string]int{"801330": 48, "801331": 24}, int64(len(b.rec.messages)+100))))
	b.poll(b.navPoller())
	s.PONumber = po
	env, err := bus.Request("", fulfillment.EventOrderShipped, bus.ObjectShipment, s.OrderID, s, b.now)
	require.NoError(t, err)
	return message(t, bus.Message{Envelope: env}, s.OrderID+"/shipped/cirro/"+s.TPLOrderNo)
}

func TestShipmentDocs(t *testing.T) {
	t.Parallel()
	t.Run("RSXShipNoticeInSPSInAndA945ForNAV", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		m := b.shippedOrder(t, "6736452611", walmartShipment("SO001000"))
		require.NoError(t, b.shipmentDocsFn(Via945SFTP).Handle(context.Background(), m))
		files := b.sps.Files("in")
		require.Equal(t, []string{"SHSO001000-CRSO001000.xml"}, files, "SH + a unique value, renamed into place")
		asn, err := b.sps.ReadFile("in/" + files[0])
		require.NoError(t, err)
		golden.Equal(t, "asn-walmart-rsx.golden.xml", asn)
		parsed, err := rsx.ParseShipments(asn)
		require.NoError(t, err)
		require.Equal(t, "001", parsed.Shipments[0].Orders[0].Packs[0].Items[0].Sequence, "the PO's line sequence echoed")
		var sa []string
		for _, f := range b.nav.Files("inbound") {
			if strings.HasPrefix(f, "SW") {
				sa = append(sa, f)
			}
		}
		require.Len(t, sa, 1)
		advice, err := b.nav.ReadFile("inbound/" + sa[0])
		require.NoError(t, err)
		rep := x12.Validate(x12.ParseBytes(advice))
		require.True(t, rep.Valid(), "%v", rep.All())
		golden.Equal(t, "945-walmart.golden.edi", advice)
		require.Equal(t, 2, b.count(`SELECT count(*) FROM edi_sscc WHERE order_id = 'SO001000'`))
		require.Equal(t, 1, b.count(`SELECT count(*) FROM order_journey WHERE order_id = 'SO001000' AND state = $1`, StateASNSent))
	})
	t.Run("X12ShipNoticeForAnX12Partner", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		// Walmart sends RSX in the default configuration; make it X12 here.
		pt, _ := b.partners.ByID("529")
		pt.ASNFormat = "x12"
		m := b.shippedOrder(t, "6736452611", walmartShipment("SO001000"))
		require.NoError(t, b.shipmentDocsFn(Via945SFTP).Handle(context.Background(), m))
		files := b.sps.Files("in")
		require.Len(t, files, 1)
		asn, _ := b.sps.ReadFile("in/" + files[0])
		doc := x12.ParseBytes(asn)
		rep := x12.Validate(doc)
		require.True(t, rep.Valid(), "HL, CTT and SSCC rules hold: %v", rep.All())
		golden.Equal(t, "asn-walmart-x12.golden.edi", asn)
		sh, err := x12.Read856(doc.Interchanges[0].Groups[0].Sets[0])
		require.NoError(t, err)
		require.Equal(t, "0001", sh.Structure, "pick and pack")
		require.Len(t, sh.Orders[0].Cartons, 2)
	})
	t.Run("ARedeliveryWritesNothingTwice", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		m := b.shippedOrder(t, "6736452611", walmartShipment("SO001000"))
		f := b.shipmentDocsFn(Via945SFTP)
		require.NoError(t, f.Handle(context.Background(), m))
		err := f.Handle(context.Background(), m)
		require.Equal(t, fault.ClassDuplicate, fault.ClassOf(err))
		require.Equal(t, 2, b.count(`SELECT count(*) FROM edi_documents WHERE direction = 'out' AND doc_type IN ('856', '945')`))
	})
	t.Run("ANonCompliantASNIsParkedNeverSent", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		s := walmartShipment("SO001000")
		s.Cartons[1].SSCC = "008429781000000028" // wrong check digit
		s.Cartons[0].Items[0].Quantity = 60      // more than ordered
		m := b.shippedOrder(t, "6736452611", s)
		err := b.shipmentDocsFn(Via945SFTP).Handle(context.Background(), m)
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.ErrorContains(t, err, `carton 2: SSCC "008429781000000028" is not an 18-digit SSCC with a valid check digit`)
		require.ErrorContains(t, err, "PO line 001 (801330): 60 shipped, 48 ordered")
		require.Empty(t, b.sps.Files("in"))
	})
	t.Run("AnSSCCIsNeverReused", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		f := b.shipmentDocsFn(Via945SFTP)
		require.NoError(t, f.Handle(context.Background(), b.shippedOrder(t, "6736452611", walmartShipment("SO001000"))))
		second := walmartShipment("SO001001")
		second.Cartons = second.Cartons[:1] // sscc1 again
		err := f.Handle(context.Background(), b.shippedOrder(t, "6736452622", second))
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
		require.ErrorContains(t, err, "SSCC "+sscc1+" was already shipped on order SO001000")
	})
	t.Run("SPSDownLeavesTheASNQueuedForTheDeadlineTimer", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		m := b.shippedOrder(t, "6736452611", walmartShipment("SO001000"))
		b.sps.Down(true)
		require.NoError(t, b.shipmentDocsFn(Via945SFTP).Handle(context.Background(), m))
		require.Equal(t, 1, b.count(`SELECT count(*) FROM edi_documents WHERE doc_type = '856' AND status = 'queued'`))
		b.sps.Down(false)
		d := b.deadlinesFn()
		require.NoError(t, d.Handle(context.Background(), nil))
		require.Len(t, b.sps.Files("in"), 1)
		require.Equal(t, 1, b.count(`SELECT count(*) FROM edi_documents WHERE doc_type = '856' AND status = 'sent'`))
	})
	t.Run("A945ThroughNAVsSOAPService", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		srv := navtestServer(t)
		f := b.shipmentDocsFn(Via945SOAP)
		f.NAVSOAP = navClientFor(t, srv)
		created := srv.AddOrder(navOrder("SO001000"))
		m := b.shippedOrder(t, "6736452611", walmartShipment(created.No))
		require.NoError(t, f.Handle(context.Background(), m))
		posted := srv.Shipments()
		require.Len(t, posted, 1)
		require.Equal(t, created.No, posted[0].OrderNo)
		require.Equal(t, "1Z1", posted[0].TrackingNo)
	})
	t.Run("AB2CShipmentOrAnOrderNotFromEDIIsIgnored", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		s := walmartShipment("ORD1")
		s.Channel = "b2c"
		env, _ := bus.Request("", fulfillment.EventOrderShipped, bus.ObjectShipment, s.OrderID, s, b.now)
		require.NoError(t, b.shipmentDocsFn(Via945SFTP).Handle(context.Background(), message(t, bus.Message{Envelope: env}, "m1")))
		s.Channel = "b2b"
		env, _ = bus.Request("", fulfillment.EventOrderShipped, bus.ObjectShipment, s.OrderID, s, b.now)
		require.NoError(t, b.shipmentDocsFn(Via945SFTP).Handle(context.Background(), message(t, bus.Message{Envelope: env}, "m2")))
		require.Zero(t, b.count(`SELECT count(*) FROM edi_documents WHERE direction = 'out'`))
	})
}

// TestControlNumbersUnderConcurrency allocates from one sequence in many
// transactions at once, some rolled back: the committed numbers are 1..n
// with no gap and no repeat, and each is in the ledger once.
func TestControlNumbersUnderConcurrency(t *testing.T) {
	t.Parallel()
	b := newBench(t)
	ctx := context.Background()
	const workers, each = 8, 15
	var mu sync.Mutex
	var committed []int64
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				var got int64
				rollback := (w+i)%5 == 0
				err := b.store.InTx(ctx, func(tx pgx.Tx) error {
					n := &txNumbers{tx: tx}
					v, err := n.Next(ctx, x12.ControlKey{Kind: x12.ControlInterchange, Sender: "POPSOCKETS", Receiver: "TARGET"})
					if err != nil {
						return err
					}
					got = v
					if rollback {
						return errRollback
					}
					return nil
				})
				if rollback {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				committed = append(committed, got)
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	seen := map[int64]bool{}
	for _, n := range committed {
		require.False(t, seen[n], "number %d handed out twice", n)
		seen[n] = true
	}
	for i := int64(1); i <= int64(len(committed)); i++ {
		require.True(t, seen[i], "gap at %d", i)
	}
	require.Equal(t, len(committed), b.count(`SELECT count(*) FROM edi_control_ledger WHERE receiver = 'TARGET'`))
	t.Run("AReuseIsRefusedByTheLedger", func(t *testing.T) {
		_, err := b.store.Pool.Exec(ctx, `UPDATE edi_control_numbers SET last = 0 WHERE receiver = 'TARGET'`)
		require.NoError(t, err)
		err = b.store.InTx(ctx, func(tx pgx.Tx) error {
			_, err := (&txNumbers{tx: tx}).Next(ctx, x12.ControlKey{Kind: x12.ControlInterchange, Sender: "POPSOCKETS", Receiver: "TARGET"})
			return err
		})
		require.ErrorContains(t, err, "was used before")
	})
}

var errRollback = fmt.Errorf("roll back")

type azfuncMessage = azfuncMsg

func TestTwoSendersNeverUploadOneFileTwice(t *testing.T) {
	t.Parallel()
	b := newBench(t)
	m := b.shippedOrder(t, "6736452611", walmartShipment("SO001000"))
	b.sps.Down(true) // recorded, not sent
	require.NoError(t, b.shipmentDocsFn(Via945SFTP).Handle(context.Background(), m))
	b.sps.Down(false)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sess, err := client(t, b.sps).Open(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			defer sess.Close()
			if _, err := b.sender().flush(context.Background(), sess, "sps"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	renames := 0
	for _, r := range b.sps.Renamed() {
		if strings.Contains(r[1], "in/SH") {
			renames++
		}
	}
	require.Equal(t, 1, renames)
}
