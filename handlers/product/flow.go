package product

import (
	"net/http"
	"strconv"
	"time"

	"github.com/popsockets/integration/shared/arena"
	"github.com/popsockets/integration/shared/jackyun"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/printstation"
)

// Function names (the folders under functions/).
const (
	FnPoll           = "arena-item-poll"
	FnLookup         = "arena-item"
	FnToOMS          = "product-to-oms"
	FnToPrintStation = "product-to-printstation"
	FnToJackyun      = "product-to-jackyun"
)

var (
	arenaFns   = []string{FnPoll, FnLookup}
	pollFns    = []string{FnPoll}
	jackyunFns = []string{FnToJackyun}
)

// Flow is product data: Arena PLM -> OMS, PrintStation and Jackyun, and
// the item lookup other teams call.
var Flow = kit.Flow{
	Name: "product",
	Settings: []kit.Setting{
		{Name: "ARENA_BASE_URL", Description: "Arena PLM REST API root (https://api.arenasolutions.com/v1)", Check: kit.HTTPSURL,
			Functions: arenaFns},
		{Name: "ARENA_EMAIL", Description: "the Arena integration user's e-mail (a credential: never logged)", Secret: true, Functions: arenaFns},
		{Name: "ARENA_PASSWORD", Description: "the Arena integration user's password", Secret: true, Functions: arenaFns},
		{Name: "ARENA_WORKSPACE_ID", Description: "the Arena workspace to log in to", Check: kit.PositiveInt, Functions: arenaFns},
		{Name: "ARENA_OUTBOUND_INTEGRATION", Description: "GUID of the Arena outbound integration whose events the poll reads " +
			"(empty: the poll reads items made effective since its watermark)", Optional: true, Functions: pollFns},
		{Name: "ARENA_POLL_SCHEDULE", Description: "NCRONTAB schedule of arena-item-poll", Default: "0 */10 * * * *", Host: true},
		{Name: "ARENA_QUOTA_RESERVE", Description: "Arena requests of the day the poll leaves for the item lookup", Default: "500",
			Check: nonNegative, Functions: pollFns},
		{Name: "ARENA_POLL_OVERLAP_MINUTES", Description: "how far before its watermark the poll reads again (without events)", Default: "10",
			Check: kit.PositiveInt, Functions: pollFns},
		{Name: "ARENA_POLL_FIRST_HOURS", Description: "how far back the first poll reads (without events)", Default: "24", Check: kit.PositiveInt,
			Functions: pollFns},
		{Name: "PRODUCT_OMS_BASE_URL", Description: "OMS (OSOR) API base URL, for the product flow (the same value as OMS_BASE_URL)",
			Check: kit.HTTPSURL, Functions: []string{FnToOMS}},
		{Name: "PRODUCT_OMS_API_TOKEN", Description: "OMS API token, for the product flow (the same value as OMS_API_TOKEN)", Secret: true,
			Functions: []string{FnToOMS}},
		{Name: "PRODUCT_PRINTSTATION_BASE_URL", Description: "PrintStation API base URL, for the product flow", Check: kit.HTTPSURL,
			Functions: []string{FnToPrintStation}},
		{Name: "PRODUCT_PRINTSTATION_API_KEY", Description: "PrintStation API key, for the product flow", Secret: true,
			Functions: []string{FnToPrintStation}},
		{Name: "PRODUCT_JACKYUN_URL", Description: "the Qimen router URL, for the product flow (the same value as JACKYUN_URL)",
			Check: kit.HTTPSURL, Functions: jackyunFns},
		{Name: "PRODUCT_JACKYUN_APP_KEY", Description: "the Qimen app key, for the product flow", Functions: jackyunFns},
		{Name: "PRODUCT_JACKYUN_APP_SECRET", Description: "the Qimen app secret, for the product flow", Secret: true, Functions: jackyunFns},
		{Name: "PRODUCT_JACKYUN_SIGN_METHOD", Description: "hmac-sha256 or md5, for the product flow", Default: jackyun.SignHMACSHA256,
			Check: kit.OneOf(jackyun.SignHMACSHA256, jackyun.SignMD5), Functions: jackyunFns},
		{Name: "PRODUCT_JACKYUN_CUSTOMER_ID", Description: "Jackyun's tenant id, for the product flow (empty: not sent)", Optional: true,
			Functions: jackyunFns},
		{Name: "PRODUCT_JACKYUN_TARGET_APP_KEY", Description: "the ERP's Qimen app for custom methods, for the product flow (empty: not sent)",
			Optional: true, Functions: jackyunFns},
	},
	Register: register,
}

type settingError string

func (e settingError) Error() string { return string(e) }

func nonNegative(v string) error {
	if n, err := strconv.Atoi(v); err != nil || n < 0 {
		return settingError("is not a whole number of zero or more")
	}
	return nil
}

// arenaClient builds an Arena client on the shared session; reserve is how
// many of the day's requests it leaves to others.
func arenaClient(p *kit.Parts, reserve int) *arena.Client {
	ws, _ := strconv.ParseInt(p.Setting("ARENA_WORKSPACE_ID"), 10, 64) // Check reports a bad value
	c, err := arena.New(arena.Config{
		BaseURL: p.Setting("ARENA_BASE_URL"), Email: p.Setting("ARENA_EMAIL"), Password: p.Setting("ARENA_PASSWORD"), WorkspaceID: ws,
		Sessions: &arena.PostgresSessions{Store: p.Store()}, Reserve: reserve, Now: p.Now(), HTTPClient: p.HTTPClient(),
	})
	p.Fail(err)
	return c
}

func register(r *kit.Registry) {
	r.Timer(FnPoll, "timer", func(p *kit.Parts) (kit.TimerFunc, error) {
		poll := &Poll{
			Store: p.Store(), Outbox: p.Outbox(TopicProducts), Parker: p.Parker(), Now: p.Now(), Arena: arenaClient(p, p.Int("ARENA_QUOTA_RESERVE")),
			Integration:   p.Setting("ARENA_OUTBOUND_INTEGRATION"),
			Overlap:       time.Duration(p.Int("ARENA_POLL_OVERLAP_MINUTES")) * time.Minute,
			FirstLookback: time.Duration(p.Int("ARENA_POLL_FIRST_HOURS")) * time.Hour,
		}
		return poll.Run, nil
	})
	r.HTTP(FnLookup, http.MethodGet, "arena/item", func(p *kit.Parts) (http.Handler, error) {
		return &Lookup{Arena: arenaClient(p, 0)}, nil
	})
	r.ServiceBus(FnToOMS, "msg", false, func(p *kit.Parts) (kit.MessageFunc, error) {
		c, err := oms.New(oms.Config{BaseURL: p.Setting("PRODUCT_OMS_BASE_URL"), Token: p.Setting("PRODUCT_OMS_API_TOKEN")})
		p.Fail(err)
		return (&Push{Store: p.Store(), Target: OMSTarget{OMS: c}}).Handle, nil
	})
	r.ServiceBus(FnToPrintStation, "msg", false, func(p *kit.Parts) (kit.MessageFunc, error) {
		c, err := printstation.New(printstation.Config{BaseURL: p.Setting("PRODUCT_PRINTSTATION_BASE_URL"), APIKey: p.Setting("PRODUCT_PRINTSTATION_API_KEY")})
		p.Fail(err)
		return (&Push{Store: p.Store(), Target: PrintStationTarget{PrintStation: c}}).Handle, nil
	})
	r.ServiceBus(FnToJackyun, "msg", false, func(p *kit.Parts) (kit.MessageFunc, error) {
		c, err := jackyun.New(jackyun.Config{
			URL: p.Setting("PRODUCT_JACKYUN_URL"), AppKey: p.Setting("PRODUCT_JACKYUN_APP_KEY"), Secret: p.Setting("PRODUCT_JACKYUN_APP_SECRET"),
			SignMethod: p.Setting("PRODUCT_JACKYUN_SIGN_METHOD"), CustomerID: p.Setting("PRODUCT_JACKYUN_CUSTOMER_ID"),
			TargetAppKey: p.Setting("PRODUCT_JACKYUN_TARGET_APP_KEY"), Setting: "PRODUCT_JACKYUN_APP_SECRET", Now: p.Now(), HTTPClient: p.HTTPClient(),
		})
		p.Fail(err)
		return (&Push{Store: p.Store(), Target: JackyunTarget{Jackyun: c}}).Handle, nil
	})
}
