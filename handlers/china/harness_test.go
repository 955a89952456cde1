package china

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/azfunc/azfunctest"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

type (
	clock  = azfunctest.Clock
	outbox = azfunctest.Outbox
)

func newClock(t time.Time) *clock { return azfunctest.NewClock(t) }

// harness runs the flow's handlers behind the custom-handler protocol, as
// the host calls them, on a real socket.
type harness struct {
	*azfunctest.Host
	store *store.Store
}

func newHarness(t *testing.T, s *store.Store, register func(srv *azfunc.Server)) *harness {
	t.Helper()
	return &harness{Host: azfunctest.New(t, s, 100*time.Millisecond, register), store: s}
}

func count(t *testing.T, s *store.Store, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, s.Pool.QueryRow(context.Background(), query, args...).Scan(&n))
	return n
}
