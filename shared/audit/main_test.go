package audit

import (
	"os"
	"testing"

	"github.com/popsockets/integration/shared/blob/blobtest"
	"github.com/popsockets/integration/shared/store/storetest"
)

// TestMain stops the Azurite the Kusto tests start and the PostgreSQL the
// sink tests start.
func TestMain(m *testing.M) {
	code := m.Run()
	blobtest.Stop()
	storetest.Stop()
	os.Exit(code)
}
