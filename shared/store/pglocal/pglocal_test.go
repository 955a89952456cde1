package pglocal_test

import (
	"context"
	"os"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/store/pglocal"
)

func TestStartServesAndStopRemovesEverything(t *testing.T) {
	ctx := context.Background()
	srv, err := pglocal.Start(ctx, pglocal.Config{})
	require.NoError(t, err)
	conn, err := pgx.Connect(ctx, srv.URL)
	require.NoError(t, err)
	var one int
	require.NoError(t, conn.QueryRow(ctx, "select 1").Scan(&one))
	require.Equal(t, 1, one)
	require.NoError(t, conn.Close(ctx))
	srv.Stop()
	srv.Stop() // idempotent
	_, err = pgx.Connect(ctx, srv.URL)
	require.Error(t, err, "the server is gone after Stop")
}

func TestDurableIsOptIn(t *testing.T) {
	for _, tc := range []struct {
		name    string
		durable bool
		want    string
	}{
		{"DefaultTradesDurabilityForSpeed", false, "off"},
		{"DurableSyncsEveryCommit", true, "on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			srv, err := pglocal.Start(ctx, pglocal.Config{Durable: tc.durable})
			require.NoError(t, err)
			t.Cleanup(srv.Stop)
			conn, err := pgx.Connect(ctx, srv.URL)
			require.NoError(t, err)
			defer conn.Close(ctx)
			for _, name := range []string{"fsync", "synchronous_commit", "full_page_writes"} {
				var got string
				require.NoError(t, conn.QueryRow(ctx, "SHOW "+name).Scan(&got))
				require.Equal(t, tc.want, got, name)
			}
		})
	}
}

func TestDurableRefusesMemoryFileSystem(t *testing.T) {
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err != nil || st.Type != 0x01021994 {
		t.Skip("no tmpfs at /dev/shm on this machine")
	}
	dir, err := os.MkdirTemp("/dev/shm", "pglocal-test-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	_, err = pglocal.Start(context.Background(), pglocal.Config{Dir: dir, Durable: true})
	require.ErrorContains(t, err, "tmpfs")
}
