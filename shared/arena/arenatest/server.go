// Package arenatest is a fake Arena PLM REST API on a real socket, for
// tests and the local run.
//
// What it guarantees:
//
//   - It serves the paths of package arena (contract.go) as Arena does:
//     POST /login with email, password and workspace; the arena_session_id
//     header on every other call (401 without a live session); a second
//     login by the same user ends the first session, and a session ends 90
//     minutes after its last use (by the fake's clock), or when told
//     (ExpireSessions); content-type application/json is required (415).
//   - It counts the day's requests and sends X-Arena-Requests-Remaining
//     and X-Arena-Next-Request-Limit-Reset; when the quota is used up it
//     answers 429 (SetRemaining makes that happen sooner).
//   - Lists hold at most 400 results (400 for a larger limit).
//   - Items have revisions; Revise makes a new revision effective and, for
//     the outbound integration, records an event naming it, which stays
//     unreconciled until PUT .../events/{guid} {"itemsReconciled": true}.
//   - It records every request (Calls), counts logins (Logins) and can be
//     told to fail (FailNext) or be slow (Delay).
package arenatest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/popsockets/integration/shared/arena"
	"github.com/popsockets/integration/shared/fakeserver"
)

// Defaults of Config.
const (
	DefaultEmail       = "integration@example.com"
	DefaultPassword    = "arenatest-password"
	DefaultWorkspace   = 898765432
	DefaultDailyLimit  = 25000
	DefaultIntegration = "OUTBOUND0000000000001"
)

// Config configures the fake.
type Config struct {
	Email, Password string
	WorkspaceID     int64
	// DailyLimit is the workspace's requests per day (default 25,000).
	DailyLimit int
	// Integration is the outbound integration's GUID (default DefaultIntegration).
	Integration string
	// Now is the fake's clock (default time.Now).
	Now func() time.Time
	// NoResetHeader leaves X-Arena-Next-Request-Limit-Reset out of every
	// answer, as a proxy that drops it would.
	NoResetHeader bool
}

// Call is one request the fake received.
type Call = fakeserver.Call

type revision struct {
	guid      string
	item      arena.Item
	bom       []arena.BOMLine
	effective time.Time
}

type item struct {
	guid      string
	number    string
	revisions []*revision // oldest first; the last is effective
}

type event struct {
	e     arena.Event
	items []arena.EventItem
}

// Server is the fake. It is safe for concurrent use.
type Server struct {
	srv   *httptest.Server
	front *fakeserver.Front
	cfg   Config

	mu        sync.Mutex
	items     map[string]*item // by item GUID
	revs      map[string]*revision
	byNumber  map[string]*item
	events    []*event
	sessions  map[string]time.Time // id -> last use
	logins    int
	remaining int
	resetAt   time.Time
	seq       int
	refuse    int // authenticated calls still to answer 401
	failWhen  func(*http.Request) (int, bool)
}

// NewServer starts the fake on a loopback port.
func NewServer(cfg Config) *Server {
	if cfg.Email == "" {
		cfg.Email = DefaultEmail
	}
	if cfg.Password == "" {
		cfg.Password = DefaultPassword
	}
	if cfg.WorkspaceID == 0 {
		cfg.WorkspaceID = DefaultWorkspace
	}
	if cfg.DailyLimit == 0 {
		cfg.DailyLimit = DefaultDailyLimit
	}
	if cfg.Integration == "" {
		cfg.Integration = DefaultIntegration
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, front: &fakeserver.Front{}, items: map[string]*item{}, revs: map[string]*revision{},
		byNumber: map[string]*item{}, sessions: map[string]time.Time{}, remaining: cfg.DailyLimit}
	s.resetAt = cfg.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+arena.PathLogin, s.handleLogin)
	mux.HandleFunc("GET "+arena.PathItems, s.authed(s.handleItems))
	mux.HandleFunc("GET "+arena.PathItem, s.authed(s.handleItem))
	mux.HandleFunc("GET "+arena.PathItemBOM, s.authed(s.handleBOM))
	mux.HandleFunc("GET "+arena.PathEvents, s.authed(s.handleEvents))
	mux.HandleFunc("GET "+arena.PathEventItems, s.authed(s.handleEventItems))
	mux.HandleFunc("PUT "+arena.PathEvent, s.authed(s.handleReconcile))
	s.srv = httptest.NewServer(s.front.Handler(func(r *http.Request, _ []byte) fakeserver.Answer {
		rec := httptest.NewRecorder()
		s.serve(mux, rec, r)
		return fakeserver.Answer{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	}))
	return s
}

// URL is the API root to configure as ARENA_BASE_URL.
func (s *Server) URL() string { return s.srv.URL + "/v1" }

// Email, Password and WorkspaceID are the credentials the fake accepts.
func (s *Server) Email() string { return s.cfg.Email }

// Password is the password the fake accepts.
func (s *Server) Password() string { return s.cfg.Password }

// WorkspaceID is the workspace the fake logs in to.
func (s *Server) WorkspaceID() int64 { return s.cfg.WorkspaceID }

// Integration is the outbound integration's GUID.
func (s *Server) Integration() string { return s.cfg.Integration }

// Close stops the fake.
func (s *Server) Close() {
	s.front.Close()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Calls is every request received, in order.
func (s *Server) Calls() []Call { return s.front.Calls() }

// FailNext answers the next times requests with status (no effect, not counted).
func (s *Server) FailNext(status, times int) {
	b, _ := json.Marshal(map[string]any{"status": status, "errors": []map[string]any{{"code": 9999, "message": "arenatest: told to fail"}}})
	s.front.Tell(fakeserver.Failure(status, b), times)
}

// Delay holds every following answer for d (0 to stop).
func (s *Server) Delay(d time.Duration) { s.front.Delay(d) }

// Logins counts successful logins.
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// ExpireSessions ends every session, as Arena does after 90 idle minutes.
func (s *Server) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.sessions)
}

// OnRequest makes every request for which fn says so fail with its status
// (no effect, not counted), until called with nil.
func (s *Server) OnRequest(fn func(r *http.Request) (status int, fail bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failWhen = fn
}

// RefuseSessionsNext answers the next times authenticated calls with 401,
// whatever their session (logins are not affected).
func (s *Server) RefuseSessionsNext(times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = times
}

// SetRemaining sets how many requests the day has left.
func (s *Server) SetRemaining(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remaining = n
}

// Remaining is how many requests the day has left.
func (s *Server) Remaining() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remaining
}

// ResetQuota starts a new day: the full limit again.
func (s *Server) ResetQuota() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remaining = s.cfg.DailyLimit
	s.resetAt = s.cfg.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
}

func newGUID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))[:20]
}

// serve counts the request against the quota, checks the content type, and routes.
func (s *Server) serve(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	r.URL.Path = strings.TrimPrefix(r.URL.Path, "/v1")
	s.mu.Lock()
	if s.failWhen != nil {
		if status, fail := s.failWhen(r); fail {
			s.mu.Unlock()
			writeError(w, status, 9999, "arenatest: told to fail")
			return
		}
	}
	if !s.cfg.Now().Before(s.resetAt) {
		s.remaining = s.cfg.DailyLimit
		s.resetAt = s.cfg.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	}
	if !s.cfg.NoResetHeader {
		w.Header().Set(arena.HeaderReset, s.resetAt.Format(time.RFC3339))
	}
	if s.remaining <= 0 {
		w.Header().Set(arena.HeaderRemaining, "0")
		s.mu.Unlock()
		writeError(w, http.StatusTooManyRequests, 4290, "The workspace's API request limit for the period has been reached.")
		return
	}
	s.remaining--
	w.Header().Set(arena.HeaderRemaining, strconv.Itoa(s.remaining))
	s.mu.Unlock()
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, 415, "content-type must be application/json")
		return
	}
	mux.ServeHTTP(w, r)
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"status": status, "errors": []map[string]any{{"code": code, "message": msg}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req arena.WireLogin
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, 400, "The format of the request is not valid.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.Email != s.cfg.Email || req.Password != s.cfg.Password || (req.WorkspaceID != 0 && req.WorkspaceID != s.cfg.WorkspaceID) {
		writeError(w, http.StatusBadRequest, arena.ErrorCodeBadCredentials,
			"The username, password or workspace ID is not valid or you are not allowed to log in due to IP restriction.")
		return
	}
	// A second login by the same user ends the first session.
	clear(s.sessions)
	id := "FAKE-" + newGUID() + "|"
	s.sessions[id] = s.cfg.Now()
	s.logins++
	writeJSON(w, http.StatusOK, arena.WireLoginAnswer{SessionID: id, WorkspaceID: s.cfg.WorkspaceID, WorkspaceName: "PopSockets (fake)",
		WorkspaceRequestLimit: s.cfg.DailyLimit})
}

// authed runs h with a live session, holding s.mu.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		id := r.Header.Get(arena.HeaderSession)
		last, ok := s.sessions[id]
		if s.refuse > 0 {
			s.refuse--
			ok = false
		}
		if !ok || s.cfg.Now().Sub(last) > arena.SessionIdle {
			delete(s.sessions, id)
			writeError(w, http.StatusUnauthorized, 4000, "The session is not valid or has expired; log in again.")
			return
		}
		s.sessions[id] = s.cfg.Now()
		h(w, r)
	}
}

// page applies offset and limit, refusing a limit over 400.
func page[T any](w http.ResponseWriter, r *http.Request, all []T) bool {
	q := r.URL.Query()
	offset, limit := 0, 20
	if v := q.Get(arena.ParamOffset); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, 3002, "offset is not valid")
			return false
		}
		offset = n
	}
	if v := q.Get(arena.ParamLimit); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > arena.MaxPageLimit {
			writeError(w, http.StatusBadRequest, 3003, "limit must be 1 to 400")
			return false
		}
		limit = n
	}
	if offset > len(all) {
		offset = len(all)
	}
	end := min(offset+limit, len(all))
	writeJSON(w, http.StatusOK, arena.WireList[T]{Count: end - offset, Results: append([]T{}, all[offset:end]...)})
	return true
}

func (s *Server) handleItems(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var since time.Time
	if v := q.Get(arena.ParamEffectiveFrom); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, 3004, "effectiveDateTimeFrom is not a Zulu date")
			return
		}
		since = t
	}
	var list []*item
	for _, it := range s.items {
		if n := q.Get(arena.ParamNumber); n != "" && it.number != n {
			continue
		}
		if cur := it.current(); !since.IsZero() && cur.effective.Before(since) {
			continue
		}
		list = append(list, it)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i].current().effective, list[j].current().effective
		if !a.Equal(b) {
			return a.Before(b)
		}
		return list[i].number < list[j].number
	})
	out := make([]arena.Item, 0, len(list))
	for _, it := range list {
		cur := it.current().item
		cur.GUID = it.guid
		out = append(out, cur)
	}
	page(w, r, out)
}

func (it *item) current() *revision { return it.revisions[len(it.revisions)-1] }

func (s *Server) handleItem(w http.ResponseWriter, r *http.Request) {
	guid := r.PathValue("guid")
	if it, ok := s.items[guid]; ok {
		cur := it.current().item
		cur.GUID = it.guid
		writeJSON(w, http.StatusOK, cur)
		return
	}
	if rev, ok := s.revs[guid]; ok {
		writeJSON(w, http.StatusOK, rev.item)
		return
	}
	writeError(w, http.StatusNotFound, 3011, fmt.Sprintf("The guid %q is not valid.", guid))
}

func (s *Server) handleBOM(w http.ResponseWriter, r *http.Request) {
	guid := r.PathValue("guid")
	var rev *revision
	if it, ok := s.items[guid]; ok {
		rev = it.current()
	} else if rv, ok := s.revs[guid]; ok {
		rev = rv
	}
	if rev == nil {
		writeError(w, http.StatusNotFound, 3011, fmt.Sprintf("The guid %q is not valid.", guid))
		return
	}
	lines := append([]arena.BOMLine{}, rev.bom...)
	writeJSON(w, http.StatusOK, arena.WireList[arena.BOMLine]{Count: len(lines), Results: lines})
}

func (s *Server) integration(w http.ResponseWriter, r *http.Request) bool {
	if r.PathValue("integration") != s.cfg.Integration {
		writeError(w, http.StatusNotFound, 3011, "no such outbound integration")
		return false
	}
	return true
}

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	if !s.integration(w, r) {
		return
	}
	want := r.URL.Query().Get(arena.ParamItemsReconciled)
	var out []arena.Event
	for _, e := range s.events {
		if want == "any" || (want == "true") == e.e.ItemsReconciled {
			out = append(out, e.e)
		}
	}
	page(w, r, out)
}

func (s *Server) event(guid string) *event {
	for _, e := range s.events {
		if e.e.GUID == guid {
			return e
		}
	}
	return nil
}

func (s *Server) handleEventItems(w http.ResponseWriter, r *http.Request) {
	if !s.integration(w, r) {
		return
	}
	e := s.event(r.PathValue("event"))
	if e == nil {
		writeError(w, http.StatusNotFound, 3011, "no such event")
		return
	}
	want := r.URL.Query().Get(arena.ParamReconciled)
	var out []arena.EventItem
	for _, it := range e.items {
		if want == "any" || (want == "true") == it.Reconciled {
			out = append(out, it)
		}
	}
	page(w, r, out)
}

func (s *Server) handleReconcile(w http.ResponseWriter, r *http.Request) {
	if !s.integration(w, r) {
		return
	}
	e := s.event(r.PathValue("event"))
	if e == nil {
		writeError(w, http.StatusBadRequest, 3011, "The guid is not valid.")
		return
	}
	var req arena.WireReconcile
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, 400, "The format of the request is not valid. Please check the syntax.")
		return
	}
	e.e.ItemsReconciled = req.ItemsReconciled
	e.e.Status = "NEEDS_UPDATE"
	if req.ItemsReconciled {
		e.e.Status = "RECONCILED"
	}
	for i := range e.items {
		e.items[i].Reconciled = req.ItemsReconciled
	}
	writeJSON(w, http.StatusOK, e.e)
}
