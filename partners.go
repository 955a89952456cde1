package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/cirro/cirrotest"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/oms/omstest"
	"github.com/popsockets/integration/shared/teams/teamstest"
	"github.com/popsockets/integration/shared/xb/xbtest"
)

// localPartners are the simulated partners of a local run and of the
// end-to-end tests: each fake serves its system's wire protocol on a real
// socket, and the settings point the handler at them.
type localPartners struct {
	OMS      *omstest.Server
	Cirro    *cirrotest.Server
	XB       *xbtest.Server
	Teams    *teamstest.Server
	Keyring  *oms.Keyring
	Settings map[string]string
	// Requester plays OMS asking for fulfilment.
	Requester *omstest.Requester
}

// localShipMethods maps the OMS sample ship methods to codes the fakes accept.
var localShipMethods = map[string]map[string]string{
	"cirro": {"STANDARD": "USPS_GROUND", "EXPRESS": "UPS_2DAY", "2DAY": "UPS_2DAY"},
	"xb":    {"STANDARD": "STANDARD", "EXPRESS": "EXPRESS", "2DAY": "EXPRESS"},
}

func randomSecret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// startLocalPartners starts the fakes. hostURL is where the Functions host
// listens (Cirro calls it back); autoCallbacks makes Cirro accept and ship
// every order by itself.
func startLocalPartners(hostURL string, autoCallbacks bool) (*localPartners, error) {
	omsSecret := "whsec_" + randomSecret(24)
	cirroSecret := "whsec_" + randomSecret(24)
	aesKeyID := "local-" + hex.EncodeToString([]byte(randomSecret(3)))[:6]
	aesKey := randomSecret(32)
	keyring, err := oms.NewKeyring(aesKeyID, aesKey, "", "")
	if err != nil {
		return nil, err
	}
	p := &localPartners{Keyring: keyring}
	p.OMS = omstest.NewServer(omstest.Config{})
	p.Cirro = cirrotest.NewServer(cirrotest.Config{Callback: &cirrotest.Callback{
		BaseURL: strings.TrimRight(hostURL, "/") + "/api/cirro", Secret: cirroSecret, Auto: autoCallbacks,
		AcceptDelay: 300 * time.Millisecond, ShipDelay: time.Second,
	}})
	p.XB = xbtest.NewServer(xbtest.Config{})
	p.Teams = teamstest.NewServer(teamstest.Config{})
	ships, _ := json.Marshal(localShipMethods)
	p.Settings = map[string]string{
		"OMS_BASE_URL": p.OMS.URL(), "OMS_API_TOKEN": p.OMS.Token(), "OMS_WEBHOOK_SECRETS": omsSecret,
		"OMS_AES_KEY_ID": aesKeyID, "OMS_AES_KEY": aesKey,
		"CIRRO_BASE_URL": p.Cirro.URL(), "CIRRO_APP_KEY": p.Cirro.AppKey(), "CIRRO_APP_TOKEN": p.Cirro.AppToken(),
		"CIRRO_WEBHOOK_SECRETS": cirroSecret,
		"XB_BASE_URL":           p.XB.URL(), "XB_API_KEY": p.XB.APIKey(),
		"SHIP_METHODS":       string(ships),
		"TEAMS_WORKFLOW_URL": p.Teams.URL(),
	}
	p.Requester = &omstest.Requester{
		URL: strings.TrimRight(hostURL, "/") + "/api/fulfillment/request", Secret: omsSecret, Keyring: keyring,
	}
	return p, nil
}

// Close stops the fakes.
func (p *localPartners) Close() {
	p.Cirro.Close()
	p.OMS.Close()
	p.XB.Close()
	p.Teams.Close()
}
