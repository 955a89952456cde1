package azfunc_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
)

// TestNoLogLineContainsASecret logs configured secrets through every path a
// careless handler could use and checks stdout, stderr and the reply's Logs.
func TestNoLogLineContainsASecret(t *testing.T) {
	t.Parallel()
	secrets := []string{
		"s3cr3t-Key-value",                            // a plain key
		`pa"ss\word<with>&json`,                       // JSON-escaped when written
		"AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1", // part of a connection string
	}
	b := setupLogging(t, slog.LevelDebug, secrets, nil)
	b.srv.ServiceBus("cirro-fulfill", "msg", false, func(ctx context.Context, m *azfunc.Message) error {
		log := azfunc.Logger(ctx)
		for _, s := range secrets {
			log.Info("connecting with " + s)
			log.Debug("token", "value", s, "nested", slog.GroupValue(slog.String("inner", "x"+s+"y")))
			log.Warn("retrying", "error", fmt.Errorf("dial: %s", s))
		}
		log.Info("customer", "email", "jane@example.com", "phone", "+1 555 0100", "address1", "1 Main St", "first_name", "Jane")
		return errors.New("upstream said: " + secrets[0])
	})
	r := b.invoke(t, "cirro-fulfill", fixture(t, "servicebus_double_encoded.json"))
	require.Equal(t, 500, r.Status)
	// A success reply too, so Logs are checked.
	b.srv.ServiceBus("ok", "msg", false, func(ctx context.Context, m *azfunc.Message) error {
		azfunc.Logger(ctx).Info("using", "key", secrets[0], "conn", secrets[2])
		return nil
	})
	ok := b.invoke(t, "ok", fixture(t, "servicebus_double_encoded.json"))
	requireHostSuccess(t, ok)

	all := b.stdout.String() + b.stderr.String() + strings.Join(ok.Logs, "\n")
	require.NotEmpty(t, all)
	for _, s := range secrets {
		require.NotContains(t, all, s)
	}
	require.NotContains(t, all, `pa\"ss\\word`)
	for _, pii := range []string{"jane@example.com", "555 0100", "1 Main St", "Jane"} {
		require.NotContains(t, all, pii)
	}
	require.Contains(t, all, azfunc.Redacted)
	require.Contains(t, all, "connecting with [REDACTED]")
}
