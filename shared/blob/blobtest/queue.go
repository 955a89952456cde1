package blobtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The one queue server of this test binary. Main stops it with the blob
// server.
var (
	queueOnce     sync.Once
	queueSrv      *server
	queueStartErr error
)

// AzuriteQueue returns the endpoint of the test binary's Azurite queue
// service, path style (http://127.0.0.1:PORT/devstoreaccount1). It starts
// azurite-queue on first use and fails the test when it cannot. The
// account is AccountName with AccountKey, as for the blob service.
func AzuriteQueue(tb testing.TB) string {
	tb.Helper()
	queueOnce.Do(func() { queueSrv, queueStartErr = startQueue() })
	if queueStartErr != nil {
		tb.Fatal(queueStartErr)
	}
	return fmt.Sprintf("http://127.0.0.1:%d/%s", queueSrv.port, AccountName)
}

// stopQueue stops the queue server if it was started.
func stopQueue() {
	if queueSrv != nil {
		queueSrv.stop()
	}
}

// findQueueBinary finds azurite-queue next to the azurite-blob that
// findBinary finds: the npm package puts both in the same .bin folder.
func findQueueBinary() (string, error) {
	blobBin, err := findBinary()
	if err != nil {
		return "", err
	}
	dir, base := filepath.Split(blobBin)
	p := filepath.Join(dir, strings.Replace(base, "azurite-blob", "azurite-queue", 1))
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("azurite-queue not found next to %s: %w; %s", blobBin, err, NotFoundMessage)
	}
	return p, nil
}

func startQueue() (*server, error) { return startService(findQueueBinary, "queue") }
