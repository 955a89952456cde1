package china

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/popsockets/integration/shared/jackyun"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/partnerset"
)

// Function names (the folders under functions/).
const (
	FnPoll           = "jackyun-order-poll"
	FnToOMS          = "jackyun-to-oms"
	FnToBatchStation = "jackyun-to-batchstation"
)

var pollFns = []string{FnPoll}

// Flow is China orders: Jackyun -> OMS (and on to XB through the
// fulfilment flow), and the orders' print lines -> BatchStation.
var Flow = kit.Flow{
	Name: "china",
	Settings: slices.Concat(partnerset.Jackyun(pollFns...), partnerset.OMS(FnToOMS), []kit.Setting{
		{Name: "JACKYUN_POLL_SCHEDULE", Description: "NCRONTAB schedule of jackyun-order-poll", Default: "0 */5 * * * *", Host: true},
		{Name: "JACKYUN_POLL_OVERLAP_MINUTES", Description: "how far before the watermark each poll starts again, for orders Jackyun shows late",
			Default: "10", Check: kit.PositiveInt, Functions: pollFns},
		{Name: "JACKYUN_POLL_FIRST_HOURS", Description: "how far back the first poll reads (no watermark yet)", Default: "24", Check: kit.PositiveInt,
			Functions: pollFns},
		{Name: "JACKYUN_POLL_WINDOW_MINUTES", Description: "the longest window of orders asked for in one listing", Default: "60",
			Check: kit.PositiveInt, Functions: pollFns},
		{Name: "JACKYUN_PAGE_SIZE", Description: "orders per page (at most 200)", Default: "200", Check: pageSize, Functions: pollFns},
		{Name: "CHINA_OMS_WAREHOUSE", Description: "OMS's code of the China warehouse Jackyun orders are created for", Default: "KH",
			Functions: []string{FnToOMS}},
		{Name: "CHINA_BATCHSTATION_SITE", Description: "the BatchStation print site of Jackyun orders", Default: "KH",
			Functions: []string{FnToBatchStation}},
	}),
	Register: register,
}

func pageSize(v string) error {
	if n, err := strconv.Atoi(v); err != nil || n <= 0 || n > jackyun.MaxPageSize {
		return fmt.Errorf("is not a whole number from 1 to %d (Jackyun's page limit)", jackyun.MaxPageSize)
	}
	return nil
}

func register(r *kit.Registry) {
	r.Timer(FnPoll, "timer", func(p *kit.Parts) (kit.TimerFunc, error) {
		poll := &Poll{
			Store: p.Store(), Jackyun: partnerset.JackyunClient(p), Outbox: p.Outbox(TopicJackyunOrders), Parker: p.Parker(), Now: p.Now(),
			Rules: WindowRules{
				Overlap:       time.Duration(p.Int("JACKYUN_POLL_OVERLAP_MINUTES")) * time.Minute,
				FirstLookback: time.Duration(p.Int("JACKYUN_POLL_FIRST_HOURS")) * time.Hour,
				MaxSpan:       time.Duration(p.Int("JACKYUN_POLL_WINDOW_MINUTES")) * time.Minute,
			},
			PageSize: p.Int("JACKYUN_PAGE_SIZE"),
		}
		return poll.Run, nil
	})
	r.ServiceBus(FnToOMS, "msg", false, func(p *kit.Parts) (kit.MessageFunc, error) {
		return (&ToOMS{Store: p.Store(), OMS: partnerset.OMSClient(p), Warehouse: p.Setting("CHINA_OMS_WAREHOUSE")}).Handle, nil
	})
	r.ServiceBus(FnToBatchStation, "msg", false, func(p *kit.Parts) (kit.MessageFunc, error) {
		return (&ToBatchStation{Store: p.Store(), Outbox: p.Outbox(TopicOrderUpdate), Site: p.Setting("CHINA_BATCHSTATION_SITE"), Now: p.Now()}).Handle, nil
	})
}
