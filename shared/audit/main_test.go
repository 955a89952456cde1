package audit

import (
	"testing"

	"github.com/popsockets/integration/shared/blob/blobtest"
)

// TestMain stops the Azurite that the Kusto tests start.
func TestMain(m *testing.M) { blobtest.Main(m) }
