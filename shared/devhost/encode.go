package devhost

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
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

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newTraceID is an operation_Id: 32 hex digits, as W3C trace ids are.
func newTraceID() string { return randomHex(16) }

// newSpanID is a telemetry item id: 16 hex digits.
func newSpanID() string { return randomHex(8) }

// newKey is a function key in the host's shape: 40 random bytes, base64url.
func newKey() string {
	b := make([]byte, 40)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
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
	// Unset (null) properties never reach Metadata.
	if d.wire.ContentType != "" {
		md["ContentType"] = netString(d.wire.ContentType)
	}
	if d.wire.CorrelationID != "" {
		md["CorrelationId"] = netString(d.wire.CorrelationID)
	}
	if d.wire.Subject != "" {
		md["Subject"] = netString(d.wire.Subject)
		md["Label"] = netString(d.wire.Subject)
	}
	applyBindingData(md, d.wire.Body)
	dropTriggerKeys(md)
	return invocation{
		Data:     map[string]json.RawMessage{trig.Name: body(d.wire.Body, trig.DataType == "binary")},
		Metadata: md,
	}
}

// dropTriggerKeys removes what the host leaves out of Metadata: every key
// ending in "trigger", in any case (ScriptInvocationContextExtensions.cs).
func dropTriggerKeys(md map[string]json.RawMessage) {
	for k := range md {
		if strings.HasSuffix(strings.ToLower(k), "trigger") {
			delete(md, k)
		}
	}
}

// applyBindingData adds the top-level properties of a JSON object body to
// the metadata, as the host does before every invocation
// (Utility.ApplyBindingData, from WorkerFunctionInvoker.TransformInput):
//   - a property overwrites binding data of the same name (names compare
//     without case; the existing name keeps its spelling);
//   - arrays and nulls are skipped;
//   - an object stays an object;
//   - anything else becomes its .NET string form (3 -> "3", true ->
//     "True", and a string that Json.NET reads as an ISO 8601 date-time
//     -> "MM/dd/yyyy HH:mm:ss"), which then arrives quoted twice like every
//     other string value.
//
// A body that is not a JSON object adds nothing.
func applyBindingData(md map[string]json.RawMessage, b []byte) {
	t := strings.TrimSpace(string(b))
	if !strings.HasPrefix(t, "{") || !strings.HasSuffix(t, "}") {
		return
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(b, &top) != nil {
		return
	}
	names := make(map[string]string, len(md))
	for k := range md {
		names[strings.ToLower(k)] = k
	}
	for k, v := range top {
		val, ok := bindingValue(v)
		if !ok {
			continue
		}
		if existing, taken := names[strings.ToLower(k)]; taken {
			k = existing
		}
		names[strings.ToLower(k)] = k
		md[k] = val
	}
}

// bindingValue is one property as ApplyBindingData keeps it, encoded for Metadata.
func bindingValue(v json.RawMessage) (json.RawMessage, bool) {
	v = json.RawMessage(strings.TrimSpace(string(v)))
	if len(v) == 0 {
		return nil, false
	}
	switch v[0] {
	case '{':
		return v, true
	case '[', 'n':
		return nil, false
	case 't':
		return netString("True"), true
	case 'f':
		return netString("False"), true
	case '"':
		var s string
		if json.Unmarshal(v, &s) != nil {
			return nil, false
		}
		if d, ok := jsonNetDate(s); ok {
			s = d
		}
		return netString(s), true
	}
	return netString(dotNetNumber(string(v))), true
}

// dotNetNumber is a JSON number as .NET prints it: integers as written,
// reals in their shortest round-trip form with an upper-case exponent.
func dotNetNumber(n string) string {
	if !strings.ContainsAny(n, ".eE") {
		return n
	}
	f, err := strconv.ParseFloat(n, 64)
	if err != nil {
		return n
	}
	return strings.ToUpper(strconv.FormatFloat(f, 'g', -1, 64))
}

// jsonNetDate reports whether Json.NET would read s as a DateTime (its
// date parsing is on when JObject.Parse reads the body: 19 to 40
// characters, a digit first, a T at index 10, then ISO 8601) and returns
// the DateTime's invariant-culture text. An offset is converted to the
// machine's time zone, which is UTC on Linux Functions hosts.
func jsonNetDate(s string) (string, bool) {
	if len(s) < 19 || len(s) > 40 || s[0] < '0' || s[0] > '9' || s[10] != 'T' {
		return "", false
	}
	for _, layout := range []string{"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Format("01/02/2006 15:04:05"), true
		}
	}
	return "", false
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

// blobProperties is Azure.Storage.Blobs.Models.BlobProperties (v12) as
// Json.NET writes it when the host turns binding data into Metadata
// (JObject.FromObject in ScriptInvocationContextExtensions.cs): every
// public property, in declaration order, PascalCase; DateTimeOffsets in
// ISO 8601 with an offset; enums as numbers. ETag is an Azure.ETag struct
// with no public properties, so it arrives as an empty object.
type blobProperties struct {
	LastModified                         string            `json:"LastModified"`
	CreatedOn                            string            `json:"CreatedOn"`
	Metadata                             map[string]string `json:"Metadata"`
	ObjectReplicationDestinationPolicyID *string           `json:"ObjectReplicationDestinationPolicyId"`
	ObjectReplicationSourceProperties    *[]any            `json:"ObjectReplicationSourceProperties"`
	BlobType                             int               `json:"BlobType"`
	CopyCompletedOn                      string            `json:"CopyCompletedOn"`
	CopyStatusDescription                *string           `json:"CopyStatusDescription"`
	CopyID                               *string           `json:"CopyId"`
	CopyProgress                         *string           `json:"CopyProgress"`
	CopySource                           *string           `json:"CopySource"`
	CopyStatus                           int               `json:"CopyStatus"`
	BlobCopyStatus                       *int              `json:"BlobCopyStatus"`
	IsIncrementalCopy                    bool              `json:"IsIncrementalCopy"`
	DestinationSnapshot                  *string           `json:"DestinationSnapshot"`
	LeaseDuration                        int               `json:"LeaseDuration"`
	LeaseState                           int               `json:"LeaseState"`
	LeaseStatus                          int               `json:"LeaseStatus"`
	ContentLength                        int64             `json:"ContentLength"`
	ContentType                          string            `json:"ContentType"`
	ETag                                 struct{}          `json:"ETag"`
	ContentHash                          []byte            `json:"ContentHash"`
	ContentEncoding                      *string           `json:"ContentEncoding"`
	ContentDisposition                   *string           `json:"ContentDisposition"`
	ContentLanguage                      *string           `json:"ContentLanguage"`
	CacheControl                         *string           `json:"CacheControl"`
	BlobSequenceNumber                   int64             `json:"BlobSequenceNumber"`
	AcceptRanges                         string            `json:"AcceptRanges"`
	BlobCommittedBlockCount              int               `json:"BlobCommittedBlockCount"`
	IsServerEncrypted                    bool              `json:"IsServerEncrypted"`
	EncryptionKeySha256                  *string           `json:"EncryptionKeySha256"`
	EncryptionScope                      *string           `json:"EncryptionScope"`
	AccessTier                           string            `json:"AccessTier"`
	AccessTierInferred                   bool              `json:"AccessTierInferred"`
	ArchiveStatus                        *string           `json:"ArchiveStatus"`
	AccessTierChangedOn                  string            `json:"AccessTierChangedOn"`
	VersionID                            *string           `json:"VersionId"`
	IsLatestVersion                      bool              `json:"IsLatestVersion"`
	TagCount                             int64             `json:"TagCount"`
	ExpiresOn                            string            `json:"ExpiresOn"`
	IsSealed                             bool              `json:"IsSealed"`
	RehydratePriority                    *string           `json:"RehydratePriority"`
	LastAccessed                         string            `json:"LastAccessed"`
	ImmutabilityPolicy                   map[string]any    `json:"ImmutabilityPolicy"`
	HasLegalHold                         bool              `json:"HasLegalHold"`
}

// Enum values of the v12 SDK: BlobType.Block, LeaseState.Available, LeaseStatus.Unlocked.
const (
	blobTypeBlock        = 0
	leaseStateAvailable  = 0
	leaseStatusUnlocked  = 1
	dateTimeOffsetLayout = "2006-01-02T15:04:05-07:00"
	minDateTimeOffset    = "0001-01-01T00:00:00+00:00"
)

func netDateTimeOffsetText(t time.Time) string { return t.UTC().Format(dateTimeOffsetLayout) }

// blobUserMetadata is never nil, so that it arrives as {}.
func blobUserMetadata(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// blobInvocation is what the host posts for a blob trigger. The content is
// a byte[] unless the binding says "dataType": "string": without dataType
// the host asks the blob extension for its first default type, which is
// byte[] (TriggerAdapterBindingProvider.cs), and byte[] always arrives
// base64-encoded (ScriptInvocationContextExtensions.cs). Uri and the path
// tokens are strings, so quoted twice; the user metadata is a dictionary,
// so an object of plain strings; Properties is a BlobProperties object.
func blobInvocation(fn *Function, trig *Binding, uri, nameToken, contentType string,
	data []byte, meta map[string]string, modified, now time.Time) invocation {
	hash := md5.Sum(data)
	props := blobProperties{
		LastModified: netDateTimeOffsetText(modified), CreatedOn: netDateTimeOffsetText(modified),
		Metadata: blobUserMetadata(meta), BlobType: blobTypeBlock, CopyCompletedOn: minDateTimeOffset,
		LeaseState: leaseStateAvailable, LeaseStatus: leaseStatusUnlocked,
		ContentLength: int64(len(data)), ContentType: contentType, ContentHash: hash[:],
		AcceptRanges: "bytes", IsServerEncrypted: true, AccessTier: "Hot", AccessTierInferred: true,
		AccessTierChangedOn: minDateTimeOffset, ExpiresOn: minDateTimeOffset, LastAccessed: minDateTimeOffset,
		ImmutabilityPolicy: map[string]any{"ExpiresOn": nil, "PolicyMode": nil},
	}
	md := map[string]json.RawMessage{
		"Uri":        netString(uri),
		"Properties": raw(props),
		"Metadata":   raw(blobUserMetadata(meta)),
		"sys":        sysBlock(fn.Name, now),
	}
	if nameToken != "" {
		md["name"] = netString(nameToken)
	}
	content := raw(base64.StdEncoding.EncodeToString(data))
	if strings.EqualFold(trig.DataType, "string") {
		content = netString(string(data))
	}
	return invocation{
		Data:     map[string]json.RawMessage{trig.Name: content},
		Metadata: md,
	}
}
