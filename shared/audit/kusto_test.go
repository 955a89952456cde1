package audit

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/audit/dmfake"
)

const testToken = "kusto-test-token"

// staticToken is a credential that always hands out the same token.
type staticToken string

func (t staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(t), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// ingestMessage is the part of the queued client's queue message the
// tests read (the message is base64 of this JSON).
type ingestMessage struct {
	ID                   string `json:"Id"`
	BlobPath             string
	DatabaseName         string
	TableName            string
	RawDataSize          int64
	AdditionalProperties struct {
		AuthorizationContext string `json:"authorizationContext"`
		MappingReference     string `json:"ingestionMappingReference"`
		MappingType          string `json:"ingestionMappingType"`
		Format               string `json:"format"`
		Tags                 string `json:"tags"` // a JSON list in a string
		IngestIfNotExists    string `json:"ingestIfNotExists"`
	}
}

type kustoRig struct {
	fake      *dmfake.Server
	container *azblob.Client
	name      string // container and queue name
	queue     *azqueue.QueueClient
}

// newKustoRig starts Azurite's blob and queue services, makes a container
// and a queue, and starts the DM fake handing them out.
func newKustoRig(t *testing.T) kustoRig {
	t.Helper()
	r := dmfake.StartRig(t, testToken)
	return kustoRig{fake: r.Fake, container: r.Container, name: r.Name, queue: r.Queue}
}

func testBatch() []Event {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	return []Event{
		{ID: "e1", Time: at, Kind: KindCall, System: "Cirro", Operation: "POST /v1/order/create", Function: "orders",
			InvocationID: "inv-1", CorrelationID: "order-1", Outcome: OutcomeOK, Status: 200, Bytes: 512, DurationMS: 42},
		{ID: "e2", Time: at.Add(time.Second), Kind: KindCall, System: "OMS", Operation: "GET /orders", Function: "orders",
			InvocationID: "inv-1", CorrelationID: "order-1", Outcome: OutcomeFailed, Status: 503, DurationMS: 7, Error: "http 503 <busy> & retry"},
		{ID: "e3", Time: at.Add(2 * time.Second), Kind: KindInvocation, System: "serviceBus", Operation: "orders", Function: "orders",
			InvocationID: "inv-1", CorrelationID: "order-1", Outcome: OutcomeOK, Bytes: 2048, DurationMS: 60, Archive: "raw/2026/03/04/order-1.json"},
	}
}

func TestKustoQueuedWrite(t *testing.T) {
	rig := newKustoRig(t)
	ctx := t.Context()

	k, err := NewKusto(KustoConfig{
		Endpoint:       rig.fake.URL,
		IngestEndpoint: rig.fake.URL,
		Database:       "AuditDB",
		Table:          "AuditEvents",
		Credential:     staticToken(testToken),
		Queued:         true,
		HTTPClient:     rig.fake.Client,
	})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, k.Close()) })

	batch := testBatch()
	tag := BatchTag(batch)
	require.NoError(t, k.Write(ctx, batch))

	// The DM endpoint was asked for resources and the identity token,
	// with the credential's token.
	var csls []string
	for _, c := range rig.fake.Commands() {
		csls = append(csls, c.CSL)
		assert.Equal(t, "Bearer "+testToken, c.Authorization, "command %q", c.CSL)
	}
	assert.ElementsMatch(t, []string{".get ingestion resources", ".get kusto identity token"}, csls)

	// (a) One blob holding the three events, one JSON document a line.
	names := listBlobs(t, rig)
	require.Len(t, names, 1)
	assert.Equal(t, batch, readEvents(t, rig, names[0]))

	// (b) One queue message naming the blob, the table and the tag.
	msgs := peekMessages(t, rig)
	require.Len(t, msgs, 1)
	t.Logf("blob %q message %+v", names[0], msgs[0])
	checkMessage(t, rig, msgs[0], names[0], tag)

	// (c) The same events again, in another order: same tag, so Kusto
	// would skip the second ingestion.
	again := []Event{batch[2], batch[0], batch[1]}
	require.NoError(t, k.Write(ctx, again))
	msgs = peekMessages(t, rig)
	require.Len(t, msgs, 2)
	names = listBlobs(t, rig)
	require.Len(t, names, 2)
	for _, m := range msgs {
		assert.Equal(t, `["`+tag+`"]`, m.AdditionalProperties.IngestIfNotExists)
		assert.Equal(t, `["ingest-by:`+tag+`"]`, m.AdditionalProperties.Tags)
	}
	assert.NotEqual(t, msgs[0].BlobPath, msgs[1].BlobPath, "each write uploads its own blob")
	// The resources and the identity token are cached: no new commands.
	assert.Len(t, rig.fake.Commands(), 2)
}

func TestKustoRefusedTokenFailsWrite(t *testing.T) {
	rig := newKustoRig(t)
	k, err := NewKusto(KustoConfig{
		Endpoint:       rig.fake.URL,
		IngestEndpoint: rig.fake.URL,
		Database:       "AuditDB",
		Table:          "AuditEvents",
		Credential:     staticToken("wrong-token"),
		Queued:         true,
		HTTPClient:     rig.fake.Client,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = k.Close() })

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	err = k.Write(ctx, testBatch())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "401")
	cmds := rig.fake.Commands()
	require.NotEmpty(t, cmds)
	assert.Equal(t, "Bearer wrong-token", cmds[0].Authorization)
	assert.Empty(t, listBlobs(t, rig))
	assert.Empty(t, peekMessages(t, rig))
}

func listBlobs(t *testing.T, rig kustoRig) []string {
	t.Helper()
	var names []string
	pager := rig.container.NewListBlobsFlatPager(rig.name, nil)
	for pager.More() {
		page, err := pager.NextPage(t.Context())
		require.NoError(t, err)
		for _, b := range page.Segment.BlobItems {
			names = append(names, *b.Name)
		}
	}
	return names
}

func readEvents(t *testing.T, rig kustoRig, name string) []Event {
	t.Helper()
	resp, err := rig.container.DownloadStream(t.Context(), rig.name, name, nil)
	require.NoError(t, err)
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, resp.Body.Close())
	require.NoError(t, err)
	if bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		require.NoError(t, err)
		raw, err = io.ReadAll(zr)
		require.NoError(t, err)
	}
	var events []Event
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		var e Event
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), "line %q", sc.Text())
		events = append(events, e)
	}
	require.NoError(t, sc.Err())
	return events
}

func peekMessages(t *testing.T, rig kustoRig) []ingestMessage {
	t.Helper()
	n := int32(32)
	resp, err := rig.queue.PeekMessages(t.Context(), &azqueue.PeekMessagesOptions{NumberOfMessages: &n})
	require.NoError(t, err)
	var msgs []ingestMessage
	for _, m := range resp.Messages {
		require.NotNil(t, m.MessageText)
		raw, err := base64.StdEncoding.DecodeString(*m.MessageText)
		require.NoError(t, err, "message %q", *m.MessageText)
		var msg ingestMessage
		require.NoError(t, json.Unmarshal(raw, &msg), "message %s", raw)
		msgs = append(msgs, msg)
	}
	return msgs
}

func checkMessage(t *testing.T, rig kustoRig, m ingestMessage, blobName, tag string) {
	t.Helper()
	assert.Equal(t, "AuditDB", m.DatabaseName)
	assert.Equal(t, "AuditEvents", m.TableName)
	assert.NotEmpty(t, m.ID)
	assert.Positive(t, m.RawDataSize)
	p := m.AdditionalProperties
	assert.Equal(t, "AuditMapping", p.MappingReference)
	assert.Equal(t, "Json", p.MappingType)
	assert.Equal(t, "multijson", p.Format)
	assert.Equal(t, "dmfake-authorization-context", p.AuthorizationContext)
	assert.Equal(t, `["`+tag+`"]`, p.IngestIfNotExists)
	var tags []string
	require.NoError(t, json.Unmarshal([]byte(p.Tags), &tags), "tags %q", p.Tags)
	assert.Equal(t, []string{"ingest-by:" + tag}, tags)

	// The blob path is the TLS front's address, the container and the blob.
	u, err := url.Parse(m.BlobPath)
	require.NoError(t, err, "BlobPath %q", m.BlobPath)
	front, err := url.Parse(rig.fake.BlobURL())
	require.NoError(t, err)
	assert.Equal(t, front.Host, u.Host)
	assert.Equal(t, "/"+rig.name+"/"+blobName, u.Path)
	assert.NotEmpty(t, u.Query().Get("sig"), "the blob path carries the SAS")
}

func TestBatchTag(t *testing.T) {
	batch := testBatch()
	tag := BatchTag(batch)
	assert.Len(t, tag, 32)
	assert.Equal(t, tag, BatchTag([]Event{batch[1], batch[2], batch[0]}), "order does not matter")
	changed := testBatch()
	changed[0].Outcome = OutcomeFailed
	assert.Equal(t, tag, BatchTag(changed), "only the ids count")
	assert.NotEqual(t, tag, BatchTag(batch[:2]))
	other := testBatch()
	other[2].ID = "e4"
	assert.NotEqual(t, tag, BatchTag(other))
	// Ids are not concatenated blindly: "a"+"bc" is not "ab"+"c".
	assert.NotEqual(t, BatchTag([]Event{{ID: "a"}, {ID: "bc"}}), BatchTag([]Event{{ID: "ab"}, {ID: "c"}}))
	// Events without ids are told apart by their content.
	assert.NotEqual(t, BatchTag([]Event{{Operation: "x"}}), BatchTag([]Event{{Operation: "y"}}))
}

func TestNewKustoValidatesConfig(t *testing.T) {
	ok := KustoConfig{Endpoint: "https://adx-int-prod.westeurope.kusto.windows.net", Database: "AuditDB", Table: "AuditEvents"}
	cases := []struct {
		name    string
		edit    func(*KustoConfig)
		wantErr string // empty: valid
	}{
		{"NoDatabase", func(c *KustoConfig) { c.Database = "" }, "KustoConfig.Database is required"},
		{"NoTable", func(c *KustoConfig) { c.Table = "" }, "KustoConfig.Table is required"},
		{"NoEndpoint", func(c *KustoConfig) { c.Endpoint = "" }, "KustoConfig.Endpoint is required"},
		{"PlainHTTPEndpoint", func(c *KustoConfig) { c.Endpoint = "http://adx.example" }, "KustoConfig.Endpoint"},
		{"ConnectionStringAsEndpoint", func(c *KustoConfig) { c.Endpoint += ";Fed=True" }, "KustoConfig.Endpoint"},
		{"BadIngestEndpoint", func(c *KustoConfig) { c.IngestEndpoint = "ingest-adx.example" }, "KustoConfig.IngestEndpoint"},
		{"ManagedWithManagedIdentity", func(c *KustoConfig) {}, ""},
		{"QueuedWithCredential", func(c *KustoConfig) { c.Queued = true; c.Credential = staticToken("t") }, ""},
		// Nothing listens on port 1: the constructor must not connect.
		{"QueuedDoesNoIO", func(c *KustoConfig) {
			c.Queued = true
			c.IngestEndpoint = "https://127.0.0.1:1"
			c.Credential = staticToken("t")
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.edit(&cfg)
			k, err := NewKusto(cfg)
			if tc.wantErr == "" {
				require.NoError(t, err)
				require.NotNil(t, k)
				assert.NoError(t, k.Close())
				return
			}
			require.Error(t, err)
			assert.Nil(t, k)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}
