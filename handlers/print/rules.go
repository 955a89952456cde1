package print

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
	// Print sites' time zones must load wherever the handler runs.
	_ "time/tzdata"
)

// defaultRules is the batching configuration used when PRINT_RULES is empty.
//
//go:embed rules.json
var defaultRules []byte

// Rules are the print flow's configuration: which orders are printable,
// per warehouse whether print-station batching is on and at which print
// site, and per site how batches are made. PRINT_RULES holds an override
// (the JSON itself, or the path of a file holding it).
type Rules struct {
	// PrintableImageTypes are the image types that make a line printable.
	PrintableImageTypes []string `json:"printableImageTypes"`
	// Warehouses are OMS's warehouse configurations, by warehouse code.
	Warehouses map[string]Warehouse `json:"warehouses"`
	// Sites are the print sites, by site id (KH, CROF).
	Sites map[string]*Site `json:"sites"`
	// Categories name each line's print category, first match wins; a line
	// no rule matches has its image type as its category.
	Categories []CategoryRule `json:"categories"`
	// BatchedElsewhere names, by the order-update message's "source"
	// property, the sources whose orders another system batches: their
	// messages are recorded "not for print" and never queued here. Jackyun
	// (China) orders are BatchStation's: it reads its own subscription, and
	// their payload carries no image reference PrintStation could use.
	BatchedElsewhere map[string]string `json:"batchedElsewhere,omitempty"`
	// WithdrawStatuses are the order-update statuses that take an order's
	// lines out of the queue (OMS cancelled it): lines not yet with
	// PrintStation are withdrawn; those it has are named in the journey.
	// Which words OMS sends for a cancellation is an assumption kept here.
	WithdrawStatuses []string `json:"withdrawStatuses,omitempty"`
}

// Withdraws reports whether an order-update status withdraws the order's lines.
func (r *Rules) Withdraws(status string) bool {
	for _, s := range r.WithdrawStatuses {
		if strings.EqualFold(strings.TrimSpace(status), s) {
			return true
		}
	}
	return false
}

// Warehouse is one warehouse's print configuration.
type Warehouse struct {
	// PrintStationBatching is OMS's warehouse_configurations.print_station_batching.
	PrintStationBatching bool `json:"printStationBatching"`
	// PrintSite is where its print lines are printed.
	PrintSite string `json:"printSite"`
}

// Site is how one print site's batches are made.
type Site struct {
	// MaxItemsPerBatch bounds a batch (items are order lines).
	MaxItemsPerBatch int `json:"maxItemsPerBatch"`
	// Timezone is the site's IANA zone, for the cut-off.
	Timezone string `json:"timezone"`
	// Cutoff is the site's local time (HH:MM) after which, until midnight,
	// a partial batch is sent rather than waiting to fill.
	Cutoff string `json:"cutoff"`
	// MaxWait, when set (Go duration, "4h"), also sends a partial batch
	// once its oldest item has waited that long.
	MaxWait string `json:"maxWait,omitempty"`

	loc     *time.Location
	cutoff  time.Duration // since local midnight
	maxWait time.Duration
}

// CategoryRule names the category of lines that match all its lists (an
// empty list matches anything).
type CategoryRule struct {
	Category    string   `json:"category"`
	ImageTypes  []string `json:"imageTypes,omitempty"`
	SKUPrefixes []string `json:"skuPrefixes,omitempty"`
}

// DefaultRules returns the embedded configuration.
func DefaultRules() *Rules {
	r, err := ParseRules(defaultRules)
	if err != nil {
		panic("print: the embedded rules.json is invalid: " + err.Error())
	}
	return r
}

// LoadRules reads PRINT_RULES: empty is the embedded default, a value
// starting with "{" is the JSON itself, anything else the path of a file.
func LoadRules(setting string) (*Rules, error) {
	setting = strings.TrimSpace(setting)
	switch {
	case setting == "":
		return DefaultRules(), nil
	case strings.HasPrefix(setting, "{"):
		return ParseRules([]byte(setting))
	default:
		b, err := os.ReadFile(setting)
		if err != nil {
			return nil, fmt.Errorf("reading the print rules file: %w", err)
		}
		return ParseRules(b)
	}
}

// ParseRules reads and checks a configuration; unknown fields are errors,
// so a misspelt rule is never silently ignored.
func ParseRules(b []byte) (*Rules, error) {
	var r Rules
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("print rules are not valid JSON of the expected shape: %w", err)
	}
	var errs []error
	if len(r.PrintableImageTypes) == 0 {
		errs = append(errs, errors.New("printableImageTypes is empty: nothing would ever be printable"))
	}
	for _, code := range sortedKeys(r.Warehouses) {
		w := r.Warehouses[code]
		if w.PrintStationBatching {
			if _, ok := r.Sites[w.PrintSite]; !ok {
				errs = append(errs, fmt.Errorf("warehouse %s batches for print site %q, which sites does not declare", code, w.PrintSite))
			}
		}
	}
	for _, id := range sortedKeys(r.Sites) {
		s := r.Sites[id]
		if s == nil {
			errs = append(errs, fmt.Errorf("site %s is null", id))
			continue
		}
		if s.MaxItemsPerBatch <= 0 {
			errs = append(errs, fmt.Errorf("site %s: maxItemsPerBatch must be above zero", id))
		}
		loc, err := time.LoadLocation(s.Timezone)
		if err != nil || s.Timezone == "" {
			errs = append(errs, fmt.Errorf("site %s: timezone %q is not an IANA time zone", id, s.Timezone))
		}
		s.loc = loc
		t, err := time.Parse("15:04", s.Cutoff)
		if err != nil {
			errs = append(errs, fmt.Errorf("site %s: cutoff %q is not a time HH:MM", id, s.Cutoff))
		}
		s.cutoff = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
		if s.MaxWait != "" {
			d, err := time.ParseDuration(s.MaxWait)
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Errorf("site %s: maxWait %q is not a positive duration (\"4h\")", id, s.MaxWait))
			}
			s.maxWait = d
		}
	}
	for i, c := range r.Categories {
		if strings.TrimSpace(c.Category) == "" {
			errs = append(errs, fmt.Errorf("categories[%d] has no category name", i))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("print rules: %w", err)
	}
	return &r, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Printable reports whether an image type makes a line printable.
func (r *Rules) Printable(imageType string) bool {
	return slices.ContainsFunc(r.PrintableImageTypes, func(t string) bool { return strings.EqualFold(t, imageType) })
}

// Category is a line's print category.
func (r *Rules) Category(sku, imageType string) string {
	for _, c := range r.Categories {
		if len(c.ImageTypes) > 0 && !slices.ContainsFunc(c.ImageTypes, func(t string) bool { return strings.EqualFold(t, imageType) }) {
			continue
		}
		if len(c.SKUPrefixes) > 0 && !slices.ContainsFunc(c.SKUPrefixes, func(p string) bool { return strings.HasPrefix(sku, p) }) {
			continue
		}
		return c.Category
	}
	return strings.ToUpper(imageType)
}

// Group is what the queue holds of one site and category, ready to batch.
type Group struct {
	Site, Category string
	// Count is the number of validated items (at most one batch's worth
	// is looked at once).
	Count int
	// OldestQueued is when the longest-waiting of them was queued.
	OldestQueued time.Time
}

// Plan is what to do with a group now.
type Plan struct {
	// Send is true when a batch of Size items leaves now.
	Send bool
	Size int
	// Why says why it leaves, or why it waits.
	Why string
}

// Plan decides whether a group makes a batch now: a full batch always; a
// partial batch once the site's cut-off has passed (local time, until
// midnight) or its oldest item has waited MaxWait; otherwise it waits, and
// Why is the reason people see.
func (r *Rules) Plan(g Group, now time.Time) Plan {
	s, ok := r.Sites[g.Site]
	if !ok {
		return Plan{Why: fmt.Sprintf("print site %s is not configured in the print rules", g.Site)}
	}
	if g.Count <= 0 {
		return Plan{Why: "nothing to batch"}
	}
	if g.Count >= s.MaxItemsPerBatch {
		return Plan{Send: true, Size: s.MaxItemsPerBatch, Why: fmt.Sprintf("full batch of %d", s.MaxItemsPerBatch)}
	}
	local := now.In(s.loc)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, s.loc)
	if !local.Before(midnight.Add(s.cutoff)) {
		return Plan{Send: true, Size: g.Count, Why: fmt.Sprintf("partial batch of %d: past the %s cut-off at %s (%s)", g.Count, s.Cutoff, g.Site, s.Timezone)}
	}
	if s.maxWait > 0 && !g.OldestQueued.IsZero() && now.Sub(g.OldestQueued) >= s.maxWait {
		return Plan{Send: true, Size: g.Count, Why: fmt.Sprintf("partial batch of %d: its oldest item waited %s (max %s)", g.Count,
			now.Sub(g.OldestQueued).Round(time.Second), s.MaxWait)}
	}
	return Plan{Why: r.WaitReason(g.Site, g.Category)}
}

// WaitReason is why items of a site and category wait for a batch. It
// does not depend on how many wait, so it is written to an order's journey
// once, not every run.
func (r *Rules) WaitReason(site, category string) string {
	s, ok := r.Sites[site]
	if !ok {
		return fmt.Sprintf("print site %s is not configured in the print rules", site)
	}
	why := fmt.Sprintf("waiting for a batch: %d %s items at %s make a batch; a partial batch leaves after the %s cut-off (%s)",
		s.MaxItemsPerBatch, category, site, s.Cutoff, s.Timezone)
	if s.MaxWait != "" {
		why += " or once its oldest item has waited " + s.MaxWait
	}
	return why
}
