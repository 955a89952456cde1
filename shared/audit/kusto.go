package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/Azure/azure-kusto-go/azkustodata"
	"github.com/Azure/azure-kusto-go/azkustoingest"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// DefaultMapping is the ingestion mapping used when KustoConfig.Mapping
// is empty. The table's JSON mapping must exist under this name.
const DefaultMapping = "AuditMapping"

// KustoConfig configures a Kusto sink.
type KustoConfig struct {
	// Endpoint is the cluster URI, such as
	// https://adx-int-prod.westeurope.kusto.windows.net.
	Endpoint string
	// IngestEndpoint is the data-management (DM) URI. Empty means the
	// library's own rule: Endpoint with "ingest-" before the host name.
	IngestEndpoint string
	// Database and Table receive the events.
	Database, Table string
	// Mapping names the table's JSON ingestion mapping (default
	// DefaultMapping).
	Mapping string
	// Credential gets the tokens. Nil means the system-assigned managed
	// identity.
	Credential azcore.TokenCredential
	// Queued picks the queued client. False picks the managed client,
	// which streams small batches and queues the rest.
	Queued bool

	// HTTPClient replaces the client's HTTP client (default: the
	// library's). Tests set it to trust the TLS certificate of their fakes.
	HTTPClient *http.Client
}

// Kusto is a Sink that writes to an Azure Data Explorer table.
type Kusto struct {
	ingestor azkustoingest.Ingestor
	mapping  string
}

var _ Sink = (*Kusto)(nil)

// NewKusto checks cfg and returns a Kusto sink. It does no network I/O:
// the client fetches its ingestion resources on the first Write.
func NewKusto(cfg KustoConfig) (*Kusto, error) {
	if cfg.Database == "" {
		return nil, errors.New("audit: KustoConfig.Database is required")
	}
	if cfg.Table == "" {
		return nil, errors.New("audit: KustoConfig.Table is required")
	}
	if err := checkEndpoint("Endpoint", cfg.Endpoint, true); err != nil {
		return nil, err
	}
	if err := checkEndpoint("IngestEndpoint", cfg.IngestEndpoint, false); err != nil {
		return nil, err
	}
	if cfg.Mapping == "" {
		cfg.Mapping = DefaultMapping
	}

	opts := []azkustoingest.Option{
		azkustoingest.WithDefaultDatabase(cfg.Database),
		azkustoingest.WithDefaultTable(cfg.Table),
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, azkustoingest.WithHttpClient(cfg.HTTPClient))
	}

	var (
		ingestor azkustoingest.Ingestor
		err      error
	)
	if cfg.Queued {
		// The queued client talks only to the DM endpoint.
		endpoint := cfg.Endpoint
		if cfg.IngestEndpoint != "" {
			endpoint = cfg.IngestEndpoint
			opts = append(opts, azkustoingest.WithoutEndpointCorrection())
		}
		ingestor, err = azkustoingest.New(connection(endpoint, cfg.Credential), opts...)
	} else {
		if cfg.IngestEndpoint != "" {
			opts = append(opts, azkustoingest.WithCustomIngestConnectionString(connection(cfg.IngestEndpoint, cfg.Credential)))
		}
		ingestor, err = azkustoingest.NewManaged(connection(cfg.Endpoint, cfg.Credential), opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("audit: kusto: %w", err)
	}
	return &Kusto{ingestor: ingestor, mapping: cfg.Mapping}, nil
}

// checkEndpoint wants an https URI with a host and nothing after the path.
// The connection string builder would misread a ";" or "=", and the
// client sends tokens only over https.
func checkEndpoint(field, value string, required bool) error {
	if value == "" {
		if required {
			return fmt.Errorf("audit: KustoConfig.%s is required", field)
		}
		return nil
	}
	u, err := url.Parse(value)
	if err != nil {
		return fmt.Errorf("audit: KustoConfig.%s: %w", field, err)
	}
	if u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(value, ";= ") {
		return fmt.Errorf("audit: KustoConfig.%s %q is not an https URI like https://CLUSTER.REGION.kusto.windows.net", field, value)
	}
	return nil
}

// connection builds the connection string for endpoint with cred, or
// with the system-assigned managed identity when cred is nil.
func connection(endpoint string, cred azcore.TokenCredential) *azkustodata.ConnectionStringBuilder {
	kcsb := azkustodata.NewConnectionStringBuilder(endpoint)
	if cred == nil {
		return kcsb.WithSystemManagedIdentity()
	}
	return kcsb.WithTokenCredential(cred)
}

// Write ingests batch as one JSON document per line. The ingestion is
// tagged with BatchTag(batch) and skipped when the table already holds
// that tag, so a retried batch lands once.
//
// A nil error means the data is in the service's hands: the blob is
// uploaded and the ingestion is queued, or the managed client streamed it.
// Kusto ingests queued data later. The tag check applies only to queued
// ingestion; a batch the managed client streams is not checked.
func (k *Kusto) Write(ctx context.Context, batch []Event) error {
	if len(batch) == 0 {
		return nil
	}
	data, err := encodeLines(batch)
	if err != nil {
		return fmt.Errorf("audit: kusto: %w", err)
	}
	tag := BatchTag(batch)
	// The service reads ingestIfNotExists as a JSON list of tags, as in
	// with (ingestIfNotExists='["t"]', tags='["ingest-by:t"]'). The
	// library passes the string through as it is.
	ifNotExists, err := json.Marshal([]string{tag})
	if err != nil {
		return fmt.Errorf("audit: kusto: %w", err)
	}
	_, err = k.ingestor.FromReader(ctx, bytes.NewReader(data),
		azkustoingest.FileFormat(azkustoingest.MultiJSON),
		azkustoingest.IngestionMappingRef(k.mapping, azkustoingest.MultiJSON),
		azkustoingest.IfNotExists(string(ifNotExists)),
		azkustoingest.Tags([]string{"ingest-by:" + tag}),
	)
	if err != nil {
		return fmt.Errorf("audit: kusto: ingesting %d events: %w", len(batch), err)
	}
	return nil
}

// Close releases the client.
func (k *Kusto) Close() error {
	return k.ingestor.Close()
}

// encodeLines encodes each event as one line of JSON.
func encodeLines(batch []Event) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i := range batch {
		if err := enc.Encode(&batch[i]); err != nil {
			return nil, fmt.Errorf("encoding event %q: %w", batch[i].ID, err)
		}
	}
	return buf.Bytes(), nil
}

// BatchTag is the batch's ingest-by tag: the first 32 hex digits of the
// SHA-256 of its sorted event ids. The same events in any order give the
// same tag. An event without an id counts with its JSON text instead.
func BatchTag(batch []Event) string {
	keys := make([]string, len(batch))
	for i := range batch {
		keys[i] = "id:" + batch[i].ID
		if batch[i].ID == "" {
			b, _ := json.Marshal(&batch[i])
			keys[i] = "json:" + string(b)
		}
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}
