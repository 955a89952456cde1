package bus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/fault"
)

// Paths of the local host's broker API (shared/devhost serves them).
const (
	LocalPublishPath      = "/_devhost/publish"
	LocalPublishBatchPath = "/_devhost/publish/batch"
	LocalDeadLettersPath  = "/_devhost/deadletters/counts"
)

// LocalResult is the local broker's answer for one message of a batch.
type LocalResult struct {
	Status int    `json:"status"`
	Error  string `json:"error,omitempty"`
}

// LocalConfig configures the local publisher.
type LocalConfig struct {
	// URL is the local host's base URL (DEVHOST_URL, set by the local run, tools/devrun).
	URL string
	// Topics maps logical topic names to entity names, as in Azure.
	Topics map[string]string
	// Client is the HTTP client (default: 10 s timeout).
	Client *http.Client
}

// Local hands messages to the local Functions host's broker over HTTP.
type Local struct {
	cfg LocalConfig
}

var _ Publisher = (*Local)(nil)

// NewLocal validates cfg.
func NewLocal(cfg LocalConfig) (*Local, error) {
	if cfg.URL == "" {
		return nil, errors.New("bus: the local broker needs DEVHOST_URL")
	}
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Local{cfg: cfg}, nil
}

// Publish posts the message to the local broker.
func (l *Local) Publish(ctx context.Context, m Message) error {
	w, err := toWire(m, l.cfg.Topics)
	if err != nil {
		return err
	}
	body, err := json.Marshal(w)
	if err != nil {
		return fault.Permanent(fmt.Errorf("encoding message: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.cfg.URL+LocalPublishPath, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("building publish request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("publishing %s to %s: %w", w.MessageID, w.Topic, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode/100 == 4:
		return fault.Permanent(fmt.Errorf("local broker refused %s: %d %s", w.MessageID, resp.StatusCode, bytes.TrimSpace(msg)))
	default:
		return fmt.Errorf("local broker failed %s: %d %s", w.MessageID, resp.StatusCode, bytes.TrimSpace(msg))
	}
}

// PublishBatch posts the messages in one request; the broker answers for
// each one.
func (l *Local) PublishBatch(ctx context.Context, ms []Message) []error {
	errs := make([]error, len(ms))
	wires := make([]Wire, 0, len(ms))
	at := make([]int, 0, len(ms))
	for i, m := range ms {
		w, err := toWire(m, l.cfg.Topics)
		if err != nil {
			errs[i] = err
			continue
		}
		wires, at = append(wires, w), append(at, i)
	}
	if len(wires) == 0 {
		return errs
	}
	fail := func(err error) []error {
		for _, i := range at {
			errs[i] = err
		}
		return errs
	}
	body, err := json.Marshal(wires)
	if err != nil {
		return fail(fault.Permanent(fmt.Errorf("encoding messages: %w", err)))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.cfg.URL+LocalPublishBatchPath, bytes.NewReader(body))
	if err != nil {
		return fail(fmt.Errorf("building publish request: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.cfg.Client.Do(req)
	if err != nil {
		return fail(fmt.Errorf("publishing %d messages: %w", len(wires), err))
	}
	defer resp.Body.Close()
	var results []LocalResult
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fail(fmt.Errorf("local broker failed a batch of %d: %d %s", len(wires), resp.StatusCode, bytes.TrimSpace(msg)))
	}
	if err := json.NewDecoder(resp.Body).Decode(&results); err != nil || len(results) != len(wires) {
		return fail(fmt.Errorf("local broker answered a batch of %d unreadably", len(wires)))
	}
	for k, r := range results {
		i := at[k]
		switch {
		case r.Status/100 == 2:
		case r.Status/100 == 4:
			errs[i] = fault.Permanent(fmt.Errorf("local broker refused %s: %d %s", wires[k].MessageID, r.Status, r.Error))
		default:
			errs[i] = fmt.Errorf("local broker failed %s: %d %s", wires[k].MessageID, r.Status, r.Error)
		}
	}
	return errs
}

// DeadLetters reads the local broker's dead-letter depths.
func (l *Local) DeadLetters(ctx context.Context) ([]DeadLetterCount, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.cfg.URL+LocalDeadLettersPath, nil)
	if err != nil {
		return nil, err
	}
	resp, err := l.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading local dead-letter counts: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reading local dead-letter counts: status %d", resp.StatusCode)
	}
	var out []DeadLetterCount
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("decoding local dead-letter counts: %w", err)
	}
	return out, nil
}
