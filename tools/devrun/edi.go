package main

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/popsockets/integration/handlers/edi"
	"github.com/popsockets/integration/shared/devhost"
	"github.com/popsockets/integration/shared/devhost/localpartners"
	"github.com/popsockets/integration/shared/store"
)

// samplePO is a Walmart purchase order in RSX 7.7, as SPS delivers it.
//
//go:embed edi_sample_po.xml
var samplePO string

// seedEDI plays SPS and the retailer for one purchase order, so a person
// sees the B2B loop: the PO file dropped in SPS's out becomes a NAV sales
// order, NAV's 940 a Cirro B2B order, Cirro's shipment an 856 in SPS's in
// and a 945 in NAV's inbound, each step printed as the journey.
func seedEDI(ctx context.Context, h *devhost.Host, p *localpartners.Partners, values map[string]string, out io.Writer) {
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	e := p.EDI
	po := fmt.Sprintf("67%08d", time.Now().Unix()%100000000)
	isa := fmt.Sprintf("%09d", time.Now().UnixNano()%1000000000)
	doc := strings.ReplaceAll(strings.Replace(samplePO, "000051234", isa, 1), "6736452611", po)
	name := "PO" + po + ".xml"
	say("")
	say("B2B loop: SPS drops %s (Walmart PO %s, RSX 7.7) in its out folder (sftp %s)", name, po, e.SPS.Addr())
	if err := e.SPS.WriteFile("out/"+name, []byte(doc)); err != nil {
		say("seeding EDI: %v", err)
		return
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	run := func(fn string) {
		inv, err := h.RunTimer(wctx, fn)
		if err != nil || !inv.OK {
			say("  %s: %v %s", fn, err, inv.Error)
		}
		waitQuiet(wctx, h, values["DATABASE_URL"])
	}
	run(edi.FnSPSInboundPoll)
	say("  NAV sales orders: %d; NAV released them as 940s: %v", len(e.NAV.Orders()), e.Written())
	run(edi.FnNAVOutboundPoll)
	_ = p.Cirro.WaitCallbacks(wctx)
	waitQuiet(wctx, h, values["DATABASE_URL"])
	say("  SPS in:  %v", e.SPS.Files("in"))
	say("  NAV inbound: %v", e.NAVDrop.Files("inbound"))
	s, err := store.Open(store.Config{URL: values["DATABASE_URL"], MaxConns: 2})
	if err != nil {
		say("seeding EDI: %v", err)
		return
	}
	defer s.Close()
	say("journey of PO %s (handler trace %s):", po, po)
	edi.Trace(wctx, s, out, po)
	say("what is due, late, accepted, rejected (handler edi status):")
	edi.Status(wctx, s, out, time.Now())
}
