package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/popsockets/integration/handlers/platform"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/store"
)

// deps are the system clients every handler may use. Building them does no
// network I/O; a client that could not be built is nil and configErr says why.
type deps struct {
	cfg       *config
	configErr error
	store     *store.Store
	publisher bus.Publisher
	deadLists platform.DeadLetterCounter
	blobs     blob.Store
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
	return d
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

	srv.Timer("dead-letter-watch", "timer", (&platform.DeadLetterWatch{Parked: d.store, DeadLetters: d.deadLists}).Run)
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
