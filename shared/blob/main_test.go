package blob_test

import (
	"os"
	"testing"

	"github.com/popsockets/integration/shared/blob/blobtest"
)

func TestMain(m *testing.M) {
	// The cross-process lock test re-runs this binary as the other process.
	if root := os.Getenv(lockHelperEnv); root != "" {
		os.Exit(lockHelper(root))
	}
	blobtest.Main(m)
}
