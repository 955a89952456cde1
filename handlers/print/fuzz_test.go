package print

import (
	"testing"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/fault"
)

// FuzzIntakeDecode feeds any message body to the intake's decoding and
// decision: it never panics, and what it cannot read is Malformed (parked),
// never a transient error that would be retried forever.
func FuzzIntakeDecode(f *testing.F) {
	f.Add([]byte(`{"trace_id":"0123456789abcdef0123456789abcdef","span_id":"0123456789abcdef","event_type":"order.update","timestamp":"2026-12-04T00:00:00Z","status":"request","code":200,"object_type":"ORDER","refe_id":"O1","requested_payload":"eyJvcmRlcklkIjoiTzEiLCJzaXRlSWQiOiJDUk9GIiwiZGF0ZSI6IjIwMjYtMTItMDQiLCJvcmRlckl0ZW1zIjpbeyJvcmRlckxpbmVOdW1iZXIiOiIxMDAwMCIsInF1YW50aXR5IjoxLCJwcm9kdWN0U2t1IjoiODAxMzMwIiwiaW1hZ2VUeXBlIjoiQ1BPRCIsImltYWdlVXJsIjoiaHR0cHM6Ly9pLmV4YW1wbGUvMS5wbmcifV19"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"requested_payload":"bnVsbA=="}`))
	f.Add([]byte("\xff\xfe"))
	r := DefaultRules()
	f.Fuzz(func(t *testing.T, body []byte) {
		_, o, err := decodeOrderUpdate(&azfunc.Message{Body: body})
		if err == nil {
			_, err = Decide(o, r)
		}
		if err != nil && fault.ClassOf(err) != fault.ClassMalformed {
			t.Fatalf("%v is %s, not malformed", err, fault.ClassOf(err))
		}
	})
}
