package kit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/popsockets/integration/shared/audit"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/messaging"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/teams"
)

// PlatformSettings are the settings of the shared parts; the functions that
// use a part need its settings.
var PlatformSettings = []Setting{
	{Name: "ENVIRONMENT", Description: "dev, test or prod; shown by the health check and in alerts"},
	{Name: "LOG_LEVEL", Description: "debug, info (default), warn or error", Optional: true, Default: "info",
		Check: OneOf("debug", "info", "warn", "error")},
	{Name: "DATABASE_URL", Description: "PostgreSQL connection string (Key Vault reference in Azure)", Secret: true},
	{Name: "DATABASE_MAX_CONNS", Description: "connections in the pool per instance (default 20)", Optional: true, Default: "20", Check: PositiveInt},
	{Name: "ServiceBusConnection", Description: "Service Bus connection string; leave empty in Azure, where the identity is used", Secret: true, Optional: true},
	{Name: "ServiceBusConnection__fullyQualifiedNamespace", Description: "Service Bus namespace for the managed identity (sb-int-prod.servicebus.windows.net)", Optional: true},
	{Name: "BlobStorage", Description: "storage connection string for archive and staging; leave empty in Azure, where the identity is used", Secret: true, Optional: true},
	{Name: "BlobStorage__blobServiceUri", Description: "blob endpoint for the managed identity (https://stintprod.blob.core.windows.net)", Optional: true},
	{Name: "TEAMS_WORKFLOW_URL", Description: "Teams Workflows webhook URL for alerts (its sig is a credential); empty: alerts go to the logs only", Secret: true, Optional: true},
	{Name: "BLOB_LOCAL_DIR", Description: "a directory used as blob storage on a developer machine", Local: true, Optional: true},
	{Name: "DEVHOST_URL", Description: "the local host's URL; set by the local run so messages go to its broker", Local: true, Optional: true},
	{Name: "DEVHOST_FUNCTION_KEY", Description: "the function key the local host requires (x-functions-key); empty: the local run makes one up and prints it",
		Local: true, Secret: true, Optional: true},
}

// DeadLetterCounter reads the dead-letter depth of every subscription.
type DeadLetterCounter interface {
	DeadLetters(ctx context.Context) ([]bus.DeadLetterCount, error)
}

var (
	_ DeadLetterCounter = (*bus.ServiceBus)(nil)
	_ DeadLetterCounter = (*bus.Local)(nil)
)

// Config configures an App.
type Config struct {
	// Getenv reads app settings (os.Getenv in main).
	Getenv func(string) string
	// Flows are the app's flows, in the order they register.
	Flows []Flow
	// Catalog is infra/messaging.json.
	Catalog *messaging.Catalog
	// Stdout and Stderr receive the JSON log lines.
	Stdout, Stderr io.Writer
	// Version is the build's revision.
	Version string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// HTTPClient is shared by partners without their own transport
	// (default: 30 s timeout).
	HTTPClient *http.Client
	// OutboxPolicy is how failed publishes back off and when they park.
	OutboxPolicy store.OutboxPolicy
	// AuditCredential and AuditHTTPClient reach ADX (default: the managed
	// identity and the library's client); tests point them at a fake.
	AuditCredential azcore.TokenCredential
	AuditHTTPClient *http.Client
}

// App is the process: its settings, logging, shared parts and flows.
type App struct {
	cfg      Config
	values   map[string]string
	settings map[string]Setting // platform and topic settings by name
	flowSet  map[string]map[string]Setting
	logging  *azfunc.Logging
	log      *slog.Logger
	level    slog.Level
	problems []error // process-level: a malformed LOG_LEVEL

	store       *store.Store
	storeErr    error
	publisher   bus.Publisher
	deadLetters DeadLetterCounter
	pubErr      error
	blobs       blob.Store
	blobsErr    error
	teams       *teams.Client
	outbox      *Outbox
	alerts      *Alerts
	audit       *audit.Recorder

	credOnce sync.Once
	cred     azcore.TokenCredential
	credErr  error

	mu     sync.Mutex
	status []FunctionStatus
	reads  map[string][]string
	timers [][2]string // registered timer functions: name, binding
}

// New reads the settings and builds the shared parts, without network I/O.
// It fails only on a programming error (a setting declared twice); a bad
// configuration is reported per function by Status.
func New(cfg Config) (*App, error) {
	if cfg.Getenv == nil || cfg.Catalog == nil {
		return nil, errors.New("kit: Config.Getenv and Config.Catalog are required")
	}
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	a := &App{cfg: cfg, values: map[string]string{}, settings: map[string]Setting{}, flowSet: map[string]map[string]Setting{},
		reads: map[string][]string{}}
	all := append([]Setting(nil), PlatformSettings...)
	all = append(all, AuditSettings...)
	all = append(all, TopicSettings(cfg.Catalog)...)
	for _, s := range all {
		a.settings[s.Name] = s
	}
	seen := map[string]string{}
	for _, s := range all {
		seen[s.Name] = "platform"
	}
	byName := map[string]Setting{}
	var secrets []string
	for i := range cfg.Flows {
		f := &cfg.Flows[i]
		a.flowSet[f.Name] = map[string]Setting{}
		for _, s := range f.Settings {
			if owner, dup := seen[s.Name]; dup {
				// Two flows may need one partner's setting (PrintStation's
				// URL): they declare it alike, each naming its own readers.
				if prev, ok := byName[s.Name]; !ok || !alike(prev, s) {
					return nil, fmt.Errorf("kit: setting %s is declared by both %s and %s, differently", s.Name, owner, f.Name)
				}
			} else {
				seen[s.Name] = f.Name
				byName[s.Name] = s
				all = append(all, s)
			}
			a.flowSet[f.Name][s.Name] = s
		}
	}
	// Every declared secret is redacted, valid or not, read or not.
	for _, s := range all {
		v := cfg.Getenv(s.Name)
		a.values[s.Name] = v
		if s.Secret {
			secrets = append(secrets, secretParts(v)...)
		}
	}
	level := slog.LevelInfo
	lv := a.value(a.settings["LOG_LEVEL"])
	if err := a.settings["LOG_LEVEL"].problem(lv); err != nil {
		a.problems = append(a.problems, fmt.Errorf("%w (logging at info)", err))
	} else if err := level.UnmarshalText([]byte(strings.ToUpper(lv))); err != nil {
		a.problems = append(a.problems, fmt.Errorf("LOG_LEVEL: %w", err))
	}
	a.level = level
	a.logging = azfunc.NewLogging(cfg.Stdout, cfg.Stderr, level, secrets)
	a.log = a.logging.Logger()
	a.buildParts()
	a.outbox = &Outbox{app: a, notify: make(chan store.OutboxRow, 8192), policy: cfg.OutboxPolicy}
	a.alerts = &Alerts{app: a, kick: make(chan struct{}, 1)}
	a.buildAudit()
	return a, nil
}

// alike reports whether two declarations of one setting agree on
// everything but their readers.
func alike(a, b Setting) bool {
	return a.Description == b.Description && a.Default == b.Default && a.Secret == b.Secret &&
		a.Local == b.Local && a.Optional == b.Optional && a.Host == b.Host
}

// TopicSettings are the entity-name settings of the catalogue's topics.
func TopicSettings(cat *messaging.Catalog) []Setting {
	var out []Setting
	for _, t := range cat.Topics {
		out = append(out, Setting{Name: t.Setting, Description: fmt.Sprintf("entity name of topic %s (%s)", t.Name, cat.EntityName("{env}", t.Name))})
	}
	return out
}

// Logging is the process's log output.
func (a *App) Logging() *azfunc.Logging { return a.logging }

// Logger is the process logger.
func (a *App) Logger() *slog.Logger { return a.log }

// LogLevel is the configured level.
func (a *App) LogLevel() slog.Level { return a.level }

// Problems are configuration problems that stop no function (a malformed
// LOG_LEVEL), reported by `handler config check`.
func (a *App) Problems() []error { return a.problems }

// Settings are every declared setting: the platform's, the topics' and
// each flow's, in that order; a setting several flows declare is listed
// once, with all their readers.
func (a *App) Settings() []Setting {
	out := append([]Setting(nil), PlatformSettings...)
	out = append(out, AuditSettings...)
	out = append(out, TopicSettings(a.cfg.Catalog)...)
	at := map[string]int{}
	for _, f := range a.cfg.Flows {
		for _, s := range f.Settings {
			if i, ok := at[s.Name]; ok {
				out[i].Functions = append(append([]string(nil), out[i].Functions...), s.Functions...)
				continue
			}
			at[s.Name] = len(out)
			out = append(out, s)
		}
	}
	return out
}

// Flows are the app's flows.
func (a *App) Flows() []Flow { return a.cfg.Flows }

func (a *App) value(s Setting) string {
	if v := a.values[s.Name]; v != "" {
		return v
	}
	return s.Default
}

func (a *App) platform(name string) Setting {
	s, ok := a.settings[name]
	if !ok {
		panic("kit: no platform setting " + name)
	}
	return s
}

func (a *App) setting(f *Flow, name string) (Setting, bool) {
	if s, ok := a.flowSet[f.Name][name]; ok {
		return s, true
	}
	s, ok := a.settings[name]
	return s, ok
}

func (a *App) topicSetting(topic string) (Setting, bool) {
	for _, t := range a.cfg.Catalog.Topics {
		if t.Name == topic {
			return a.settings[t.Setting], true
		}
	}
	return Setting{}, false
}

// topics maps every configured logical topic to its entity name.
func (a *App) topics() map[string]string {
	out := map[string]string{}
	for _, t := range a.cfg.Catalog.Topics {
		if v := a.values[t.Setting]; v != "" {
			out[t.Name] = v
		}
	}
	return out
}

// buildParts builds the store, publisher, blobs and Teams from whatever
// settings are there; what is missing is reported when a function asks.
func (a *App) buildParts() {
	if url := a.values["DATABASE_URL"]; url != "" {
		conns, _ := strconv.Atoi(a.value(a.settings["DATABASE_MAX_CONNS"]))
		a.store, a.storeErr = store.Open(store.Config{URL: url, MaxConns: int32(max(conns, 0))})
	}
	topics := a.topics()
	subs := map[string][]string{}
	for _, t := range a.cfg.Catalog.Topics {
		for _, s := range t.Subscriptions {
			if e := topics[t.Name]; e != "" {
				subs[e] = append(subs[e], s.Name)
			}
		}
	}
	switch dev, conn, ns := a.values["DEVHOST_URL"], a.values["ServiceBusConnection"], a.values["ServiceBusConnection__fullyQualifiedNamespace"]; {
	case dev != "":
		l, err := bus.NewLocal(bus.LocalConfig{URL: dev, Topics: topics})
		a.publisher, a.deadLetters, a.pubErr = l, l, err
	case conn != "" || ns != "":
		c := bus.ServiceBusConfig{ConnectionString: conn, Topics: topics, Subscriptions: subs}
		if conn == "" {
			c.Namespace = ns
			cred, err := a.azureCredential()
			if err != nil {
				a.pubErr = err
				break
			}
			c.Credential = cred
		}
		sb, err := bus.NewServiceBus(c)
		if err != nil {
			a.pubErr = err
		} else {
			a.publisher, a.deadLetters = sb, sb
		}
	default:
		a.pubErr = errors.New("ServiceBusConnection__fullyQualifiedNamespace (or ServiceBusConnection) is not set")
	}
	switch local, conn, uri := a.values["BLOB_LOCAL_DIR"], a.values["BlobStorage"], a.values["BlobStorage__blobServiceUri"]; {
	case local != "":
		a.blobs, a.blobsErr = blob.NewFS(blob.FSConfig{Root: local})
	case conn != "" || uri != "":
		c := blob.AzureConfig{ConnectionString: conn}
		if conn == "" {
			c.ServiceURL = uri
			cred, err := a.azureCredential()
			if err != nil {
				a.blobsErr = err
				break
			}
			c.Credential = cred
		}
		a.blobs, a.blobsErr = blob.NewAzure(c)
	default:
		a.blobsErr = errors.New("BlobStorage__blobServiceUri (or BlobStorage) is not set")
	}
	if u := a.values["TEAMS_WORKFLOW_URL"]; u != "" {
		t, err := teams.New(teams.Config{WorkflowURL: u})
		if err != nil {
			a.problems = append(a.problems, fmt.Errorf("TEAMS_WORKFLOW_URL: %w (alerts go to the logs only)", err))
		} else {
			a.teams = t
		}
	}
}

// azureCredential is the app's identity (the managed identity in Azure),
// one for Service Bus, Blob storage and ADX, so they share its token cache.
func (a *App) azureCredential() (azcore.TokenCredential, error) {
	a.credOnce.Do(func() { a.cred, a.credErr = azidentity.NewDefaultAzureCredential(nil) })
	return a.cred, a.credErr
}

func (a *App) openStore(p *Parts) (*store.Store, error) {
	p.read(a.platform("DATABASE_URL"))
	p.read(a.platform("DATABASE_MAX_CONNS"))
	if a.store == nil && a.storeErr == nil {
		return nil, nil // DATABASE_URL is not set: the read recorded it
	}
	return a.store, a.storeErr
}

func (a *App) openPublisher(p *Parts) error {
	for _, n := range []string{"DEVHOST_URL", "ServiceBusConnection", "ServiceBusConnection__fullyQualifiedNamespace"} {
		p.read(a.platform(n))
	}
	return a.pubErr
}

func (a *App) openBlobs(p *Parts) (blob.Store, error) {
	for _, n := range []string{"BLOB_LOCAL_DIR", "BlobStorage", "BlobStorage__blobServiceUri"} {
		p.read(a.platform(n))
	}
	return a.blobs, a.blobsErr
}

// Register registers every flow's functions on srv, in the order of the list.
func (a *App) Register(srv *azfunc.Server) {
	for i := range a.cfg.Flows {
		f := &a.cfg.Flows[i]
		f.Register(&Registry{app: a, flow: f, srv: srv})
	}
	for _, s := range a.Status() {
		if s.Err != nil {
			a.log.Error("function not configured: it fails every invocation until its settings are fixed",
				"flow", s.Flow, "function", s.Function, "error", s.Err)
		}
	}
	for _, err := range a.problems {
		a.log.Warn("configuration problem", "error", err)
	}
}

// Store is the database, or nil when DATABASE_URL is not set.
func (a *App) Store() *store.Store { return a.store }

// Outbox is the background publisher.
func (a *App) Outbox() *Outbox { return a.outbox }

// Alerts is the background alert sender.
func (a *App) Alerts() *Alerts { return a.alerts }

// Ready implements azfunc.Gate: the database answers at the binary's
// schema. Without a database it is nil: the functions that need one are
// stubs that say so.
func (a *App) Ready(ctx context.Context) error {
	if a.store == nil {
		return nil
	}
	return a.store.Ready(ctx)
}

// Park implements azfunc.Parker; without a database nothing can be parked,
// and the invocation fails so that Service Bus keeps the message.
func (a *App) Park(ctx context.Context, p azfunc.Parked) (azfunc.ParkResult, error) {
	if a.store == nil {
		return azfunc.ParkResult{}, errors.New("cannot park: DATABASE_URL is not set")
	}
	return a.store.Park(ctx, p)
}

// AlertParked implements azfunc.Alerter: it wakes the background sender
// and returns at once, so parking never waits for Teams.
func (a *App) AlertParked(context.Context, azfunc.Parked, azfunc.ParkResult) error {
	a.alerts.Kick()
	return nil
}

// Run runs the background publisher, alert sender and audit writer until
// ctx ends, then publishes, reports and writes what is left within a short
// grace period.
func (a *App) Run(ctx context.Context) {
	var wg sync.WaitGroup
	if a.audit != nil {
		wg.Add(1)
		go func() { defer wg.Done(); a.audit.Run(ctx) }()
	}
	if a.store != nil {
		wg.Add(2)
		go func() { defer wg.Done(); a.outbox.run(ctx) }()
		go func() { defer wg.Done(); a.alerts.run(ctx) }()
	}
	<-ctx.Done()
	wg.Wait()
}

// Close closes the database pool.
func (a *App) Close() {
	if a.store != nil {
		a.store.Close()
	}
}

// EnvironmentName is ENVIRONMENT as set (empty when it is not).
func (a *App) EnvironmentName() string { return a.values["ENVIRONMENT"] }
