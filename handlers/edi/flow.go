package edi

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/nav"
	"github.com/popsockets/integration/shared/partnerset"
	"github.com/popsockets/integration/shared/sftpbox"
)

// Function names (the folders under functions/).
const (
	FnSPSInboundPoll  = "sps-inbound-poll"
	FnNAVSalesOrder   = "nav-sales-order"
	FnNAVOutboundPoll = "nav-outbound-poll"
	FnEDIShipmentDocs = "edi-shipment-docs"
	FnEDIDeadlines    = "edi-deadlines"
)

var (
	spsFns     = []string{FnSPSInboundPoll, FnEDIShipmentDocs, FnEDIDeadlines}
	navBoxFns  = []string{FnNAVOutboundPoll, FnEDIShipmentDocs, FnEDIDeadlines}
	navSOAPFns = []string{FnNAVSalesOrder, FnEDIShipmentDocs, FnEDIDeadlines}
	partnerFns = []string{FnSPSInboundPoll, FnNAVSalesOrder, FnNAVOutboundPoll, FnEDIShipmentDocs, FnEDIDeadlines}
	pollFns    = []string{FnSPSInboundPoll, FnNAVOutboundPoll}
	ourISAFns  = []string{FnEDIShipmentDocs}
)

func boxSettings(prefix, what, addr string, fns []string) []kit.Setting {
	return []kit.Setting{
		{Name: prefix + "_SFTP_ADDR", Description: what + " SFTP host:port" + addr, Functions: fns},
		{Name: prefix + "_SFTP_USER", Description: what + " SFTP login", Functions: fns},
		{Name: prefix + "_SFTP_PASSWORD", Description: what + " SFTP password (or use the private key)", Secret: true, Optional: true, Functions: fns},
		{Name: prefix + "_SFTP_PRIVATE_KEY", Description: what + " SFTP private key, PEM or OpenSSH, unencrypted (or use the password)", Secret: true, Optional: true, Functions: fns},
		{Name: prefix + "_SFTP_KNOWN_HOSTS", Description: what + " SFTP pinned host key: a known_hosts line, [host]:port type key (never trusted on first use)", Functions: fns},
	}
}

// Flow is the B2B retail flow: SPS purchase orders into NAV, NAV's 940s to
// Cirro, ship notices to SPS and shipping advice to NAV, 997s both ways.
var Flow = kit.Flow{
	Name:     "edi",
	Settings: settings(),
	Register: register,
}

func settings() []kit.Setting {
	out := boxSettings("SPS", "SPS Commerce", " (production: sftp.spscommerce.com:10022)", spsFns)
	out = append(out, boxSettings("NAV", "NAV's internal file drop", "", navBoxFns)...)
	// the 940's ship-to is sealed with OMS's key; cirro-fulfill opens it
	out = append(out, partnerset.Sealing(FnNAVOutboundPoll)...)
	return append(out, []kit.Setting{
		{Name: "SPS_TEST_FOLDERS", Description: "true: use SPS's testout/testin folders instead of out/in", Default: "false",
			Check: kit.OneOf("true", "false"), Functions: []string{FnSPSInboundPoll, FnEDIShipmentDocs}},
		{Name: "NAV_SFTP_OUTBOUND_DIR", Description: "folder where NAV leaves its 940s (and 997s for our 945s)", Default: "outbound",
			Functions: []string{FnNAVOutboundPoll}},
		{Name: "NAV_SFTP_INBOUND_DIR", Description: "folder where NAV reads our 945s and 997s", Default: "inbound",
			Functions: []string{FnNAVOutboundPoll, FnEDIShipmentDocs}},
		{Name: "NAV_BASE_URL", Description: "NAV SOAP web services root, https://<server>:7047/<instance>/WS/<Company>", Check: kit.HTTPSURL, Functions: navSOAPFns},
		{Name: "NAV_AUTH", Description: "NAV web service credential type: ntlm (Windows) or basic (NavUserPassword)", Default: "ntlm",
			Check: kit.OneOf("ntlm", "basic"), Functions: navSOAPFns},
		{Name: "NAV_USER", Description: `NAV web service login (NTLM: DOMAIN\user)`, Functions: navSOAPFns},
		{Name: "NAV_PASSWORD", Description: "NAV web service password or access key", Secret: true, Functions: navSOAPFns},
		{Name: "EDI_945_VIA", Description: "how the 945 reaches NAV: sftp (X12 file to NAV_SFTP_INBOUND_DIR) or soap (NAV's ship-posting codeunit)",
			Default: Via945SFTP, Check: kit.OneOf(Via945SFTP, Via945SOAP), Functions: []string{FnEDIShipmentDocs, FnEDIDeadlines}},
		{Name: "EDI_PARTNERS", Description: "trading-partner configuration as JSON (empty: the embedded handlers/edi/partners.json)",
			Optional: true, Check: CheckPartners, Functions: partnerFns},
		{Name: "EDI_ISA_QUALIFIER", Description: "our X12 interchange ID qualifier (ISA05)", Default: "ZZ", Functions: ourISAFns},
		{Name: "EDI_ISA_ID", Description: "our X12 interchange ID (ISA06)", Default: "POPSOCKETS", Functions: ourISAFns},
		{Name: "NAV_ISA_ID", Description: "NAV's X12 interchange ID, the receiver of our 945s (ISA08, qualifier ZZ)", Default: "NAVPOPSOCKETS", Functions: ourISAFns},
		{Name: "EDI_SFTP_SETTLE_SECONDS", Description: "pause between the two looks at a folder within one poll (a file is taken when unchanged across them)",
			Default: "5", Check: nonNegativeInt, Functions: pollFns},
		{Name: "SPS_POLL_SCHEDULE", Description: "NCRONTAB schedule of sps-inbound-poll (every 30 minutes, never at the top of the hour: SPS says more often seldom helps)",
			Default: "0 7,37 * * * *", Host: true},
		{Name: "NAV_POLL_SCHEDULE", Description: "NCRONTAB schedule of nav-outbound-poll", Default: "0 */5 * * * *", Host: true},
		{Name: "EDI_DEADLINES_SCHEDULE", Description: "NCRONTAB schedule of edi-deadlines (sending what is queued, 997 and 856 deadlines)",
			Default: "0 */5 * * * *", Host: true},
	}...)
}

func nonNegativeInt(v string) error {
	if n, err := strconv.Atoi(v); err != nil || n < 0 {
		return fmt.Errorf("is not a whole number of seconds")
	}
	return nil
}

func partners(p *kit.Parts) *Partners {
	pt, err := loadPartners(p.Setting("EDI_PARTNERS"))
	p.Fail(err)
	return pt
}

func box(p *kit.Parts, prefix string) *sftpbox.Client {
	c, err := sftpbox.New(sftpbox.Config{Addr: p.Setting(prefix + "_SFTP_ADDR"), User: p.Setting(prefix + "_SFTP_USER"),
		Password: p.Setting(prefix + "_SFTP_PASSWORD"), PrivateKey: p.Setting(prefix + "_SFTP_PRIVATE_KEY"),
		KnownHosts: p.Setting(prefix + "_SFTP_KNOWN_HOSTS"), Partner: prefix + " SFTP"})
	if err != nil {
		p.Fail(fmt.Errorf("%s SFTP: %w", prefix, err))
		return nil
	}
	return c
}

func navClient(p *kit.Parts) *nav.Client {
	c, err := nav.New(nav.Config{BaseURL: p.Setting("NAV_BASE_URL"), Auth: p.Setting("NAV_AUTH"), User: p.Setting("NAV_USER"),
		Password: p.Setting("NAV_PASSWORD")})
	p.Fail(err)
	return c
}

func spsDirs(p *kit.Parts) (out, in string) {
	if p.Setting("SPS_TEST_FOLDERS") == "true" {
		return "testout", "testin"
	}
	return "out", "in"
}

func settle(p *kit.Parts) time.Duration {
	return time.Duration(p.Int("EDI_SFTP_SETTLE_SECONDS")) * time.Second
}

func newSender(p *kit.Parts, pt *Partners) *sender {
	return &sender{store: p.Store(), blobs: p.Blobs(), partners: pt, now: p.Now()}
}

func register(r *kit.Registry) {
	r.Timer(FnSPSInboundPoll, "timer", func(p *kit.Parts) (kit.TimerFunc, error) {
		pt := partners(p)
		out, in := spsDirs(p)
		ib := &inbound{box: "sps", store: p.Store(), partners: pt, ackDir: in, now: p.Now()}
		pl := &poller{box: "sps", client: box(p, "SPS"), dir: out, prefixes: []string{"PO", "FA"}, settle: settle(p), store: p.Store(),
			blobs: p.Blobs(), outbox: p.Outbox(TopicEDIInbound), alerts: p.Alerts(), parker: p.Parker(), sender: newSender(p, pt), now: p.Now(),
			decide: ib.decide}
		return pollFunc(pl), nil
	})
	r.ServiceBus(FnNAVSalesOrder, "msg", false, func(p *kit.Parts) (kit.MessageFunc, error) {
		return (&SalesOrderFn{Function: FnNAVSalesOrder, Store: p.Store(), NAV: navClient(p), Partners: partners(p)}).Handle, nil
	})
	r.Timer(FnNAVOutboundPoll, "timer", func(p *kit.Parts) (kit.TimerFunc, error) {
		pt := partners(p)
		w := &warehouseOrders{partners: pt, sealer: partnerset.Keyring(p), now: p.Now()}
		ib := &inbound{box: "nav", store: p.Store(), partners: pt, ackDir: p.Setting("NAV_SFTP_INBOUND_DIR"), now: p.Now(), orders: w.handle}
		pl := &poller{box: "nav", client: box(p, "NAV"), dir: p.Setting("NAV_SFTP_OUTBOUND_DIR"), prefixes: []string{""}, settle: settle(p),
			store: p.Store(), blobs: p.Blobs(), outbox: p.Outbox("fulfillment-request"), alerts: p.Alerts(), parker: p.Parker(),
			sender: newSender(p, pt), now: p.Now(), decide: ib.decide}
		return pollFunc(pl), nil
	})
	r.ServiceBus(FnEDIShipmentDocs, "msg", false, func(p *kit.Parts) (kit.MessageFunc, error) {
		pt := partners(p)
		_, in := spsDirs(p)
		nc := navClient(p)
		f := &ShipmentDocsFn{Function: FnEDIShipmentDocs, Store: p.Store(), Partners: pt, Sender: newSender(p, pt), SPS: box(p, "SPS"), NAV: box(p, "NAV"),
			SPSDir: in, NAVDir: p.Setting("NAV_SFTP_INBOUND_DIR"), Via945: p.Setting("EDI_945_VIA"),
			Us:     Interchange{Qualifier: p.Setting("EDI_ISA_QUALIFIER"), ID: p.Setting("EDI_ISA_ID")},
			NAVISA: Interchange{Qualifier: "ZZ", ID: p.Setting("NAV_ISA_ID")}, Now: p.Now()}
		if f.Via945 == Via945SOAP {
			f.NAVSOAP = nc
		}
		return f.Handle, nil
	})
	r.Timer(FnEDIDeadlines, "timer", func(p *kit.Parts) (kit.TimerFunc, error) {
		pt := partners(p)
		nc := navClient(p)
		f := &DeadlinesFn{Store: p.Store(), Partners: pt, Sender: newSender(p, pt), SPS: box(p, "SPS"), NAV: box(p, "NAV"),
			Alerts: p.Alerts(), Now: p.Now()}
		if p.Setting("EDI_945_VIA") == Via945SOAP {
			f.NAVSOAP = nc
		}
		return f.Handle, nil
	})
}

// pollFunc runs a poller as a timer function.
func pollFunc(pl *poller) kit.TimerFunc {
	return func(ctx context.Context, _ *azfunc.Timer) error {
		res, err := pl.run(ctx, azfunc.Info(ctx).ID)
		azfunc.Note(ctx, "event", pl.box+" polled", "box", pl.box, "listed", res.Listed, "taken", res.Taken,
			"duplicates", res.Duplicates, "parked", res.Parked, "sent", res.Sent)
		return err
	}
}
