package cirro_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/cirro"
	"github.com/popsockets/integration/shared/cirro/cirrotest"
	"github.com/popsockets/integration/shared/golden"
)

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
			golden.IndentJSON(t, tt.name, orders[0].Body)
		})
	}
}
