package product

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/popsockets/integration/shared/arena"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/partnerset"
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
	Settings: slices.Concat(partnerset.OMS(FnToOMS), partnerset.PrintStation(FnToPrintStation), partnerset.Jackyun(jackyunFns...), []kit.Setting{
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
	}),
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
		return (&Push{Store: p.Store(), Target: OMSTarget{OMS: partnerset.OMSClient(p)}}).Handle, nil
	})
	r.ServiceBus(FnToPrintStation, "msg", false, func(p *kit.Parts) (kit.MessageFunc, error) {
		return (&Push{Store: p.Store(), Target: PrintStationTarget{PrintStation: partnerset.PrintStationClient(p)}}).Handle, nil
	})
	r.ServiceBus(FnToJackyun, "msg", false, func(p *kit.Parts) (kit.MessageFunc, error) {
		return (&Push{Store: p.Store(), Target: JackyunTarget{Jackyun: partnerset.JackyunClient(p)}}).Handle, nil
	})
}
