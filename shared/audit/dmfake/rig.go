package dmfake

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"io"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue"

	"github.com/popsockets/integration/shared/blob/blobtest"
)

// Rig is Azurite's blob and queue services with one container and one
// queue of the same name, and the DM fake handing them out as ingestion
// resources; it accepts the bearer token given to StartRig. The test
// binary's TestMain must call blobtest.Main or blobtest.Stop.
type Rig struct {
	Fake      *Server
	Container *azblob.Client
	Queue     *azqueue.QueueClient
	Name      string
}

// StartRig starts Azurite (once per test binary), makes the container and
// the queue, and starts the fake.
func StartRig(tb testing.TB, token string) *Rig {
	tb.Helper()
	ctx := context.Background()
	conn := blobtest.Azurite(tb)
	queueEndpoint := blobtest.AzuriteQueue(tb)
	name := blobtest.ContainerName(tb)
	blobs, err := azblob.NewClientFromConnectionString(conn, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := blobs.CreateContainer(ctx, name, nil); err != nil {
		tb.Fatal(err)
	}
	cred, err := azqueue.NewSharedKeyCredential(blobtest.AccountName, blobtest.AccountKey)
	if err != nil {
		tb.Fatal(err)
	}
	queues, err := azqueue.NewServiceClientWithSharedKeyCredential(queueEndpoint, cred, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := queues.CreateQueue(ctx, name, nil); err != nil {
		tb.Fatal(err)
	}
	fake := Start(tb, Config{BlobEndpoint: connField(tb, conn, "BlobEndpoint"), QueueEndpoint: queueEndpoint,
		AccountName: blobtest.AccountName, AccountKey: blobtest.AccountKey, Container: name, Queue: name, Token: token})
	return &Rig{Fake: fake, Container: blobs, Queue: queues.NewQueueClient(name), Name: name}
}

func connField(tb testing.TB, conn, key string) string {
	tb.Helper()
	for _, kv := range strings.Split(conn, ";") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	tb.Fatalf("no %s in the Azurite connection string", key)
	return ""
}

// BlobNames lists the blobs the ingest client uploaded.
func (r *Rig) BlobNames(tb testing.TB) []string {
	tb.Helper()
	var names []string
	pager := r.Container.NewListBlobsFlatPager(r.Name, nil)
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		for _, b := range page.Segment.BlobItems {
			names = append(names, *b.Name)
		}
	}
	return names
}

// Lines returns the JSON lines of one uploaded blob (gunzipped).
func (r *Rig) Lines(tb testing.TB, name string) [][]byte {
	tb.Helper()
	resp, err := r.Container.DownloadStream(context.Background(), r.Name, name, nil)
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		tb.Fatal(err)
	}
	if bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			tb.Fatal(err)
		}
		if raw, err = io.ReadAll(zr); err != nil {
			tb.Fatal(err)
		}
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// Messages returns the queue's messages (at most 32), base64-decoded: the
// ingest client's JSON.
func (r *Rig) Messages(tb testing.TB) [][]byte {
	tb.Helper()
	n := int32(32)
	resp, err := r.Queue.PeekMessages(context.Background(), &azqueue.PeekMessagesOptions{NumberOfMessages: &n})
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	for _, m := range resp.Messages {
		raw, err := base64.StdEncoding.DecodeString(*m.MessageText)
		if err != nil {
			tb.Fatalf("queue message %q is not base64: %v", *m.MessageText, err)
		}
		out = append(out, raw)
	}
	return out
}
