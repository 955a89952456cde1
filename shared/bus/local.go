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
	LocalPublishPath     = "/_devhost/publish"
	LocalDeadLettersPath = "/_devhost/deadletters/counts"
)

// LocalConfig configures the local publisher.
type LocalConfig struct {
	// URL is the local host's base URL (DEVHOST_URL, set by `handler dev`).
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
