package fulfillment

import (
	"net/http"
	"slices"

	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/partnerset"
	"github.com/popsockets/integration/shared/webhook"
	"github.com/popsockets/integration/shared/xb"
)

// Function names (the folders under functions/).
const (
	FnFulfillmentRequest = "fulfillment-request"
	FnCirroFulfill       = "cirro-fulfill"
	FnXBFulfill          = "xb-fulfill"
	FnCirroWebhook       = "cirro-webhook"
	FnNAVOrderRelease    = "nav-order-release"
	FnOMSConfirm         = "oms-fulfillment-confirm"
	FnOMSShipConfirm     = "oms-ship-confirm"
)

var (
	omsSteps  = []string{FnNAVOrderRelease, FnOMSConfirm, FnOMSShipConfirm}
	sealedFns = []string{FnFulfillmentRequest, FnCirroFulfill, FnXBFulfill}
	shipFns   = []string{FnCirroFulfill, FnXBFulfill}
)

// Flow is the B2C order flow: OMS -> Cirro or XB -> confirmations back to OMS.
var Flow = kit.Flow{
	Name: "fulfillment",
	Settings: slices.Concat(partnerset.Sealing(sealedFns...), partnerset.OMS(omsSteps...), partnerset.Cirro(FnCirroFulfill), []kit.Setting{
		{Name: "OMS_WEBHOOK_SECRETS", Description: "Standard Webhooks secrets (whsec_...) that sign OMS's fulfilment requests; two, space-separated, during a rotation",
			Secret: true, Functions: []string{FnFulfillmentRequest}},
		{Name: "CIRRO_WAREHOUSE_CODE", Description: "Cirro warehouse code orders are sent to (empty: Cirro's default)", Optional: true,
			Functions: []string{FnCirroFulfill}},
		{Name: "CIRRO_WEBHOOK_SECRETS", Description: "Standard Webhooks secrets that sign Cirro's callbacks; two, space-separated, during a rotation",
			Secret: true, Functions: []string{FnCirroWebhook}},
		{Name: "XB_BASE_URL", Description: "XB API base URL", Check: kit.HTTPSURL, Functions: []string{FnXBFulfill}},
		{Name: "XB_API_KEY", Description: "XB API key", Secret: true, Functions: []string{FnXBFulfill}},
		{Name: "SHIP_METHODS", Description: `JSON map of OMS ship methods to warehouse codes: {"cirro": {"STANDARD": "USPS_GROUND"}, "xb": {...}}`,
			Check: checkShipMethods, Functions: shipFns},
		{Name: "FULFILLMENT_B2B_SOURCES", Description: "order sources that are business orders", Default: "b2b_portal,edi",
			Functions: []string{FnFulfillmentRequest}},
		{Name: "FULFILLMENT_PREPACK_CODES", Description: "pack codes that make an order pre-pack (empty: any pack code)", Optional: true,
			Functions: []string{FnFulfillmentRequest}},
	}),
	Register: register,
}

func checkShipMethods(v string) error {
	_, err := ParseShipMethods(v)
	return err
}

func shipMethods(p *kit.Parts) ShipMethods {
	m, _ := ParseShipMethods(p.Setting("SHIP_METHODS")) // Check reports a bad value
	return m
}

func verifier(p *kit.Parts, partner, setting string) *webhook.Verifier {
	secrets := p.Setting(setting)
	if secrets == "" {
		return nil // the read recorded it
	}
	v, err := webhook.NewVerifier(partner, webhook.ParseSecrets(secrets), nil)
	p.Fail(err)
	return v
}

func register(r *kit.Registry) {
	r.HTTP(FnFulfillmentRequest, http.MethodPost, "fulfillment/request/{tpl}", func(p *kit.Parts) (http.Handler, error) {
		rules := DefaultRules
		if src := ParseList(p.Setting("FULFILLMENT_B2B_SOURCES")); len(src) > 0 {
			rules.B2BSources = src
		}
		rules.PrePackCodes = ParseList(p.Setting("FULFILLMENT_PREPACK_CODES"))
		return &Request{
			Store: p.Store(), Outbox: p.Outbox(TopicFulfillmentRequest), Verifier: verifier(p, "oms", "OMS_WEBHOOK_SECRETS"),
			Keyring: partnerset.Keyring(p), Rules: rules, TPLs: []string{"cirro", "xb"}, Now: p.Now(),
		}, nil
	})
	r.ServiceBus(FnCirroFulfill, "msg", false, func(p *kit.Parts) (kit.MessageFunc, error) {
		return (&CirroFulfill{Store: p.Store(), Cirro: partnerset.CirroClient(p), Keyring: partnerset.Keyring(p), ShipMethods: shipMethods(p),
			Warehouse: p.Setting("CIRRO_WAREHOUSE_CODE")}).Handle, nil
	})
	r.ServiceBus(FnXBFulfill, "msg", false, func(p *kit.Parts) (kit.MessageFunc, error) {
		c, err := xb.New(xb.Config{BaseURL: p.Setting("XB_BASE_URL"), APIKey: p.Setting("XB_API_KEY")})
		p.Fail(err)
		return (&XBFulfill{Store: p.Store(), XB: c, Keyring: partnerset.Keyring(p), ShipMethods: shipMethods(p)}).Handle, nil
	})
	r.HTTP(FnCirroWebhook, http.MethodPost, "cirro/{event}", func(p *kit.Parts) (http.Handler, error) {
		return &CirroWebhook{Store: p.Store(), Verifier: verifier(p, "cirro", "CIRRO_WEBHOOK_SECRETS"),
			Outbox: p.Outbox(TopicFulfillmentConfirmation, TopicShipped), Parker: p.Parker(), Now: p.Now()}, nil
	})
	steps := func(p *kit.Parts) *OMSSteps { return &OMSSteps{Store: p.Store(), OMS: partnerset.OMSClient(p)} }
	r.ServiceBus(FnNAVOrderRelease, "msg", false, func(p *kit.Parts) (kit.MessageFunc, error) { return steps(p).NAVRelease, nil })
	r.ServiceBus(FnOMSConfirm, "msg", false, func(p *kit.Parts) (kit.MessageFunc, error) { return steps(p).ConfirmFulfillment, nil })
	r.ServiceBus(FnOMSShipConfirm, "msg", false, func(p *kit.Parts) (kit.MessageFunc, error) { return steps(p).ShipConfirm, nil })
}
