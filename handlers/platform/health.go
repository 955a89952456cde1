package platform

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/popsockets/integration/shared/azfunc"
)

// SchemaReader reads the database's and the binary's schema versions.
type SchemaReader interface {
	SchemaVersion(ctx context.Context) (current, target int64, err error)
}

// Health answers GET /api/health: 200 when the configuration is complete and
// the database answers at the binary's schema, else 503 with the failing
// checks. It says what is wrong, never with hosts, secrets or stack traces;
// the details are in the log line.
type Health struct {
	// DB is nil when the configuration has no database.
	DB SchemaReader
	// ConfigErr is the configuration problem found at start, if any.
	ConfigErr   error
	Version     string
	Environment string
	// Timeout bounds the database check (default 3 s).
	Timeout time.Duration
}

// HealthReport is the body of the health response.
type HealthReport struct {
	Status      string            `json:"status"`
	Version     string            `json:"version"`
	Environment string            `json:"environment"`
	Checks      map[string]string `json:"checks"`
	Schema      *SchemaStatus     `json:"schema,omitempty"`
}

// SchemaStatus compares the database's migration version with the binary's.
type SchemaStatus struct {
	Current int64 `json:"current"`
	Target  int64 `json:"target"`
}

func (h *Health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rep := HealthReport{Status: "ok", Version: h.Version, Environment: h.Environment, Checks: map[string]string{}}
	log := azfunc.Logger(r.Context())
	fail := func(check, public string, err error) {
		rep.Status = "unavailable"
		rep.Checks[check] = public
		log.Error("health check failing", "check", check, "error", err)
	}
	if h.ConfigErr != nil {
		fail("config", h.ConfigErr.Error(), h.ConfigErr)
	} else {
		rep.Checks["config"] = "ok"
	}
	if h.DB == nil {
		fail("database", "not configured", errors.New("no database configured"))
	} else {
		timeout := h.Timeout
		if timeout <= 0 {
			timeout = 3 * time.Second
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		current, target, err := h.DB.SchemaVersion(ctx)
		switch {
		case err != nil:
			fail("database", "unreachable", err)
		case current < target:
			rep.Schema = &SchemaStatus{Current: current, Target: target}
			fail("database", "schema behind the binary: run `handler migrate`", errors.New("schema behind"))
		default:
			rep.Schema = &SchemaStatus{Current: current, Target: target}
			rep.Checks["database"] = "ok"
		}
	}
	status := http.StatusOK
	if rep.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Cache-Control", "no-store")
	azfunc.WriteJSON(w, status, rep)
}
