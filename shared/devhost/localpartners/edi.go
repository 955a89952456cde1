package localpartners

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/popsockets/integration/shared/nav"
	"github.com/popsockets/integration/shared/nav/navtest"
	"github.com/popsockets/integration/shared/sftpbox/sftptest"
	"github.com/popsockets/integration/shared/x12"
)

// EDI are the B2B channel's simulated partners: SPS Commerce's SFTP (out,
// in and the test folders), NAV's SFTP file drop and NAV's SOAP services.
// NAV's side of the loop is played by NAV's fake: each sales order it
// creates becomes a 940 in its outbound folder, as NAV's warehouse release
// would write it.
type EDI struct {
	SPS     *sftptest.Server
	NAVDrop *sftptest.Server
	NAV     *navtest.Server

	mu      sync.Mutex
	control int64
	written []string
}

// startEDI starts the EDI fakes and adds their settings.
func startEDI(p *Partners) error {
	e := &EDI{control: 500}
	var err error
	if e.SPS, err = sftptest.NewServer(sftptest.Config{User: "popsockets", Dirs: []string{"out", "in", "testout", "testin"}}); err != nil {
		return err
	}
	if e.NAVDrop, err = sftptest.NewServer(sftptest.Config{User: "edi", Dirs: []string{"outbound", "inbound"}}); err != nil {
		e.SPS.Close()
		return err
	}
	e.NAV = navtest.NewServer(navtest.Config{OnCreate: e.write940})
	p.EDI = e
	// The retailers' orders ship by a freight method the Cirro fake knows.
	ships := map[string]map[string]string{}
	for k, v := range ShipMethods {
		ships[k] = map[string]string{}
		for a, b := range v {
			ships[k][a] = b
		}
	}
	ships["cirro"]["B2B_LTL"] = "FEDEX_GROUND"
	b, _ := json.Marshal(ships)
	for k, v := range map[string]string{
		"SPS_SFTP_ADDR": e.SPS.Addr(), "SPS_SFTP_USER": e.SPS.User(), "SPS_SFTP_PASSWORD": e.SPS.Password(), "SPS_SFTP_KNOWN_HOSTS": e.SPS.KnownHosts(),
		"NAV_SFTP_ADDR": e.NAVDrop.Addr(), "NAV_SFTP_USER": e.NAVDrop.User(), "NAV_SFTP_PASSWORD": e.NAVDrop.Password(),
		"NAV_SFTP_KNOWN_HOSTS": e.NAVDrop.KnownHosts(),
		"NAV_BASE_URL":         e.NAV.URL(), "NAV_AUTH": e.NAV.Auth(), "NAV_USER": e.NAV.User(), "NAV_PASSWORD": e.NAV.Password(),
		"EDI_SEAL_KEY_ID": p.Settings["OMS_AES_KEY_ID"], "EDI_SEAL_KEY": p.Settings["OMS_AES_KEY"],
		"EDI_SFTP_SETTLE_SECONDS": "0", "SHIP_METHODS": string(b),
	} {
		p.Settings[k] = v
	}
	return nil
}

// write940 plays NAV releasing a sales order to the warehouse.
func (e *EDI) write940(o nav.SalesOrder) {
	so := &x12.ShippingOrder{Status: "N", DepositorOrder: o.No, PurchaseOrder: o.ExternalDocumentNo,
		Parties: []x12.Party{{Role: "ST", Name: "Retail DC " + o.ShipToCode, IDQualifier: "92", ID: o.ShipToCode,
			Address: []string{"1 Distribution Way"}, City: "Columbus", State: "OH", PostalCode: "43215", Country: "US"}},
		Carrier: &x12.WarehouseCarrier{Payment: "PP", Method: "M"}}
	for i, l := range o.Lines {
		so.Lines = append(so.Lines, x12.OrderLine{Number: fmt.Sprint(i + 1), Quantity: x12.Decimal(l.Quantity), Unit: "EA",
			Products: []x12.ProductID{{Qualifier: "VN", ID: l.No}}})
	}
	body, err := x12.Build940(so)
	if err != nil {
		return
	}
	e.mu.Lock()
	e.control++
	n := e.control
	e.mu.Unlock()
	var buf bytes.Buffer
	if _, err := (x12.Envelope{SenderQualifier: "ZZ", SenderID: "NAVPOPSOCKETS", ReceiverQualifier: "ZZ", ReceiverID: "POPSOCKETS",
		Time: time.Now(), Suffix: "\n"}).Encode(context.Background(), &buf, &x12.Sequence{Start: n},
		x12.OutGroup{FunctionalID: "OW", Sets: []x12.OutSet{{ID: "940", Body: body}}}); err != nil {
		return
	}
	name := "outbound/940-" + strings.ReplaceAll(o.No, "/", "_") + ".edi"
	if err := e.NAVDrop.WriteFile(name, buf.Bytes()); err == nil {
		e.mu.Lock()
		e.written = append(e.written, name)
		e.mu.Unlock()
	}
}

// Written lists the 940s NAV's fake wrote.
func (e *EDI) Written() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.written...)
}

// Close stops the EDI fakes.
func (e *EDI) Close() {
	e.SPS.Close()
	e.NAVDrop.Close()
	e.NAV.Close()
}
