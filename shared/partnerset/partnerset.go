// Package partnerset declares, once, the settings of the partners more than
// one flow calls (OMS, its sealing keys, PrintStation, Jackyun) and builds
// their clients from them. Each flow passes the names of its own functions
// that read them; the kit accepts a setting declared by several flows when
// the declarations are alike, which these are by construction, so one app
// setting and one Key Vault secret serve every flow.
package partnerset

import (
	"github.com/popsockets/integration/shared/jackyun"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/printstation"
)

// OMS declares the OMS (OSOR) API settings, read by the named functions.
func OMS(functions ...string) []kit.Setting {
	return []kit.Setting{
		{Name: "OMS_BASE_URL", Description: "OMS (OSOR) API base URL", Check: kit.HTTPSURL, Functions: functions},
		{Name: "OMS_API_TOKEN", Description: "OMS API token (Bearer)", Secret: true, Functions: functions},
	}
}

// OMSClient is the OMS client OMS's settings describe.
func OMSClient(p *kit.Parts) *oms.Client {
	c, err := oms.New(oms.Config{BaseURL: p.Setting("OMS_BASE_URL"), Token: p.Setting("OMS_API_TOKEN")})
	p.Fail(err)
	return c
}

// PrintStation declares the PrintStation API settings, read by the named
// functions.
func PrintStation(functions ...string) []kit.Setting {
	return []kit.Setting{
		{Name: "PRINTSTATION_BASE_URL", Description: "PrintStation API base URL", Check: kit.HTTPSURL, Functions: functions},
		{Name: "PRINTSTATION_API_KEY", Description: "PrintStation API key", Secret: true, Functions: functions},
	}
}

// PrintStationClient is the PrintStation client PrintStation's settings
// describe.
func PrintStationClient(p *kit.Parts) *printstation.Client {
	c, err := printstation.New(printstation.Config{BaseURL: p.Setting("PRINTSTATION_BASE_URL"), APIKey: p.Setting("PRINTSTATION_API_KEY")})
	p.Fail(err)
	return c
}

// Jackyun declares the Jackyun (through Qimen) settings, read by the named
// functions.
func Jackyun(functions ...string) []kit.Setting {
	return []kit.Setting{
		{Name: "JACKYUN_URL", Description: "the Qimen router URL Jackyun is reached through (https://<id>.api.taobao.com/router/qm)",
			Check: kit.HTTPSURL, Functions: functions},
		{Name: "JACKYUN_APP_KEY", Description: "the Qimen app key (enabled for Jackyun's custom interfaces)", Functions: functions},
		{Name: "JACKYUN_APP_SECRET", Description: "the Qimen app secret calls are signed with", Secret: true, Functions: functions},
		{Name: "JACKYUN_SIGN_METHOD", Description: "hmac-sha256 (the company's signing) or md5 (the public Qimen docs')", Default: jackyun.SignHMACSHA256,
			Check: kit.OneOf(jackyun.SignHMACSHA256, jackyun.SignMD5), Functions: functions},
		{Name: "JACKYUN_CUSTOMER_ID", Description: "Jackyun's tenant id, sent as customerId (empty: not sent)", Optional: true, Functions: functions},
		{Name: "JACKYUN_TARGET_APP_KEY", Description: "the ERP's Qimen app for custom methods, sent as target_app_key (empty: not sent)",
			Optional: true, Functions: functions},
	}
}

// JackyunClient is the Jackyun client Jackyun's settings describe.
func JackyunClient(p *kit.Parts) *jackyun.Client {
	c, err := jackyun.New(jackyun.Config{
		URL: p.Setting("JACKYUN_URL"), AppKey: p.Setting("JACKYUN_APP_KEY"), Secret: p.Setting("JACKYUN_APP_SECRET"),
		SignMethod: p.Setting("JACKYUN_SIGN_METHOD"), CustomerID: p.Setting("JACKYUN_CUSTOMER_ID"),
		TargetAppKey: p.Setting("JACKYUN_TARGET_APP_KEY"), Now: p.Now(), HTTPClient: p.HTTPClient(),
	})
	p.Fail(err)
	return c
}
