package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRequestWithoutSecretsSaysSo: with no OMS_WEBHOOK_SECRETS the request
// command explains what is missing instead of panicking.
func TestRequestWithoutSecretsSaysSo(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ".run"), 0o755))
	b, err := json.Marshal(map[string]string{
		"DEVHOST_URL": "http://127.0.0.1:7071", "OMS_AES_KEY_ID": "k1",
		"OMS_AES_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "OMS_WEBHOOK_SECRETS": "",
	})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, settingsFile), b, 0o600))
	t.Chdir(dir)
	var out, errOut strings.Builder
	code := devRequest(nil, func(string) string { return "" }, &out, &errOut)
	require.Equal(t, 2, code)
	require.Contains(t, errOut.String(), "OMS_WEBHOOK_SECRETS is empty")
	require.Empty(t, out.String())
}

func TestRequestWithoutALocalRun(t *testing.T) {
	t.Chdir(t.TempDir())
	var out, errOut strings.Builder
	require.Equal(t, 2, devRequest(nil, func(string) string { return "" }, &out, &errOut))
	require.Contains(t, errOut.String(), "start `make run` first")
}
