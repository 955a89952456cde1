package devhost

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/popsockets/integration/shared/bus"
)

// The real host serialises binding data with JsonConvert and then embeds the
// result, so strings arrive quoted twice, numbers and booleans as strings,
// and DateTime values re-parsed to seconds without an offset. These helpers
// reproduce that, so the handler meets the same quirks locally.

func raw(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// netString is a string as the host embeds it: "\"value\"".
func netString(s string) json.RawMessage { return raw(string(raw(s))) }

// netNumber is an int as the host embeds it: "3".
func netNumber(n int64) json.RawMessage { return raw(strconv.FormatInt(n, 10)) }

// netDateTime is a DateTime: seconds, no offset.
func netDateTime(t time.Time) json.RawMessage { return raw(t.UTC().Format("2006-01-02T15:04:05")) }

// netDateTimeOffset is a DateTimeOffset: seconds, with offset.
func netDateTimeOffset(t time.Time) json.RawMessage {
	return raw(t.UTC().Format("2006-01-02T15:04:05-07:00"))
}

func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func sysBlock(function string, now time.Time) json.RawMessage {
	return raw(map[string]string{
		"MethodName": function,
		"UtcNow":     now.UTC().Format(time.RFC3339Nano),
		"RandGuid":   newGUID(),
	})
}

// invocation is the {Data, Metadata} body the host posts.
type invocation struct {
	Data     map[string]json.RawMessage `json:"Data"`
	Metadata map[string]json.RawMessage `json:"Metadata"`
}

// body encodes a trigger body: base64 for dataType binary, else a string
// quoted twice (or base64 when the bytes are not text, as the host does
// for byte arrays).
func body(b []byte, binary bool) json.RawMessage {
	if binary || !utf8.Valid(b) {
		return raw(base64.StdEncoding.EncodeToString(b))
	}
	return netString(string(b))
}

// delivery is one Service Bus delivery.
type delivery struct {
	wire          bus.Wire
	sequence      int64
	enqueued      time.Time
	deliveryCount int
	lockToken     string
}

func serviceBusInvocation(fn *Function, trig *Binding, d *delivery, namespace string, now time.Time) invocation {
	props := make(map[string]any, len(d.wire.ApplicationProperties))
	for k, v := range d.wire.ApplicationProperties {
		props[k] = v
	}
	md := map[string]json.RawMessage{
		"DeliveryCount":         netNumber(int64(d.deliveryCount)),
		"LockToken":             netString(d.lockToken),
		"MessageId":             netString(d.wire.MessageID),
		"ContentType":           netString(d.wire.ContentType),
		"SequenceNumber":        netNumber(d.sequence),
		"EnqueuedTimeUtc":       netDateTime(d.enqueued),
		"EnqueuedTime":          netDateTimeOffset(d.enqueued),
		"ExpiresAtUtc":          netDateTime(d.enqueued.Add(14 * 24 * time.Hour)),
		"ExpiresAt":             netDateTimeOffset(d.enqueued.Add(14 * 24 * time.Hour)),
		"ApplicationProperties": raw(props),
		"UserProperties":        raw(props),
		"MessageReceiver":       raw(map[string]any{}),
		"MessageSession":        raw(map[string]any{}),
		"MessageActions":        raw(map[string]any{}),
		"SessionActions":        raw(map[string]any{}),
		"ReceiveActions":        raw(map[string]any{}),
		"Client":                raw(map[string]any{"FullyQualifiedNamespace": namespace, "IsClosed": false, "TransportType": 0, "Identifier": namespace + "-devhost"}),
		"sys":                   sysBlock(fn.Name, now),
	}
	if d.wire.CorrelationID != "" {
		md["CorrelationId"] = netString(d.wire.CorrelationID)
	}
	if d.wire.Subject != "" {
		md["Subject"] = netString(d.wire.Subject)
		md["Label"] = netString(d.wire.Subject)
	}
	// The host copies a JSON body's top-level properties into Metadata too.
	var top map[string]json.RawMessage
	if json.Unmarshal(d.wire.Body, &top) == nil {
		for k, v := range top {
			if _, taken := md[k]; !taken {
				md[k] = raw(string(v))
			}
		}
	}
	return invocation{
		Data:     map[string]json.RawMessage{trig.Name: body(d.wire.Body, trig.DataType == "binary")},
		Metadata: md,
	}
}

func timerInvocation(fn *Function, trig *Binding, last, next time.Time, pastDue, monitor bool, now time.Time) invocation {
	info := map[string]any{"Schedule": map[string]any{"AdjustForDST": true}, "IsPastDue": pastDue, "ScheduleStatus": nil}
	if monitor {
		info["ScheduleStatus"] = map[string]string{
			"Last":        last.UTC().Format(time.RFC3339),
			"Next":        next.UTC().Format(time.RFC3339),
			"LastUpdated": now.UTC().Format(time.RFC3339),
		}
	}
	return invocation{
		Data:     map[string]json.RawMessage{trig.Name: raw(info)},
		Metadata: map[string]json.RawMessage{"sys": sysBlock(fn.Name, now)},
	}
}

func blobInvocation(fn *Function, trig *Binding, container, name, nameToken, etag, contentType string,
	data []byte, meta map[string]string, modified, now time.Time) invocation {
	uri := "http://127.0.0.1:10000/devstoreaccount1/" + container + "/" + name
	userMeta := make(map[string]json.RawMessage, len(meta))
	for k, v := range meta {
		userMeta[k] = netString(v)
	}
	md := map[string]json.RawMessage{
		"Uri": netString(uri),
		"Properties": raw(map[string]any{
			"ETag": `"` + etag + `"`, "Length": len(data), "ContentType": contentType,
			"LastModified": modified.UTC().Format("2006-01-02T15:04:05-07:00"),
		}),
		"Metadata": raw(userMeta),
		"sys":      sysBlock(fn.Name, now),
	}
	if nameToken != "" {
		md["name"] = netString(nameToken)
	}
	return invocation{
		Data:     map[string]json.RawMessage{trig.Name: body(data, trig.DataType == "binary")},
		Metadata: md,
	}
}
