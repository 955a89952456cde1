package localpartners

import (
	"strings"
	"time"

	"github.com/popsockets/integration/shared/imagevalidator/imagevalidatortest"
	"github.com/popsockets/integration/shared/printstation/printstationtest"
)

// LocalPrintRules are the print rules of local runs (PRINT_RULES): small
// batches, and a partial batch leaves once its oldest line has waited 8 s,
// so batches form within seconds while the reasons stay visible.
const LocalPrintRules = `{
  "printableImageTypes": ["CPOD", "CYO", "STD"],
  "batchedElsewhere": {"jackyun": "BatchStation"},
  "withdrawStatuses": ["CANCELLED", "CANCELED"],
  "warehouses": {
    "CROF": {"printStationBatching": true, "printSite": "CROF"},
    "KH": {"printStationBatching": true, "printSite": "KH"},
    "NJ": {"printStationBatching": false}
  },
  "sites": {
    "CROF": {"maxItemsPerBatch": 3, "timezone": "America/Denver", "cutoff": "23:59", "maxWait": "8s"},
    "KH": {"maxItemsPerBatch": 3, "timezone": "Asia/Shanghai", "cutoff": "23:59", "maxWait": "8s"}
  },
  "categories": [
    {"category": "custom-photo", "imageTypes": ["CPOD"]},
    {"category": "create-your-own", "imageTypes": ["CYO"]},
    {"category": "standard", "imageTypes": ["STD"]}
  ]
}`

// RejectedImageMark is in the URL of every image the local validator rejects.
const RejectedImageMark = "blurry"

// PrintPartners are the print flow's fakes: PrintStation (which reports
// each batch complete by itself a second after taking it, when the run
// asks for automatic callbacks) and the image validator.
type PrintPartners struct {
	PrintStation *printstationtest.Server
	Validator    *imagevalidatortest.Server
	// Callback is where and how PrintStation reports (tests send their own events with it).
	Callback printstationtest.BatchCallback
}

// startPrint starts the print fakes and adds their settings.
func (p *Partners) startPrint(hostURL string, o Options) {
	cb := printstationtest.BatchCallback{
		URL: strings.TrimRight(hostURL, "/") + "/api/printstation/batches", Secret: "whsec_" + RandomSecret(24),
		FunctionKey: o.FunctionKey, Auto: o.AutoCallbacks, CompleteDelay: time.Second,
	}
	pp := &PrintPartners{PrintStation: printstationtest.NewServer(printstationtest.Config{}),
		Validator: imagevalidatortest.NewServer(imagevalidatortest.Config{}), Callback: cb}
	pp.PrintStation.ReportTo(cb)
	pp.Validator.Reject(RejectedImageMark, "image resolution below 300 dpi")
	p.Print = pp
	for k, v := range map[string]string{
		"PRINT_RULES":           LocalPrintRules,
		"PRINTSTATION_BASE_URL": pp.PrintStation.URL(), "PRINTSTATION_API_KEY": pp.PrintStation.APIKey(),
		"PRINTSTATION_WEBHOOK_SECRETS": cb.Secret,
		"IMAGE_VALIDATOR_BASE_URL":     pp.Validator.URL(), "IMAGE_VALIDATOR_TOKEN_URL": pp.Validator.TokenURL(),
		"IMAGE_VALIDATOR_CLIENT_ID": pp.Validator.ClientID(), "IMAGE_VALIDATOR_CLIENT_SECRET": pp.Validator.ClientSecret(),
	} {
		p.Settings[k] = v
	}
}

// Close stops the print fakes.
func (pp *PrintPartners) Close() {
	pp.PrintStation.Close()
	pp.Validator.Close()
}
