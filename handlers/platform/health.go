package platform

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/kit"
)

// SchemaReader reads the database's and the binary's schema versions.
type SchemaReader interface {
	SchemaVersion(ctx context.Context) (current, target int64, err error)
}

// Readiness says which flows are configured, and why not.
type Readiness interface {
	FlowsReady() map[string]bool
	Status() []kit.FunctionStatus
}

var _ Readiness = (*kit.App)(nil)

// Health answers GET /api/health (anonymous). 503 when the instance can do
// nothing (the database is unreachable or behind the binary's schema); 200
// otherwise, with status "ok" when every flow's functions are configured
// and "degraded" when a flow is not ready (the deploy pipeline's smoke test
// wants "ok"; Azure's instance health check, which acts on the status code,
// must not evict instances that all share one configuration). It says which
// flow or check is not ready and never why (no setting names, hosts or
// errors): the reasons go to the log line and to `handler config check`.
type Health struct {
	// DB is nil when the configuration has no database.
	DB          SchemaReader
	Flows       Readiness
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
	Flows       map[string]string `json:"flows"`
	Checks      map[string]string `json:"checks"`
	Schema      *SchemaStatus     `json:"schema,omitempty"`
}

// SchemaStatus compares the database's migration version with the binary's.
type SchemaStatus struct {
	Current int64 `json:"current"`
	Target  int64 `json:"target"`
}

// Flow and check states.
const (
	Ready    = "ready"
	NotReady = "not ready"
)

func (h *Health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rep := HealthReport{Status: "ok", Version: h.Version, Environment: h.Environment, Flows: map[string]string{}, Checks: map[string]string{}}
	log := azfunc.Logger(r.Context())
	down := false
	fail := func(check, public string, err error) {
		down = true
		rep.Checks[check] = public
		log.Error("health check failing", "check", check, "error", err)
	}
	if h.Flows != nil {
		for name, ok := range h.Flows.FlowsReady() {
			rep.Flows[name] = Ready
			if !ok {
				rep.Flows[name], rep.Status = NotReady, "degraded"
			}
		}
		for _, s := range h.Flows.Status() {
			if s.Err != nil {
				log.Error("health check failing", "check", "config", "flow", s.Flow, "function", s.Function, "error", s.Err)
			}
		}
	}
	if h.DB == nil {
		fail("database", NotReady, errors.New("DATABASE_URL is not set"))
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
	if down {
		rep.Status, status = "unavailable", http.StatusServiceUnavailable
	}
	w.Header().Set("Cache-Control", "no-store")
	azfunc.WriteJSON(w, status, rep)
}
