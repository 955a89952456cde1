package product

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/arena/arenatest"
	"github.com/popsockets/integration/shared/azfunc"
)

func lookupServer(t *testing.T, b *pollBundle) string {
	t.Helper()
	srv, err := azfunc.NewServer(azfunc.Config{Logging: azfunc.NewLogging(io.Discard, io.Discard, slog.LevelInfo, nil), Parker: b.store})
	require.NoError(t, err)
	srv.HTTP(FnLookup, http.MethodGet, "arena/item", &Lookup{Arena: b.client(t, "lookup", 0)})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL + "/api/arena/item"
}

func get(t *testing.T, u string) (int, http.Header, map[string]json.RawMessage) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]json.RawMessage
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, resp.Header, body
}

func TestLookup(t *testing.T) {
	t.Parallel()
	b := setupArena(t)
	b.add(t, "708469", "A", nil)
	b.add(t, "708470", "C", map[string]any{"Image Type": "CYO", "Color": "Black"}, arenatest.BOMSpec{Number: "708469", Quantity: 2, RefDes: "G1"})
	u := lookupServer(t, b)
	t.Run("AnItemWithItsAttributesAndBOM", func(t *testing.T) {
		status, _, body := get(t, u+"?item_number=708470")
		require.Equal(t, http.StatusOK, status)
		var item struct {
			Number               string `json:"number"`
			RevisionNumber       string `json:"revisionNumber"`
			AdditionalAttributes []struct {
				Name  string `json:"name"`
				Value string `json:"value"`
			} `json:"additionalAttributes"`
		}
		require.NoError(t, json.Unmarshal(body["item"], &item))
		require.Equal(t, "708470", item.Number)
		require.Equal(t, "C", item.RevisionNumber)
		require.Len(t, item.AdditionalAttributes, 2)
		var bom []struct {
			Quantity json.Number `json:"quantity"`
			Item     struct {
				Number string `json:"number"`
			} `json:"item"`
		}
		require.NoError(t, json.Unmarshal(body["bom"], &bom))
		require.Len(t, bom, 1)
		require.Equal(t, "708469", bom[0].Item.Number)
		require.Equal(t, "2", bom[0].Quantity.String())
	})
	t.Run("NoSuchItemIs404", func(t *testing.T) {
		status, _, body := get(t, u+"?item_number=999999")
		require.Equal(t, http.StatusNotFound, status)
		require.JSONEq(t, `"999999"`, string(body["item_number"]))
	})
	t.Run("AMissingOrBadItemNumberIs400", func(t *testing.T) {
		status, _, body := get(t, u)
		require.Equal(t, http.StatusBadRequest, status)
		require.Contains(t, string(body["error"]), "item_number is missing")
		status, _, _ = get(t, u+"?item_number="+url.QueryEscape("70\x0170"))
		require.Equal(t, http.StatusBadRequest, status)
	})
	t.Run("QuotaExhaustedIs503WithRetryAfter", func(t *testing.T) {
		b.fake.SetRemaining(0)
		status, h, _ := get(t, u+"?item_number=708470")
		require.Equal(t, http.StatusServiceUnavailable, status)
		require.NotEmpty(t, h.Get("Retry-After"))
		b.fake.ResetQuota()
	})
}
