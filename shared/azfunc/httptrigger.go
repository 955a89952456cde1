package azfunc

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// HTTPRequest is an httpTrigger request in the default (non-forwarded) mode,
// where the host wraps the request in the invocation envelope.
type HTTPRequest struct {
	Method  string
	URL     string
	Query   map[string]string
	Headers map[string][]string
	Params  map[string]string
	Body    []byte
}

// Header returns the first value of a header, matched case-insensitively.
func (r *HTTPRequest) Header(name string) string {
	for k, v := range r.Headers {
		if len(v) > 0 && strings.EqualFold(k, name) {
			return v[0]
		}
	}
	return ""
}

// HTTPResponse is the value of an http output binding in the default mode.
type HTTPResponse struct {
	StatusCode int
	Headers    map[string]string
	// Body should be text (JSON). The host decodes an output string that is
	// valid base64 into bytes, so never send a bare token as the body.
	Body string
}

// MarshalJSON writes the host's shape: statusCode as a string.
func (r HTTPResponse) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		StatusCode string            `json:"statusCode"`
		Headers    map[string]string `json:"headers,omitempty"`
		Body       string            `json:"body"`
	}{strconv.Itoa(r.StatusCode), r.Headers, r.Body})
}

// DecodeHTTPRequest reads the request of binding from inv.
func DecodeHTTPRequest(inv *Invocation, binding string) (*HTTPRequest, error) {
	obj, err := decodeObject(inv.Data[binding])
	if err != nil {
		return nil, fmt.Errorf("http request: %w", err)
	}
	if obj == nil {
		return nil, fmt.Errorf("invocation has no data for binding %q", binding)
	}
	r := &HTTPRequest{}
	r.Method, _ = decodeString(obj["Method"])
	r.URL, _ = decodeString(obj["Url"])
	if r.Query, err = stringMap(obj["Query"]); err != nil {
		return nil, fmt.Errorf("http Query: %w", err)
	}
	if r.Params, err = stringMap(obj["Params"]); err != nil {
		return nil, fmt.Errorf("http Params: %w", err)
	}
	headers, err := decodeObject(obj["Headers"])
	if err != nil {
		return nil, fmt.Errorf("http Headers: %w", err)
	}
	r.Headers = make(map[string][]string, len(headers))
	for k, v := range headers {
		var many []string
		if json.Unmarshal(v, &many) == nil {
			r.Headers[k] = many
			continue
		}
		one, _ := decodeString(v)
		r.Headers[k] = []string{one}
	}
	// Body is a string (or base64 for binary content types); absent when empty.
	if raw, ok := obj["Body"]; ok {
		binary := isBinaryContentType(r.Header("Content-Type"))
		if r.Body, err = decodeBody(raw, binary); err != nil {
			return nil, fmt.Errorf("http Body: %w", err)
		}
	}
	return r, nil
}

func stringMap(raw json.RawMessage) (map[string]string, error) {
	obj, err := decodeObject(raw)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		if out[k], err = decodeString(v); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	return out, nil
}

func isBinaryContentType(ct string) bool {
	ct = strings.ToLower(ct)
	return strings.HasPrefix(ct, "application/octet-stream") || strings.HasPrefix(ct, "multipart/")
}
