package azfunc

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// HostJSON is the part of host.json the local host honours.
type HostJSON struct {
	Version         string
	FunctionTimeout time.Duration
	RoutePrefix     string
	// MaxConcurrentCalls is extensions.serviceBus.maxConcurrentCalls, per function.
	MaxConcurrentCalls int
	ExecutablePath     string
	Forwarding         bool
}

type hostFile struct {
	Version       string `json:"version"`
	CustomHandler struct {
		Description struct {
			DefaultExecutablePath string `json:"defaultExecutablePath"`
		} `json:"description"`
		EnableForwardingHTTPRequest bool `json:"enableForwardingHttpRequest"`
	} `json:"customHandler"`
	FunctionTimeout string `json:"functionTimeout"`
	Extensions      struct {
		HTTP *struct {
			RoutePrefix *string `json:"routePrefix"`
		} `json:"http"`
		ServiceBus *struct {
			MaxConcurrentCalls int `json:"maxConcurrentCalls"`
		} `json:"serviceBus"`
	} `json:"extensions"`
}

// LoadHostJSON reads host.json in appRoot. The handler reads it for
// functionTimeout and the route prefix; the local host for everything here.
func LoadHostJSON(appRoot string) (*HostJSON, error) {
	b, err := os.ReadFile(filepath.Join(appRoot, "host.json"))
	if err != nil {
		return nil, fmt.Errorf("reading host.json: %w", err)
	}
	var f hostFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("parsing host.json: %w", err)
	}
	if f.Version != "2.0" {
		return nil, fmt.Errorf("host.json: version must be \"2.0\", got %q", f.Version)
	}
	h := &HostJSON{Version: f.Version, RoutePrefix: "api", MaxConcurrentCalls: 16, FunctionTimeout: 30 * time.Minute,
		ExecutablePath: f.CustomHandler.Description.DefaultExecutablePath, Forwarding: f.CustomHandler.EnableForwardingHTTPRequest}
	if f.FunctionTimeout != "" {
		if h.FunctionTimeout, err = ParseTimeSpan(f.FunctionTimeout); err != nil {
			return nil, fmt.Errorf("host.json functionTimeout: %w", err)
		}
	}
	if f.Extensions.HTTP != nil && f.Extensions.HTTP.RoutePrefix != nil {
		h.RoutePrefix = strings.Trim(*f.Extensions.HTTP.RoutePrefix, "/")
	}
	if f.Extensions.ServiceBus != nil && f.Extensions.ServiceBus.MaxConcurrentCalls > 0 {
		h.MaxConcurrentCalls = f.Extensions.ServiceBus.MaxConcurrentCalls
	}
	return h, nil
}

// ParseTimeSpan reads a .NET TimeSpan as host.json writes it: hh:mm:ss or d.hh:mm:ss.
func ParseTimeSpan(s string) (time.Duration, error) {
	var days, h, m, sec int
	rest := s
	if i := strings.Index(s, "."); i > 0 && strings.Count(s, ":") == 2 && i < strings.Index(s, ":") {
		if _, err := fmt.Sscanf(s[:i], "%d", &days); err != nil {
			return 0, fmt.Errorf("%q is not a TimeSpan", s)
		}
		rest = s[i+1:]
	}
	if n, err := fmt.Sscanf(rest, "%d:%d:%d", &h, &m, &sec); err != nil || n != 3 {
		return 0, fmt.Errorf("%q is not a TimeSpan like 00:10:00", s)
	}
	return time.Duration(days)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second, nil
}
