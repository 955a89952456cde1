package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/popsockets/integration/handlers/fulfillment"
	"github.com/popsockets/integration/handlers/platform"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/cirro"
	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/teams"
	"github.com/popsockets/integration/shared/webhook"
	"github.com/popsockets/integration/shared/xb"
)

// deps are the system clients every handler may use. Building them does no
// network I/O. configErr is what stops every function (no database, no
// environment); a partner that is not configured stops only the functions
// that need it, with an error naming the missing setting.
type deps struct {
	cfg       *config
	configErr error
	store     *store.Store
	publisher bus.Publisher
	deadLists platform.DeadLetterCounter
	blobs     blob.Store

	oms       *oms.Client
	omsErr    error
	keyring   *oms.Keyring
	keyErr    error
	omsHooks  *webhook.Verifier
	omsHkErr  error
	cirro     *cirro.Client
	cirroErr  error
	cirroHks  *webhook.Verifier
	cirroHErr error
	xb        *xb.Client
	xbErr     error
	teams     *teams.Client
	ships     fulfillment.ShipMethods
	shipsErr  error
}

func buildDeps(cfg *config, configErr error, log *slog.Logger) *deps {
	d := &deps{cfg: cfg, configErr: configErr}
	var errs []error
	if configErr != nil {
		errs = append(errs, configErr)
	}
	if cfg.DatabaseURL != "" {
		s, err := store.Open(store.Config{URL: cfg.DatabaseURL})
		if err != nil {
			errs = append(errs, err)
		} else {
			d.store = s
		}
	}
	switch {
	case cfg.DevhostURL != "":
		l, err := bus.NewLocal(bus.LocalConfig{URL: cfg.DevhostURL, Topics: cfg.Topics})
		if err != nil {
			errs = append(errs, err)
		} else {
			d.publisher, d.deadLists = l, l
		}
	case cfg.ServiceBusConnection != "" || cfg.ServiceBusNamespace != "":
		sbc := bus.ServiceBusConfig{ConnectionString: cfg.ServiceBusConnection, Topics: cfg.Topics, Subscriptions: cfg.Subscriptions}
		if sbc.ConnectionString == "" {
			sbc.Namespace = cfg.ServiceBusNamespace
			cred, err := azidentity.NewDefaultAzureCredential(nil)
			if err != nil {
				errs = append(errs, err)
			}
			sbc.Credential = cred
		}
		if sb, err := bus.NewServiceBus(sbc); err != nil {
			errs = append(errs, err)
		} else {
			d.publisher, d.deadLists = sb, sb
		}
	}
	switch {
	case cfg.BlobLocalDir != "":
		fs, err := blob.NewFS(blob.FSConfig{Root: cfg.BlobLocalDir})
		if err != nil {
			errs = append(errs, err)
		} else {
			d.blobs = fs
		}
	case cfg.BlobConnection != "" || cfg.BlobServiceURI != "":
		ac := blob.AzureConfig{ConnectionString: cfg.BlobConnection}
		if ac.ConnectionString == "" {
			ac.ServiceURL = cfg.BlobServiceURI
			cred, err := azidentity.NewDefaultAzureCredential(nil)
			if err != nil {
				errs = append(errs, err)
			}
			ac.Credential = cred
		}
		if a, err := blob.NewAzure(ac); err != nil {
			errs = append(errs, err)
		} else {
			d.blobs = a
		}
	}
	d.configErr = errors.Join(errs...)
	if d.configErr != nil {
		log.Error("configuration incomplete: invocations will fail until it is fixed", "error", d.configErr)
	}

	d.oms, d.omsErr = oms.New(oms.Config{BaseURL: cfg.OMS.BaseURL, Token: cfg.OMS.Token})
	d.keyring, d.keyErr = oms.NewKeyring(cfg.OMS.AESKeyID, cfg.OMS.AESKey, cfg.OMS.AESPrevID, cfg.OMS.AESPrev)
	d.omsHooks, d.omsHkErr = webhook.NewVerifier("oms", webhook.ParseSecrets(cfg.OMS.WebhookSecrets), nil)
	d.cirro, d.cirroErr = cirro.New(cirro.Config{BaseURL: cfg.Cirro.BaseURL, AppKey: cfg.Cirro.AppKey, AppToken: cfg.Cirro.AppToken,
		RatePerMinute: cfg.Cirro.RatePerMinute})
	d.cirroHks, d.cirroHErr = webhook.NewVerifier("cirro", webhook.ParseSecrets(cfg.Cirro.WebhookSecrets), nil)
	d.xb, d.xbErr = xb.New(xb.Config{BaseURL: cfg.XB.BaseURL, APIKey: cfg.XB.APIKey})
	d.ships, d.shipsErr = fulfillment.ParseShipMethods(cfg.ShipMethods)
	if cfg.TeamsURL != "" {
		t, err := teams.New(teams.Config{WorkflowURL: cfg.TeamsURL})
		if err != nil {
			log.Error("Teams alerts are off", "error", err)
		} else {
			d.teams = t
		}
	} else {
		log.Warn("TEAMS_WORKFLOW_URL is not set: parked messages are reported in the logs only")
	}
	return d
}

// alerter is the Teams alert on parking, or nil without Teams.
func (d *deps) alerter() azfunc.Alerter {
	if d.teams == nil {
		return nil
	}
	return &platform.ParkedAlerts{Teams: d.teams, Environment: d.cfg.Environment}
}

// needs joins the errors of a function's missing dependencies, naming the function.
func needs(function string, errs ...error) error {
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s is not configured: %w", function, err)
	}
	return nil
}

// unconfiguredMessage fails every message of a function that lacks a
// partner's settings; it is transient so the messages wait (and are
// dead-lettered, then reported) rather than being lost.
func unconfiguredMessage(err error) func(context.Context, *azfunc.Message) error {
	return func(context.Context, *azfunc.Message) error { return err }
}

func unconfiguredHTTP(err error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { azfunc.Fail(w, r, err) })
}

// Ready is the gate every invocation passes: a complete configuration and a
// database at the binary's schema.
func (d *deps) Ready(ctx context.Context) error {
	if d.configErr != nil {
		return d.configErr
	}
	return d.store.Ready(ctx)
}

// Park stores a permanent failure; without a database nothing can be
// parked, and the invocation fails so the message is kept by Service Bus.
func (d *deps) Park(ctx context.Context, p azfunc.Parked) (azfunc.ParkResult, error) {
	if d.store == nil {
		return azfunc.ParkResult{}, errors.New("cannot park: no database configured")
	}
	return d.store.Park(ctx, p)
}

// register adds every function of the app. Its names are the folders under
// functions/, and a test holds the two lists equal.
func register(srv *azfunc.Server, d *deps) {
	var schema platform.SchemaReader
	if d.store != nil {
		schema = d.store
	}
	srv.HTTP("health", http.MethodGet, "health", &platform.Health{
		DB: schema, ConfigErr: d.configErr, Version: version(), Environment: d.cfg.Environment,
	}, azfunc.SkipGate())
	watch := &platform.DeadLetterWatch{Parked: d.store, DeadLetters: d.deadLists, Environment: d.cfg.Environment}
	if d.teams != nil {
		watch.Alerts = d.teams
	}
	srv.Timer("dead-letter-watch", "timer", watch.Run)
	srv.Timer("outbox-relay", "timer", (&platform.OutboxRelay{Outbox: d.store, Publisher: d.publisher}).Run)

	// The order flow: OMS -> Cirro or XB -> confirmations back to OMS.
	rules := fulfillment.DefaultRules
	if src := fulfillment.ParseList(d.cfg.B2BSources); len(src) > 0 {
		rules.B2BSources = src
	}
	rules.PrePackCodes = fulfillment.ParseList(d.cfg.PrePackCodes)
	if err := needs("fulfillment-request", d.omsHkErr, d.keyErr); err != nil {
		srv.HTTP("fulfillment-request", http.MethodPost, "fulfillment/request/{tpl}", unconfiguredHTTP(err))
	} else {
		srv.HTTP("fulfillment-request", http.MethodPost, "fulfillment/request/{tpl}", &fulfillment.Request{
			Store: d.store, Verifier: d.omsHooks, Publisher: d.publisher, Keyring: d.keyring, Rules: rules,
			TPLs: []string{"cirro", "xb"}, Now: time.Now,
		})
	}
	if err := needs("cirro-fulfill", d.cirroErr, d.keyErr, d.shipsErr); err != nil {
		srv.ServiceBus("cirro-fulfill", "msg", false, unconfiguredMessage(err))
	} else {
		srv.ServiceBus("cirro-fulfill", "msg", false, (&fulfillment.CirroFulfill{
			Store: d.store, Cirro: d.cirro, Keyring: d.keyring, ShipMethods: d.ships, Warehouse: d.cfg.Cirro.Warehouse,
		}).Handle)
	}
	if err := needs("xb-fulfill", d.xbErr, d.keyErr, d.shipsErr); err != nil {
		srv.ServiceBus("xb-fulfill", "msg", false, unconfiguredMessage(err))
	} else {
		srv.ServiceBus("xb-fulfill", "msg", false, (&fulfillment.XBFulfill{
			Store: d.store, XB: d.xb, Keyring: d.keyring, ShipMethods: d.ships,
		}).Handle)
	}
	if err := needs("cirro-webhook", d.cirroHErr); err != nil {
		srv.HTTP("cirro-webhook", http.MethodPost, "cirro/{event}", unconfiguredHTTP(err))
	} else {
		srv.HTTP("cirro-webhook", http.MethodPost, "cirro/{event}", &fulfillment.CirroWebhook{
			Store: d.store, Verifier: d.cirroHks, Publisher: d.publisher, Now: time.Now,
		})
	}
	steps := &fulfillment.OMSSteps{Store: d.store, OMS: d.oms}
	for name, h := range map[string]func(context.Context, *azfunc.Message) error{
		"nav-order-release":       steps.NAVRelease,
		"oms-fulfillment-confirm": steps.ConfirmFulfillment,
		"oms-ship-confirm":        steps.ShipConfirm,
	} {
		if err := needs(name, d.omsErr); err != nil {
			h = unconfiguredMessage(err)
		}
		srv.ServiceBus(name, "msg", false, h)
	}
}

// version is the VCS revision the binary was built from.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}
