package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/handlers/edi"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/rsx"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/x12"
)

// timer runs a timer function now, as the host would on its schedule.
func (f *flow) timer(t testing.TB, name string) {
	t.Helper()
	inv, err := f.host.RunTimer(context.Background(), name)
	require.NoError(t, err)
	require.True(t, inv.OK, "%s failed: %s\n%s", name, inv.Error, lastError(f.logs.String()))
	f.idle(t)
}

// TestB2BLoopThroughTheDevhost runs the retail loop as `make run` does:
// a PO file in SPS's out becomes a NAV sales order, NAV's 940 a Cirro B2B
// order, Cirro's shipment an 856 in SPS's in and a 945 for NAV, and trace
// shows every step.
func TestB2BLoopThroughTheDevhost(t *testing.T) {
	t.Parallel()
	f := startFlow(t, flowOptions{})
	ctx := context.Background()
	e := f.partners.EDI
	po, err := os.ReadFile(filepath.Join("handlers", "edi", "testdata", "po-7x-walmart.xml"))
	require.NoError(t, err)
	require.NoError(t, e.SPS.WriteFile("out/PO584615.xml", po))

	f.timer(t, edi.FnSPSInboundPoll)
	require.Empty(t, e.SPS.Files("out"), "taken, archived, recorded, deleted")
	orders := e.NAV.Orders()
	require.Len(t, orders, 1, "nav-sales-order created the NAV order")
	orderID := orders[0].No
	require.Len(t, e.Written(), 1, "NAV's fake released it as a 940")

	f.timer(t, edi.FnNAVOutboundPoll)
	o, err := store.GetOrder(ctx, f.store.Pool, orderID)
	require.NoError(t, err)
	require.Equal(t, oms.SourceEDI, o.Source)
	cirroOrders := f.partners.Cirro.Orders()
	require.Len(t, cirroOrders, 1, "cirro-fulfill created the B2B order: %s", lastError(f.logs.String()))
	require.True(t, cirroOrders[0].B2B)
	require.Equal(t, "6736452611", cirroOrders[0].PONumber)

	require.NoError(t, f.partners.Cirro.SendAcceptance(ctx, orderID))
	require.NoError(t, f.partners.Cirro.SendShipment(ctx, orderID))
	f.idle(t)

	asns := e.SPS.Files("in")
	require.Len(t, asns, 1, "the 856 is in SPS's in")
	require.True(t, strings.HasPrefix(asns[0], "SH"))
	asn, err := e.SPS.ReadFile("in/" + asns[0])
	require.NoError(t, err)
	ship, err := rsx.ParseShipments(asn)
	require.NoError(t, err, "a valid RSX 856")
	require.NotEmpty(t, ship.Shipments[0].BillOfLading, "BOL from Cirro's dispatch info")
	var advice []string
	for _, n := range e.NAVDrop.Files("inbound") {
		if strings.HasPrefix(n, "SW") {
			advice = append(advice, n)
		}
	}
	require.Len(t, advice, 1, "the 945 is in NAV's inbound")
	b, _ := e.NAVDrop.ReadFile("inbound/" + advice[0])
	require.True(t, x12.Validate(x12.ParseBytes(b)).Valid())

	// Through the command line, as an operator asks: by PO, in text and
	// in JSON, and the flow's status.
	getenv := func(k string) string { return f.settings[k] }
	var out, errOut strings.Builder
	require.Equal(t, 0, run(ctx, []string{"trace", "6736452611"}, getenv, nil, &out, &errOut), errOut.String())
	for _, step := range []string{edi.StatePOReceived, edi.StateNAVOrderCreated, edi.StateWarehouseOrder, "TPL_ORDER_CREATED",
		"ACCEPTED_BY_TPL", "SHIPPED_BY_TPL", edi.StateASNSent, edi.StateShipAdviceSent} {
		require.Contains(t, out.String(), step)
	}
	t.Log(out.String())
	out.Reset()
	require.Equal(t, 0, run(ctx, []string{"trace", "-json", "6736452611"}, getenv, nil, &out, &errOut), errOut.String())
	var tr edi.EDITrace
	require.NoError(t, json.Unmarshal([]byte(out.String()), &tr), out.String())
	require.Equal(t, []string{"6736452611"}, tr.POs)
	var types []string
	for _, d := range tr.Documents {
		types = append(types, d.Direction+" "+d.DocType)
	}
	require.Subset(t, types, []string{"in 850", "in 940", "out 856", "out 945"})
	out.Reset()
	require.Equal(t, 0, run(ctx, []string{"edi", "status"}, getenv, nil, &out, &errOut), "%s\n%s", out.String(), errOut.String())
	require.Contains(t, out.String(), "parked messages (0)")
	require.Regexp(t, `SHSO\d+-CR\d+\.xml`, out.String())
}
