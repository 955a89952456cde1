package pglocal_test

import (
	"context"
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
