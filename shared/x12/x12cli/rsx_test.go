package x12cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func rsxSample(name string) string { return filepath.Join("testdata", name) }

func TestRSXIsDetectedFromTheContent(t *testing.T) {
	t.Run("ValidateValidExitsZero", func(t *testing.T) {
		r := run(t, "", "validate", rsxSample("po-legacy-amazon.xml"), sample("850.edi"))
		assert.Equal(t, 0, r.code, r.stdout)
		assert.Empty(t, r.stdout)
	})
	t.Run("ValidateNamesElementPathAndLine", func(t *testing.T) {
		r := run(t, "", "validate", rsxSample("po-bad-line.xml"))
		assert.Equal(t, 1, r.code)
		assert.Equal(t, "testdata/po-bad-line.xml: Orders/Order[1]/LineItem[2]/OrderLine/OrderQty (line 23): OrderQty \"twelve\" is not a positive number\n", r.stdout)
	})
	t.Run("ValidateTruncatedXMLExitsOne", func(t *testing.T) {
		b, err := os.ReadFile(rsxSample("po-legacy-amazon.xml"))
		require.NoError(t, err)
		r := run(t, string(b[:len(b)/2]), "validate", "-")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stdout, "-: ")
		assert.Contains(t, r.stdout, "malformed XML")
	})
	t.Run("ShowPrintsTheOrder", func(t *testing.T) {
		r := run(t, "", "show", rsxSample("po-legacy-amazon.xml"))
		assert.Equal(t, 0, r.code, r.stderr)
		golden(t, "show_rsx_legacy.golden", []byte(r.stdout))
	})
	t.Run("JSONFromStandardInput", func(t *testing.T) {
		b, err := os.ReadFile(rsxSample("po-bad-line.xml"))
		require.NoError(t, err)
		r := run(t, string(b), "json", "-")
		assert.Equal(t, 1, r.code, "invalid, as validate says")
		var out struct {
			Format   string `json:"format"`
			Valid    bool   `json:"valid"`
			Problems []struct {
				Path string `json:"path"`
				Line int    `json:"line"`
			} `json:"problems"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
		assert.Equal(t, "rsx", out.Format)
		assert.False(t, out.Valid)
		assert.Equal(t, 23, out.Problems[0].Line)
	})
	t.Run("X12StillGoesThroughTheX12Path", func(t *testing.T) {
		b, err := os.ReadFile(sample("850.edi"))
		require.NoError(t, err)
		r := run(t, string(b), "validate", "-")
		assert.Equal(t, 0, r.code, r.stdout)
	})
}
