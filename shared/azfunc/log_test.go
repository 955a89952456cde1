package azfunc_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
)

// TestNoLogLineContainsASecret logs configured secrets through every path a
// careless handler could use and checks stdout and stderr.
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
	// A success reply too.
	b.srv.ServiceBus("ok", "msg", false, func(ctx context.Context, m *azfunc.Message) error {
		azfunc.Logger(ctx).Info("using", "key", secrets[0], "conn", secrets[2])
		return nil
	})
	ok := b.invoke(t, "ok", fixture(t, "servicebus_double_encoded.json"))
	requireHostSuccess(t, ok)

	all := b.stdout.String() + b.stderr.String()
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

// TestEachLineIsWrittenOnceWithAQueryableSeverity holds the logging to what
// the Functions host does with a line: stdout is Information, stderr is
// Error unless the line contains "warn" (any case), then Warning.
func TestEachLineIsWrittenOnceWithAQueryableSeverity(t *testing.T) {
	t.Parallel()
	secret := "warnSecretValue123"
	b := setupLogging(t, slog.LevelDebug, []string{secret}, nil)
	b.srv.ServiceBus("cirro-fulfill", "msg", false, func(ctx context.Context, m *azfunc.Message) error {
		log := azfunc.Logger(ctx)
		log.Debug("looked up")
		log.Info("cirro order created")
		log.Warn("cirro slow")
		log.Error("cirro refused: Warning, WARNED before", "key", secret)
		return nil
	})
	r := b.invoke(t, "cirro-fulfill", fixture(t, "servicebus_double_encoded.json"))
	requireHostSuccess(t, r)
	require.Empty(t, r.Logs, "lines are not mirrored into the reply: one row per line")
	severity := func(line string) string { // the host's rule
		if strings.Contains(strings.ToLower(line), "warn") {
			return "Warning"
		}
		return "Error"
	}
	var stderrLevels []string
	for _, l := range strings.Split(strings.TrimSpace(b.stderr.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		require.Equal(t, map[string]string{"WARN": "Warning", "ERROR": "Error"}[m["level"].(string)], severity(l), "line %s", l)
		stderrLevels = append(stderrLevels, m["level"].(string))
		if m["level"] == "ERROR" {
			require.Equal(t, "cirro refused: Warning, WARNED before", m["msg"], "the escaped text reads back unchanged")
			require.Equal(t, azfunc.Redacted, m["key"], "a secret holding warn is still redacted")
		}
	}
	require.Equal(t, []string{"WARN", "ERROR"}, stderrLevels)
	out := b.stdout.lines(t)
	var msgs []string
	for _, m := range out {
		msgs = append(msgs, m["msg"].(string))
	}
	require.Equal(t, []string{"looked up", "cirro order created", "invocation succeeded"}, msgs)
	require.NotContains(t, b.stderr.String()+b.stdout.String(), secret)
}
