package cirro_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/cirro"
	"github.com/popsockets/integration/shared/cirro/cirrotest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./shared/cirro/... -update")
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from golden file (run with -update to accept):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// TestWireRequests pins the bytes the client sends for each create, as the
// fake received them (the key order is the client's; indented for reading).
func TestWireRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		send func(context.Context, *cirro.Client) error
	}{
		{"create_b2c.golden", func(ctx context.Context, c *cirro.Client) error {
			_, err := c.CreateOrder(ctx, cirro.RequestID("order/create", "ORD225299"), b2cOrder("ORD225299"))
			return err
		}},
		{"create_b2b.golden", func(ctx context.Context, c *cirro.Client) error {
			_, err := c.CreateB2BOrder(ctx, cirro.RequestID("order/create-b2b", "ORD225300"), b2bOrder("ORD225300", "PO-778899"))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv, _ := pair(t, cirrotest.Config{}, nil)
			require.NoError(t, tt.send(context.Background(), c))
			orders := srv.Orders()
			require.Len(t, orders, 1)
			var out bytes.Buffer
			require.NoError(t, json.Indent(&out, orders[0].Body, "", "  "))
			out.WriteByte('\n')
			golden(t, tt.name, out.Bytes())
		})
	}
}
