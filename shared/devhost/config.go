package devhost

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/popsockets/integration/shared/messaging"
)

// Binding is one entry of function.json "bindings".
type Binding struct {
	Type              string   `json:"type"`
	Direction         string   `json:"direction"`
	Name              string   `json:"name"`
	AuthLevel         string   `json:"authLevel,omitempty"`
	Methods           []string `json:"methods,omitempty"`
	Route             string   `json:"route,omitempty"`
	TopicName         string   `json:"topicName,omitempty"`
	SubscriptionName  string   `json:"subscriptionName,omitempty"`
	Connection        string   `json:"connection,omitempty"`
	Schedule          string   `json:"schedule,omitempty"`
	RunOnStartup      bool     `json:"runOnStartup,omitempty"`
	UseMonitor        *bool    `json:"useMonitor,omitempty"`
	Path              string   `json:"path,omitempty"`
	DataType          string   `json:"dataType,omitempty"`
	Source            string   `json:"source,omitempty"`
	AutoComplete      *bool    `json:"autoComplete,omitempty"`
	IsSessionsEnabled bool     `json:"isSessionsEnabled,omitempty"`
}

// Function is one functions/<name>/function.json.
type Function struct {
	Name     string    `json:"-"`
	Bindings []Binding `json:"bindings"`
	Disabled bool      `json:"disabled,omitempty"`
	Retry    *struct {
		Strategy      string `json:"strategy"`
		MaxRetryCount int    `json:"maxRetryCount"`
	} `json:"retry,omitempty"`
}

// Trigger returns the function's trigger binding.
func (f *Function) Trigger() *Binding {
	for i := range f.Bindings {
		b := &f.Bindings[i]
		if b.Direction == "in" && strings.HasSuffix(b.Type, "Trigger") {
			return b
		}
	}
	return nil
}

// IsForwardedHTTP reports whether the host forwards the raw request: exactly
// one httpTrigger input and one http output, and nothing else.
func (f *Function) IsForwardedHTTP() bool {
	if len(f.Bindings) != 2 {
		return false
	}
	in, out := false, false
	for _, b := range f.Bindings {
		in = in || (b.Type == "httpTrigger" && b.Direction == "in")
		out = out || (b.Type == "http" && b.Direction == "out")
	}
	return in && out
}

var functionName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,127}$`)

// LoadFunctions reads every functions/<name>/function.json under appRoot,
// unresolved (settings still as %NAME%), sorted by name.
func LoadFunctions(appRoot string) ([]*Function, error) {
	paths, err := filepath.Glob(filepath.Join(appRoot, "functions", "*", "function.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []*Function
	for _, p := range paths {
		name := filepath.Base(filepath.Dir(p))
		if !functionName.MatchString(name) {
			return nil, fmt.Errorf("function folder %q is not a valid function name", name)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		f := &Function{Name: name}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(f); err != nil {
			return nil, fmt.Errorf("parsing functions/%s/function.json: %w", name, err)
		}
		if f.Trigger() == nil {
			return nil, fmt.Errorf("functions/%s/function.json has no trigger binding", name)
		}
		out = append(out, f)
	}
	return out, nil
}

var settingRef = regexp.MustCompile(`%([^%]+)%`)

// SettingRefs returns the %SETTING% names a function refers to.
func (f *Function) SettingRefs() []string {
	var out []string
	for _, b := range f.Bindings {
		for _, v := range []string{b.TopicName, b.SubscriptionName, b.Schedule, b.Path, b.Route} {
			for _, m := range settingRef.FindAllStringSubmatch(v, -1) {
				out = append(out, m[1])
			}
		}
	}
	return out
}

// Resolve replaces %SETTING% expressions with their values; a missing
// setting is an error that names the function and the setting.
func (f *Function) Resolve(settings map[string]string) (*Function, error) {
	c := *f
	c.Bindings = append([]Binding(nil), f.Bindings...)
	var errs []error
	sub := func(v string) string {
		return settingRef.ReplaceAllStringFunc(v, func(m string) string {
			name := m[1 : len(m)-1]
			val, ok := settings[name]
			if !ok || val == "" {
				errs = append(errs, fmt.Errorf("function %s: app setting %s is not set", f.Name, name))
			}
			return val
		})
	}
	for i := range c.Bindings {
		b := &c.Bindings[i]
		b.TopicName, b.SubscriptionName, b.Schedule, b.Path, b.Route = sub(b.TopicName), sub(b.SubscriptionName), sub(b.Schedule), sub(b.Path), sub(b.Route)
	}
	return &c, errors.Join(errs...)
}

// LoadSettings reads the Values of local.settings.json, or of
// local.settings.sample.json when the developer has not made their own.
func LoadSettings(appRoot string) (map[string]string, string, error) {
	for _, name := range []string{"local.settings.json", "local.settings.sample.json"} {
		p := filepath.Join(appRoot, name)
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		var f struct {
			Values map[string]string `json:"Values"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, "", fmt.Errorf("parsing %s: %w", name, err)
		}
		if f.Values == nil {
			f.Values = map[string]string{}
		}
		return f.Values, name, nil
	}
	return nil, "", errors.New("neither local.settings.json nor local.settings.sample.json exists")
}

// Check reports every way the functions disagree with the messaging catalog,
// the declared settings and the plan: a topic or subscription function.json
// names that messaging.json does not declare, a topic named literally
// instead of through its setting, a %SETTING% that settings lack, or a blob
// trigger that is not sourced from Event Grid.
func Check(fns []*Function, cat *messaging.Catalog, settings map[string]string) []error {
	var errs []error
	for _, f := range fns {
		if err := CheckBlobSource(f); err != nil {
			errs = append(errs, err)
		}
		for _, name := range f.SettingRefs() {
			if _, ok := settings[name]; !ok {
				errs = append(errs, fmt.Errorf("function %s: %%%s%% is not declared in local.settings.sample.json", f.Name, name))
			}
		}
		for _, b := range f.Bindings {
			if b.Type != "serviceBusTrigger" && b.Type != "serviceBus" {
				continue
			}
			m := settingRef.FindStringSubmatch(b.TopicName)
			if m == nil || m[0] != b.TopicName {
				errs = append(errs, fmt.Errorf("function %s: topicName %q must be the topic's app setting, like %%TOPIC_ORDERS%%", f.Name, b.TopicName))
				continue
			}
			var topic *messaging.Topic
			for i := range cat.Topics {
				if cat.Topics[i].Setting == m[1] {
					topic = &cat.Topics[i]
				}
			}
			if topic == nil {
				errs = append(errs, fmt.Errorf("function %s: topic setting %s is not declared in infra/messaging.json", f.Name, m[1]))
				continue
			}
			if b.Type == "serviceBus" {
				continue
			}
			found := false
			for _, s := range topic.Subscriptions {
				found = found || s.Name == b.SubscriptionName
			}
			if !found {
				errs = append(errs, fmt.Errorf("function %s: subscription %q of topic %s is not declared in infra/messaging.json", f.Name, b.SubscriptionName, topic.Name))
			}
		}
	}
	return errs
}

// CheckBlobSource refuses a blob trigger without "source": "EventGrid":
// Flex Consumption supports no other source, and the host will not start
// such a function there (ScriptHost.cs with
// FunctionMetadataExtensions.IsLegacyBlobTriggerFunction: a missing source
// means the polling LogsAndContainerScan).
func CheckBlobSource(f *Function) error {
	t := f.Trigger()
	if t == nil || !strings.EqualFold(t.Type, "blobTrigger") || strings.EqualFold(t.Source, "EventGrid") {
		return nil
	}
	return fmt.Errorf("function %s: a blobTrigger needs \"source\": \"EventGrid\" on Flex Consumption (got %q); add an Event Grid subscription to the blobs webhook", f.Name, t.Source)
}
