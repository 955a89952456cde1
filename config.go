package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/popsockets/integration/shared/messaging"
)

// setting is one app setting the binary reads. This table is the one list:
// a test checks it against local.settings.sample.json and infra/ Bicep.
type setting struct {
	Name        string
	Description string
	// Secret values come from Key Vault in Azure and are redacted from logs.
	Secret bool
	// Local settings exist only on a developer's machine (the devhost sets them).
	Local bool
}

var settings = []setting{
	{Name: "ENVIRONMENT", Description: "dev, test or prod; shown by the health check and used in topic names"},
	{Name: "LOG_LEVEL", Description: "debug, info (default), warn or error"},
	{Name: "DATABASE_URL", Description: "PostgreSQL connection string (Key Vault reference in Azure)", Secret: true},
	{Name: "ServiceBusConnection", Description: "Service Bus connection string; leave empty in Azure, where the identity is used", Secret: true},
	{Name: "ServiceBusConnection__fullyQualifiedNamespace", Description: "Service Bus namespace for the managed identity (sb-int-prod.servicebus.windows.net)"},
	{Name: "BlobStorage", Description: "storage connection string for archive and staging; leave empty in Azure, where the identity is used", Secret: true},
	{Name: "BlobStorage__blobServiceUri", Description: "blob endpoint for the managed identity (https://stintprod.blob.core.windows.net)"},
	{Name: "OMS_BASE_URL", Description: "OMS (OSOR) API base URL"},
	{Name: "OMS_API_TOKEN", Description: "OMS API token (Bearer)", Secret: true},
	{Name: "OMS_WEBHOOK_SECRETS", Description: "Standard Webhooks secrets (whsec_...) that sign OMS's fulfilment requests; two, space-separated, during a rotation", Secret: true},
	{Name: "OMS_AES_KEY_ID", Description: "id of the AES-256-GCM key OMS seals customer data with"},
	{Name: "OMS_AES_KEY", Description: "that key, base64 of 32 bytes", Secret: true},
	{Name: "OMS_AES_PREVIOUS_KEY_ID", Description: "id of the key being retired during a rotation (or empty)"},
	{Name: "OMS_AES_PREVIOUS_KEY", Description: "the key being retired (or empty)", Secret: true},
	{Name: "CIRRO_BASE_URL", Description: "Cirro API base URL"},
	{Name: "CIRRO_APP_KEY", Description: "Cirro app_key"},
	{Name: "CIRRO_APP_TOKEN", Description: "Cirro app_token", Secret: true},
	{Name: "CIRRO_WEBHOOK_SECRETS", Description: "Standard Webhooks secrets that sign Cirro's callbacks; two, space-separated, during a rotation", Secret: true},
	{Name: "CIRRO_RATE_PER_MINUTE", Description: "Cirro's request limit per API per minute, per instance (default 600, Cirro's documented limit)"},
	{Name: "CIRRO_WAREHOUSE_CODE", Description: "Cirro warehouse code orders are sent to (empty: Cirro's default)"},
	{Name: "XB_BASE_URL", Description: "XB API base URL"},
	{Name: "XB_API_KEY", Description: "XB API key", Secret: true},
	{Name: "SHIP_METHODS", Description: `JSON map of OMS ship methods to warehouse codes: {"cirro": {"STANDARD": "USPS_GROUND"}, "xb": {...}}`},
	{Name: "FULFILLMENT_B2B_SOURCES", Description: "order sources that are business orders (default b2b_portal,edi)"},
	{Name: "FULFILLMENT_PREPACK_CODES", Description: "pack codes that make an order pre-pack (empty: any pack code)"},
	{Name: "TEAMS_WORKFLOW_URL", Description: "Teams Workflows webhook URL for alerts (its sig is a credential)", Secret: true},
	{Name: "BLOB_LOCAL_DIR", Description: "a directory used as blob storage on a developer machine", Local: true},
	{Name: "DEVHOST_URL", Description: "the local host's URL; set by `handler dev` so messages go to its broker", Local: true},
}

// config is what the binary reads from its environment, read once in main.
type config struct {
	Environment string
	LogLevel    slog.Level

	DatabaseURL string

	ServiceBusConnection string
	ServiceBusNamespace  string
	DevhostURL           string
	// Topics maps logical topic names to this environment's entity names.
	Topics map[string]string
	// Subscriptions lists entity topic names and their subscriptions.
	Subscriptions map[string][]string

	BlobConnection string
	BlobServiceURI string
	BlobLocalDir   string

	// Partners and flow rules. A missing partner setting disables only the
	// functions that need that partner (they fail with a message naming it).
	OMS struct {
		BaseURL, Token, WebhookSecrets       string
		AESKeyID, AESKey, AESPrevID, AESPrev string
	}
	Cirro struct {
		BaseURL, AppKey, AppToken, WebhookSecrets, Warehouse string
		RatePerMinute                                        int
	}
	XB struct {
		BaseURL, APIKey string
	}
	ShipMethods  string
	B2BSources   string
	PrePackCodes string
	TeamsURL     string

	secrets []string
}

// loadConfig reads the settings. It returns what it could read and, if the
// configuration is incomplete, an error naming every missing setting: the
// handler still starts (the host must see it listen) and fails invocations
// with that error until the settings are fixed.
func loadConfig(getenv func(string) string, cat *messaging.Catalog) (*config, error) {
	c := &config{
		Environment:          getenv("ENVIRONMENT"),
		DatabaseURL:          getenv("DATABASE_URL"),
		ServiceBusConnection: getenv("ServiceBusConnection"),
		ServiceBusNamespace:  getenv("ServiceBusConnection__fullyQualifiedNamespace"),
		DevhostURL:           getenv("DEVHOST_URL"),
		BlobConnection:       getenv("BlobStorage"),
		BlobServiceURI:       getenv("BlobStorage__blobServiceUri"),
		BlobLocalDir:         getenv("BLOB_LOCAL_DIR"),
		Topics:               map[string]string{},
		ShipMethods:          getenv("SHIP_METHODS"),
		B2BSources:           getenv("FULFILLMENT_B2B_SOURCES"),
		PrePackCodes:         getenv("FULFILLMENT_PREPACK_CODES"),
		TeamsURL:             getenv("TEAMS_WORKFLOW_URL"),
		Subscriptions:        map[string][]string{},
	}
	c.OMS.BaseURL, c.OMS.Token, c.OMS.WebhookSecrets = getenv("OMS_BASE_URL"), getenv("OMS_API_TOKEN"), getenv("OMS_WEBHOOK_SECRETS")
	c.OMS.AESKeyID, c.OMS.AESKey = getenv("OMS_AES_KEY_ID"), getenv("OMS_AES_KEY")
	c.OMS.AESPrevID, c.OMS.AESPrev = getenv("OMS_AES_PREVIOUS_KEY_ID"), getenv("OMS_AES_PREVIOUS_KEY")
	c.Cirro.BaseURL, c.Cirro.AppKey, c.Cirro.AppToken = getenv("CIRRO_BASE_URL"), getenv("CIRRO_APP_KEY"), getenv("CIRRO_APP_TOKEN")
	c.Cirro.WebhookSecrets, c.Cirro.Warehouse = getenv("CIRRO_WEBHOOK_SECRETS"), getenv("CIRRO_WAREHOUSE_CODE")
	c.XB.BaseURL, c.XB.APIKey = getenv("XB_BASE_URL"), getenv("XB_API_KEY")
	if v := getenv("CIRRO_RATE_PER_MINUTE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("configuration incomplete: CIRRO_RATE_PER_MINUTE %q is not a positive number", v)
		}
		c.Cirro.RatePerMinute = n
	}
	var errs []error
	if err := c.LogLevel.UnmarshalText([]byte(strings.ToUpper(orDefault(getenv("LOG_LEVEL"), "info")))); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL %q is not debug, info, warn or error", getenv("LOG_LEVEL")))
	}
	if c.Environment == "" {
		errs = append(errs, errors.New("ENVIRONMENT is not set"))
	}
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is not set"))
	}
	for _, t := range cat.Topics {
		name := getenv(t.Setting)
		if name == "" {
			errs = append(errs, fmt.Errorf("%s (topic %s) is not set", t.Setting, t.Name))
			continue
		}
		c.Topics[t.Name] = name
		for _, s := range t.Subscriptions {
			c.Subscriptions[name] = append(c.Subscriptions[name], s.Name)
		}
	}
	if len(cat.Topics) > 0 && c.DevhostURL == "" && c.ServiceBusConnection == "" && c.ServiceBusNamespace == "" {
		errs = append(errs, errors.New("ServiceBusConnection__fullyQualifiedNamespace (or ServiceBusConnection) is not set"))
	}
	for _, s := range settings {
		if s.Secret {
			c.secrets = append(c.secrets, secretParts(getenv(s.Name))...)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("configuration incomplete: %w", err)
	}
	return c, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// secretParts returns a secret value and the parts of it that are secret
// on their own: a URL's password, a connection string's keys.
func secretParts(v string) []string {
	if v == "" {
		return nil
	}
	out := []string{v}
	// Several secrets in one setting (a rotation): each one alone.
	if fields := strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' }); len(fields) > 1 {
		for _, f := range fields {
			out = append(out, secretParts(f)...)
		}
	}
	if u, err := url.Parse(v); err == nil {
		if u.User != nil {
			if pw, ok := u.User.Password(); ok {
				out = append(out, pw, url.QueryEscape(pw))
			}
		}
		// Signed URLs (Teams workflows, SAS) carry their credential in the query.
		for k, vals := range u.Query() {
			switch strings.ToLower(k) {
			case "sig", "code", "key", "token", "signature":
				for _, q := range vals {
					out = append(out, q, url.QueryEscape(q))
				}
			}
		}
	}
	for _, kv := range strings.Split(v, ";") {
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		for _, word := range []string{"key", "password", "secret", "signature", "token"} {
			if strings.Contains(k, word) {
				out = append(out, strings.TrimSpace(val))
				break
			}
		}
	}
	// libpq keyword form: password=...
	for _, f := range strings.Fields(v) {
		if k, val, ok := strings.Cut(f, "="); ok && strings.EqualFold(k, "password") {
			out = append(out, strings.Trim(val, "'"))
		}
	}
	sort.Strings(out)
	return out
}
