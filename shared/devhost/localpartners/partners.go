// Package localpartners starts the simulated partners of a local run and
// of the end-to-end tests: each fake serves its system's wire protocol on a
// real socket, and Settings point the handler at them. It is never part of
// the production binary.
package localpartners

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/cirro/cirrotest"
	"github.com/popsockets/integration/shared/gladly/gladlytest"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/oms/omstest"
	"github.com/popsockets/integration/shared/teams/teamstest"
	"github.com/popsockets/integration/shared/xb/xbtest"
)

// Partners are the running fakes and the app settings that point at them.
type Partners struct {
	OMS      *omstest.Server
	Cirro    *cirrotest.Server
	XB       *xbtest.Server
	Teams    *teamstest.Server
	EDI      *EDI
	Print    *PrintPartners
	Keyring  *oms.Keyring
	Settings map[string]string
	// Requester plays OMS asking for fulfilment.
	Requester *omstest.Requester
	// FunctionKey is the key the fakes send to the local host.
	FunctionKey string
	// China holds the China and product flows' fakes (china.go).
	China *ChinaPartners
	// Gladly plays Gladly's lookups; Customers are the OMS customers it can find.
	Gladly    *gladlytest.Gladly
	Customers []oms.OrderCustomer
}

// ShipMethods maps the OMS sample ship methods to codes the fakes accept.
var ShipMethods = map[string]map[string]string{
	"cirro": {"STANDARD": "USPS_GROUND", "EXPRESS": "UPS_2DAY", "2DAY": "UPS_2DAY"},
	"xb":    {"STANDARD": "STANDARD", "EXPRESS": "EXPRESS", "2DAY": "EXPRESS"},
}

// RandomSecret is n random bytes in base64.
func RandomSecret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// Options adjust the fakes.
type Options struct {
	// AutoCallbacks makes Cirro accept and ship every order by itself.
	AutoCallbacks bool
	// FunctionKey is sent as x-functions-key by the fakes that call the
	// host (OMS's requests, Cirro's callbacks).
	FunctionKey string
}

// Start starts the fakes. hostURL is where the Functions host listens
// (Cirro calls it back).
func Start(hostURL string, o Options) (*Partners, error) {
	omsSecret := "whsec_" + RandomSecret(24)
	cirroSecret := "whsec_" + RandomSecret(24)
	aesKeyID := "local-" + hex.EncodeToString([]byte(RandomSecret(3)))[:6]
	aesKey := RandomSecret(32)
	keyring, err := oms.NewKeyring(aesKeyID, aesKey, "", "")
	if err != nil {
		return nil, err
	}
	p := &Partners{Keyring: keyring, FunctionKey: o.FunctionKey}
	p.OMS = omstest.NewServer(omstest.Config{})
	p.Cirro = cirrotest.NewServer(cirrotest.Config{Callback: &cirrotest.Callback{
		BaseURL: strings.TrimRight(hostURL, "/") + "/api/cirro", Secret: cirroSecret, Auto: o.AutoCallbacks, FunctionKey: o.FunctionKey,
		AcceptDelay: 300 * time.Millisecond, ShipDelay: time.Second,
	}})
	p.XB = xbtest.NewServer(xbtest.Config{})
	p.Teams = teamstest.NewServer(teamstest.Config{})
	ships, _ := json.Marshal(ShipMethods)
	p.Settings = map[string]string{
		"OMS_BASE_URL": p.OMS.URL(), "OMS_API_TOKEN": p.OMS.Token(), "OMS_WEBHOOK_SECRETS": omsSecret,
		"OMS_AES_KEY_ID": aesKeyID, "OMS_AES_KEY": aesKey,
		"CIRRO_BASE_URL": p.Cirro.URL(), "CIRRO_APP_KEY": p.Cirro.AppKey(), "CIRRO_APP_TOKEN": p.Cirro.AppToken(),
		"CIRRO_WEBHOOK_SECRETS": cirroSecret,
		"XB_BASE_URL":           p.XB.URL(), "XB_API_KEY": p.XB.APIKey(),
		"SHIP_METHODS":       string(ships),
		"TEAMS_WORKFLOW_URL": p.Teams.URL(),
	}
	if err := startEDI(p); err != nil {
		return nil, err
	}
	p.startPrint(hostURL, o)
	p.startChina()
	p.Requester = &omstest.Requester{
		URL: strings.TrimRight(hostURL, "/") + "/api/fulfillment/request", Secret: omsSecret, Keyring: keyring,
		FunctionKey: o.FunctionKey,
	}
	p.startGladly(hostURL)
	return p, nil
}

// Close stops the fakes.
func (p *Partners) Close() {
	p.Cirro.Close()
	p.OMS.Close()
	p.XB.Close()
	p.Teams.Close()
	p.EDI.Close()
	p.Print.Close()
	p.China.close()
}
