package arena

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// FuzzItemAnswer: whatever Arena answers for an item, decoding and reading
// its attributes and times never panics.
func FuzzItemAnswer(f *testing.F) {
	f.Add([]byte(`{"guid":"G","number":"100-1","revisionNumber":"A","effectiveDateTime":"2026-03-02T09:00:00Z",` +
		`"additionalAttributes":[{"name":"Color","value":"Black"},{"name":"N","value":12},{"name":"L","value":["a","b"]}]}`))
	f.Add([]byte(`{"additionalAttributes":[{"value":{}}]}`))
	f.Add([]byte(`{"count":1,"results":[{"lineNumber":1,"quantity":2.5,"item":{"number":"X"}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var it Item
		if json.Unmarshal(body, &it) == nil {
			for _, a := range it.AdditionalAttributes {
				_ = a.Text()
			}
			_ = EffectiveAt(it.EffectiveDateTime)
		}
		var bom WireList[BOMLine]
		_ = json.Unmarshal(body, &bom)
	})
}

// FuzzQuotaHeaders: any header values leave the quota readable.
func FuzzQuotaHeaders(f *testing.F) {
	f.Add("12", "2026-03-03T00:00:00Z")
	f.Add("-1", "Tue, 03 Mar 2026 00:00:00 GMT")
	f.Add("x", "")
	f.Fuzz(func(t *testing.T, remaining, reset string) {
		var q quota
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		q.observe(http.Header{HeaderRemaining: {remaining}, HeaderReset: {reset}}, now)
		_ = q.check(now, 0)
		_ = q.exhausted(http.Header{HeaderReset: {reset}}, now)
		if q.check(now, 0) == nil {
			t.Fatal("after a 429 a call was allowed at once")
		}
	})
}
