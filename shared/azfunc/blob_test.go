package azfunc_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
)

// TestDecodeBlobFromTheHostsShapes reads blob invocations as the Functions
// host sends them: the content base64 without dataType as with binary,
// text quoted twice with "dataType": "string", user metadata as plain
// strings, and Properties as the v12 BlobProperties with ETag as {}.
func TestDecodeBlobFromTheHostsShapes(t *testing.T) {
	t.Parallel()
	const csv = "order_id,state\nORD-1,SHIPPED\n"
	for _, tc := range []struct {
		fixture string
		binary  bool
	}{
		{"blob_v12_default.json", false},
		{"blob_v12_default.json", true},
		{"blob_v12_string.json", false},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			var inv azfunc.Invocation
			require.NoError(t, json.Unmarshal(fixture(t, tc.fixture), &inv))
			b, err := azfunc.DecodeBlob(&inv, "file", tc.binary)
			if tc.fixture == "blob_v12_string.json" && tc.binary {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, csv, string(b.Data))
			require.Equal(t, "staging", b.Container)
			require.Equal(t, "orders/2026-11-25.csv", b.Name)
			require.EqualValues(t, len(csv), b.Length, "v12 names it ContentLength")
			require.Equal(t, "text/csv", b.ContentType)
			require.Empty(t, b.ETag, "the host cannot serialise Azure.ETag: it sends {}")
			require.Equal(t, map[string]string{"source": "oms"}, b.Metadata)
		})
	}
	t.Run("BinaryContentWithoutDataType", func(t *testing.T) {
		t.Parallel()
		var inv azfunc.Invocation
		require.NoError(t, json.Unmarshal(fixture(t, "blob_binary.json"), &inv))
		b, err := azfunc.DecodeBlob(&inv, "file", false)
		require.NoError(t, err)
		require.Equal(t, fixture(t, "blob_binary.bytes"), b.Data, "base64 decodes without the binary flag too")
	})
}
