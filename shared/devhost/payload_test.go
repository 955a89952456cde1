package devhost_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/devhost"
)

func metaString(t *testing.T, b invocationBody, key string) string {
	t.Helper()
	raw, ok := b.Metadata[key]
	require.True(t, ok, "Metadata has %s", key)
	var s string
	require.NoError(t, json.Unmarshal(raw, &s), "%s is a string: %s", key, raw)
	return s
}

// TestServiceBusMetadataFromJSONBody: a JSON body's top-level properties
// join the Metadata as Utility.ApplyBindingData puts them there: existing
// keys overwritten, arrays and nulls skipped, objects as objects, scalars
// as their .NET text, quoted like every string.
func TestServiceBusMetadataFromJSONBody(t *testing.T) {
	t.Parallel()
	a := &rawApp{}
	h := runHost(t, devhost.Config{AppRoot: appRoot(t, hostJSON, map[string]string{"sink": functionFiles["sink"]}),
		Worker: &devhost.ServerWorker{Handler: a}})
	body := `{"messageId":"from-the-body","n":3,"ratio":2.50,"ok":true,"when":"2026-11-25T18:13:49.1234567Z",
	  "local":"2026-11-25T18:13:49+02:00","day":"2026-11-25","obj":{"a":1,"b":[true]},"arr":[1,2],"nul":null,"lateTrigger":"x","s":"plain"}`
	require.NoError(t, h.Publish(bus.Wire{Topic: "int-test-done", MessageID: "m-77", CorrelationID: "ORD-7", ContentType: "application/json", Body: []byte(body)}))
	ctx, cancel := context.WithTimeout(context.Background(), 10e9)
	defer cancel()
	require.NoError(t, h.WaitIdle(ctx))
	got := a.requests("/sink")
	require.Len(t, got, 1)
	inv := got[0].invocation(t)

	require.Equal(t, `"from-the-body"`, metaString(t, inv, "MessageId"), "overwritten, case-insensitively, keeping the host's spelling")
	require.NotContains(t, inv.Metadata, "messageId")
	require.Equal(t, `"3"`, metaString(t, inv, "n"))
	require.Equal(t, `"2.5"`, metaString(t, inv, "ratio"))
	require.Equal(t, `"True"`, metaString(t, inv, "ok"))
	require.Equal(t, `"11/25/2026 18:13:49"`, metaString(t, inv, "when"), "Json.NET reads it as a DateTime")
	require.Equal(t, `"11/25/2026 16:13:49"`, metaString(t, inv, "local"), "converted to the host's time zone, UTC")
	require.Equal(t, `"2026-11-25"`, metaString(t, inv, "day"), "a date without a time stays a string")
	require.Equal(t, `"plain"`, metaString(t, inv, "s"))
	require.JSONEq(t, `{"a":1,"b":[true]}`, string(inv.Metadata["obj"]), "objects stay objects")
	for _, k := range []string{"arr", "nul", "lateTrigger"} {
		require.NotContains(t, inv.Metadata, k)
	}
	require.Equal(t, `"ORD-7"`, metaString(t, inv, "CorrelationId"))
	require.Empty(t, got[0].Header.Get("Accept-Encoding"), "the host's client asks for no compression")
	require.Equal(t, "Azure-Functions-Host/4.1036.1.0-devhost", got[0].Header.Get("User-Agent"))
}

// TestBlobTriggerPayloadMatchesTheHost: without dataType the content is a
// byte[] and arrives base64-encoded, as with dataType binary; user
// metadata is an object of plain strings; Properties is a v12
// BlobProperties object (ContentLength, ContentType, ETag as {}, ...).
func TestBlobTriggerPayloadMatchesTheHost(t *testing.T) {
	t.Parallel()
	a := &rawApp{}
	fs, err := blob.NewFS(blob.FSConfig{Root: t.TempDir()})
	require.NoError(t, err)
	root, err := filepath.Abs(filepath.Join("testdata", "blobapp"))
	require.NoError(t, err)
	h := runHost(t, devhost.Config{AppRoot: root, Worker: &devhost.ServerWorker{Handler: a}, Blobs: fs})
	ctx := context.Background()
	csv := []byte("order_id,state\nORD-1,SHIPPED\n")
	_, err = fs.Put(ctx, "exports", "orders/2026-11-25.csv", csv, &blob.PutOptions{ContentType: "text/csv", Metadata: map[string]string{"source": "oms", "rows": "1"}})
	require.NoError(t, err)
	edi := []byte("ISA*00*\x00\xff")
	_, err = fs.Put(ctx, "staging", "in/a b.edi", edi, &blob.PutOptions{ContentType: "application/edi-x12"})
	require.NoError(t, err)
	h.ScanBlobs(ctx)

	for _, tc := range []struct {
		fn, uri, name, contentType string
		data                       []byte
		meta                       map[string]string
	}{
		{"csv-load", "http://127.0.0.1:10000/devstoreaccount1/exports/orders/2026-11-25.csv", "orders/2026-11-25", "text/csv", csv, map[string]string{"source": "oms", "rows": "1"}},
		{"landing", "http://127.0.0.1:10000/devstoreaccount1/staging/in/a%20b.edi", "a b.edi", "application/edi-x12", edi, map[string]string{}},
	} {
		got := a.requests("/" + tc.fn)
		require.Len(t, got, 1, tc.fn)
		inv := got[0].invocation(t)
		var content string
		require.NoError(t, json.Unmarshal(inv.Data["file"], &content))
		require.Equal(t, base64.StdEncoding.EncodeToString(tc.data), content, "%s: a byte[], base64", tc.fn)
		require.Equal(t, `"`+tc.uri+`"`, metaString(t, inv, "Uri"))
		require.Equal(t, `"`+tc.name+`"`, metaString(t, inv, "name"))
		var meta map[string]string
		require.NoError(t, json.Unmarshal(inv.Metadata["Metadata"], &meta), "user metadata is an object of plain strings")
		require.Equal(t, tc.meta, meta)
		var props map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(inv.Metadata["Properties"], &props))
		require.JSONEq(t, strings.TrimSpace(string(mustJSON(len(tc.data)))), string(props["ContentLength"]))
		require.JSONEq(t, `"`+tc.contentType+`"`, string(props["ContentType"]))
		require.JSONEq(t, `{}`, string(props["ETag"]), "Azure.ETag has no public properties for Json.NET to write")
		require.JSONEq(t, `0`, string(props["BlobType"]))
		require.Contains(t, string(props["LastModified"]), "+00:00")
		for _, k := range []string{"BlobTrigger", "blobTrigger"} {
			require.NotContains(t, inv.Metadata, k)
		}
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// TestBlobTriggerNeedsEventGridSource: Flex runs blob triggers only from
// Event Grid, so the local host refuses any other source.
func TestBlobTriggerNeedsEventGridSource(t *testing.T) {
	t.Parallel()
	for name, src := range map[string]string{"NoSource": ``, "Polling": `,"source":"LogsAndContainerScan"`} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn := `{"bindings":[{"type":"blobTrigger","direction":"in","name":"file","path":"staging/{name}","connection":"Storage"` + src + `}]}`
			_, err := devhost.New(devhost.Config{AppRoot: appRoot(t, hostJSON, map[string]string{"load": fn}), Catalog: testCatalog(t),
				Settings: settings, Worker: &devhost.ServerWorker{Handler: http.NotFoundHandler()}})
			require.ErrorContains(t, err, `function load: a blobTrigger needs "source": "EventGrid"`)
		})
	}
}

// TestBlobTriggerGoesThroughTheEventGridWebhook: the blob extension's
// webhook takes Event Grid's validation handshake and notifications, needs
// a system or master key, and a queued blob that is gone by then is dropped.
func TestBlobTriggerGoesThroughTheEventGridWebhook(t *testing.T) {
	t.Parallel()
	a := &rawApp{}
	fs, err := blob.NewFS(blob.FSConfig{Root: t.TempDir()})
	require.NoError(t, err)
	root, err := filepath.Abs(filepath.Join("testdata", "blobapp"))
	require.NoError(t, err)
	h := runHost(t, devhost.Config{AppRoot: root, Worker: &devhost.ServerWorker{Handler: a}, Blobs: fs, MasterKey: masterKey})
	hook := func(kind, key, function, body string) (*http.Response, []byte) {
		req := newRequest(t, http.MethodPost, h.URL()+"/runtime/webhooks/blobs?functionName="+function+"&code="+key, body)
		req.Header.Set("aeg-event-type", kind)
		req.Header.Set("Content-Type", "application/json")
		return do(t, req)
	}
	resp, body := hook("SubscriptionValidation", "", "Host.Functions.csv-load", `[{"data":{"validationCode":"abc"}}]`)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s", body)
	resp, body = hook("SubscriptionValidation", masterKey, "Host.Functions.csv-load", `[{"data":{"validationCode":"abc"}}]`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.JSONEq(t, `{"validationResponse":"abc"}`, string(body))
	resp, _ = hook("SomethingElse", masterKey, "Host.Functions.csv-load", `[]`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	ctx := context.Background()
	_, err = fs.Put(ctx, "exports", "gone.csv", []byte("x"), nil)
	require.NoError(t, err)
	event := `[{"eventType":"Microsoft.Storage.BlobCreated","subject":"/blobServices/default/containers/exports/blobs/gone.csv",
	  "data":{"url":"http://127.0.0.1:10000/devstoreaccount1/exports/gone.csv","eTag":"0x1","blobType":"BlockBlob"}}]`
	require.NoError(t, fs.Delete(ctx, "exports", "gone.csv"))
	resp, _ = hook("Notification", masterKey, "Host.Functions.csv-load", event)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	h.ScanBlobs(ctx) // waits for the queue
	require.Empty(t, a.requests("/csv-load"), "a blob deleted before its turn is dropped")

	_, err = fs.Put(ctx, "exports", "here.csv", []byte("x"), nil)
	require.NoError(t, err)
	resp, _ = hook("Notification", masterKey, "Host.Functions.csv-load", strings.ReplaceAll(event, "gone", "here"))
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	h.ScanBlobs(ctx) // the scan announces here.csv once more: EventGrid-sourced triggers keep no receipts
	require.Len(t, a.requests("/csv-load"), 2)
}
