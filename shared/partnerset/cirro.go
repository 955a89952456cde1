package partnerset

import (
	"github.com/popsockets/integration/shared/cirro"
	"github.com/popsockets/integration/shared/kit"
)

// Cirro declares the Cirro API settings, read by the named functions.
func Cirro(functions ...string) []kit.Setting {
	return []kit.Setting{
		{Name: "CIRRO_BASE_URL", Description: "Cirro API base URL", Check: kit.HTTPSURL, Functions: functions},
		{Name: "CIRRO_APP_KEY", Description: "Cirro app_key", Functions: functions},
		{Name: "CIRRO_APP_TOKEN", Description: "Cirro app_token", Secret: true, Functions: functions},
		{Name: "CIRRO_RATE_PER_MINUTE", Description: "Cirro's request limit per API per minute, per instance (Cirro's documented limit)",
			Default: "600", Check: kit.PositiveInt, Functions: functions},
	}
}

// CirroClient is the Cirro client Cirro's settings describe.
func CirroClient(p *kit.Parts) *cirro.Client {
	c, err := cirro.New(cirro.Config{BaseURL: p.Setting("CIRRO_BASE_URL"), AppKey: p.Setting("CIRRO_APP_KEY"),
		AppToken: p.Setting("CIRRO_APP_TOKEN"), RatePerMinute: p.Int("CIRRO_RATE_PER_MINUTE")})
	p.Fail(err)
	return c
}
