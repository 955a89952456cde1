package azfunc

import (
	"encoding/json"
	"fmt"
	"time"
)

// Invocation is one non-HTTP invocation as the host posts it to /<FunctionName>.
type Invocation struct {
	// ID is the host's X-Azure-Functions-InvocationId.
	ID string
	// Function is the function (folder) name from the URL path.
	Function string
	// Data holds one value per trigger or input binding, by binding name.
	Data map[string]json.RawMessage `json:"Data"`
	// Metadata is the trigger's binding data (null values and keys ending in
	// "Trigger" are dropped by the host).
	Metadata map[string]json.RawMessage `json:"Metadata"`
}

// Sys is the host's invocation context that arrives in every Metadata.
type Sys struct {
	MethodName string
	UtcNow     time.Time
	RandGuid   string
}

// RetryContext is present when a function.json retry policy is active.
type RetryContext struct {
	RetryCount    int
	MaxRetryCount int
}

func parseInvocation(body []byte) (*Invocation, error) {
	var inv Invocation
	if err := json.Unmarshal(body, &inv); err != nil {
		return nil, fmt.Errorf("decoding invocation envelope: %w", err)
	}
	if inv.Data == nil {
		inv.Data = map[string]json.RawMessage{}
	}
	if inv.Metadata == nil {
		inv.Metadata = map[string]json.RawMessage{}
	}
	return &inv, nil
}

// MetaString returns a metadata string, unquoted. Absent is "".
func (inv *Invocation) MetaString(key string) (string, error) {
	s, err := decodeString(inv.Metadata[key])
	if err != nil {
		return "", fmt.Errorf("metadata %s: %w", key, err)
	}
	return s, nil
}

// MetaInt returns a metadata integer sent as a number or a string.
func (inv *Invocation) MetaInt(key string) (int64, error) {
	n, err := decodeInt(inv.Metadata[key])
	if err != nil {
		return 0, fmt.Errorf("metadata %s: %w", key, err)
	}
	return n, nil
}

// MetaTime returns a metadata timestamp in UTC.
func (inv *Invocation) MetaTime(key string) (time.Time, error) {
	t, err := decodeTime(inv.Metadata[key])
	if err != nil {
		return time.Time{}, fmt.Errorf("metadata %s: %w", key, err)
	}
	return t, nil
}

// Sys returns the host's sys block; zero values when absent.
func (inv *Invocation) Sys() Sys {
	var sys Sys
	obj, err := decodeObject(inv.Metadata["sys"])
	if err != nil || obj == nil {
		return sys
	}
	sys.MethodName, _ = decodeString(obj["MethodName"])
	sys.UtcNow, _ = decodeTime(obj["UtcNow"])
	sys.RandGuid, _ = decodeString(obj["RandGuid"])
	return sys
}

// RetryContext returns the retry policy's state, or nil when no policy applies.
func (inv *Invocation) RetryContext() *RetryContext {
	obj, err := decodeObject(inv.Metadata["RetryContext"])
	if err != nil || obj == nil {
		return nil
	}
	count, _ := decodeInt(obj["RetryCount"])
	max, _ := decodeInt(obj["MaxRetryCount"])
	return &RetryContext{RetryCount: int(count), MaxRetryCount: int(max)}
}
