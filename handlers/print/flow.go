package print

import (
	"net/http"
	"strings"

	"github.com/popsockets/integration/shared/imagevalidator"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/printstation"
	"github.com/popsockets/integration/shared/webhook"
)

// Function names (the folders under functions/).
const (
	FnIntake  = "print-order-intake"
	FnBuild   = "print-batch-build"
	FnWebhook = "printstation-webhook"
)

var (
	rulesFns = []string{FnIntake, FnBuild}
	buildFns = []string{FnBuild}
)

// Flow is custom print: printable orders from order-update into the batch
// queue, batches to PrintStation, and PrintStation's results to OMS on
// batching-update.
var Flow = kit.Flow{
	Name: "print",
	Settings: []kit.Setting{
		{Name: "PRINT_RULES", Description: "print batching rules: empty for the embedded handlers/print/rules.json, else the JSON itself or the path of a file holding it",
			Optional: true, Check: checkRules, Functions: rulesFns},
		{Name: "PRINT_BATCH_BUILD_SCHEDULE", Description: "NCRONTAB schedule of print-batch-build", Default: "0 */5 * * * *", Host: true},
		{Name: "PRINTSTATION_BASE_URL", Description: "PrintStation API base URL", Check: kit.HTTPSURL, Functions: buildFns},
		{Name: "PRINTSTATION_API_KEY", Description: "PrintStation API key", Secret: true, Functions: buildFns},
		{Name: "PRINTSTATION_WEBHOOK_SECRETS", Description: "Standard Webhooks secrets (whsec_...) that sign PrintStation's batch events; two, space-separated, during a rotation",
			Secret: true, Functions: []string{FnWebhook}},
		{Name: "IMAGE_VALIDATOR_BASE_URL", Description: "image validator API base URL", Check: kit.HTTPSURL, Functions: buildFns},
		{Name: "IMAGE_VALIDATOR_TOKEN_URL", Description: "image validator OAuth 2.0 token endpoint (client credentials)", Check: kit.HTTPSURL, Functions: buildFns},
		{Name: "IMAGE_VALIDATOR_CLIENT_ID", Description: "image validator OAuth client id", Functions: buildFns},
		{Name: "IMAGE_VALIDATOR_CLIENT_SECRET", Description: "image validator OAuth client secret", Secret: true, Functions: buildFns},
		{Name: "IMAGE_VALIDATOR_SCOPE", Description: "scopes asked with the token, space-separated (empty: none)", Optional: true, Functions: buildFns},
	},
	Register: register,
}

func checkRules(v string) error {
	_, err := LoadRules(v)
	return err
}

func rules(p *kit.Parts) *Rules {
	r, err := LoadRules(p.Setting("PRINT_RULES"))
	if err != nil {
		return DefaultRules() // Check has reported the setting
	}
	return r
}

func register(r *kit.Registry) {
	r.ServiceBus(FnIntake, "msg", false, func(p *kit.Parts) (kit.MessageFunc, error) {
		return (&Intake{Store: p.Store(), Rules: rules(p)}).Handle, nil
	})
	r.Timer(FnBuild, "timer", func(p *kit.Parts) (kit.TimerFunc, error) {
		ps, err := printstation.New(printstation.Config{BaseURL: p.Setting("PRINTSTATION_BASE_URL"), APIKey: p.Setting("PRINTSTATION_API_KEY")})
		p.Fail(err)
		iv, err := imagevalidator.New(imagevalidator.Config{BaseURL: p.Setting("IMAGE_VALIDATOR_BASE_URL"), TokenURL: p.Setting("IMAGE_VALIDATOR_TOKEN_URL"),
			ClientID: p.Setting("IMAGE_VALIDATOR_CLIENT_ID"), ClientSecret: p.Setting("IMAGE_VALIDATOR_CLIENT_SECRET"),
			Scopes: strings.Fields(p.Setting("IMAGE_VALIDATOR_SCOPE"))})
		p.Fail(err)
		return (&Builder{Store: p.Store(), Rules: rules(p), Validator: iv, PrintStation: ps, Parker: p.Parker(), Now: p.Now()}).Run, nil
	})
	r.HTTP(FnWebhook, http.MethodPost, "printstation/batches", func(p *kit.Parts) (http.Handler, error) {
		var v *webhook.Verifier
		if secrets := p.Setting("PRINTSTATION_WEBHOOK_SECRETS"); secrets != "" {
			var err error
			v, err = webhook.NewVerifier("printstation", webhook.ParseSecrets(secrets), p.Now())
			p.Fail(err)
		}
		return &Webhook{Store: p.Store(), Verifier: v, Outbox: p.Outbox(TopicBatchingUpdate), Parker: p.Parker(), Now: p.Now()}, nil
	})
}
