package fakeserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// HeaderFunctionsKey is the header the Azure Functions host reads a
// function key from (authLevel "function"). Fakes that call our HTTP
// functions send it when they are given a key.
const HeaderFunctionsKey = "x-functions-key"

// DefaultMaxBody is how much of a request body a Front reads when
// MaxBody is zero.
const DefaultMaxBody = 1 << 20

// Answer is a response before it is written.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON is an Answer with v encoded as its body.
func JSON(status int, v any) Answer {
	b, _ := json.Marshal(v)
	return Answer{Status: status, Body: b}
}

// Failure is a told failure: status and body, with "Retry-After: 1" when
// status is 429 or 503, as the fakes' FailNext promise.
func Failure(status int, body []byte) Answer {
	a := Answer{Status: status, Body: body}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		a.Header = http.Header{"Retry-After": {"1"}}
	}
	return a
}

// Write writes a. Unless a.Header sets it, Content-Type is
// application/json for a JSON body and text/plain for any other non-empty
// body. A zero Status is 200.
func (a Answer) Write(w http.ResponseWriter) {
	for k, v := range a.Header {
		w.Header()[k] = slices.Clone(v)
	}
	if w.Header().Get("Content-Type") == "" && len(a.Body) > 0 {
		if json.Valid(a.Body) {
			w.Header().Set("Content-Type", "application/json")
		} else {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
	}
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(a.Body)
}

// Call is one request a fake received, and what it answered.
type Call struct {
	Method string
	Path   string
	// IdempotencyKey is the value of Front.IdempotencyHeader ("" without one).
	IdempotencyKey string
	Body           []byte
	// Status is the status answered; 0 if the caller gave up first.
	Status int
}

// Serve decides a fake's own answer to a request whose body has been read
// (r.Body reads it again).
type Serve func(r *http.Request, body []byte) Answer

// Front records, holds and answers told answers in front of a fake's
// routes. Set its fields before Handler; the zero value records every
// request and holds nothing.
type Front struct {
	// IdempotencyHeader names the header recorded as Call.IdempotencyKey.
	IdempotencyHeader string
	// MaxBody bounds the request body read (default DefaultMaxBody).
	MaxBody int64
	// Scope says which requests told answers apply to (default: all).
	Scope func(*http.Request) bool
	// HoldAfter decides the answer before the hold instead of after it,
	// so that a caller that gives up still leaves its effect behind.
	HoldAfter bool

	mu     sync.Mutex
	calls  []Call
	told   []told
	delay  time.Duration
	done   chan struct{}
	closed bool
}

type told struct {
	answer Serve
	times  int
}

// Tell makes the next times requests in Scope get a instead of the
// fake's answer.
func (f *Front) Tell(a Answer, times int) {
	f.TellFunc(times, func(*http.Request, []byte) Answer { return a })
}

// TellFunc makes the next times requests in Scope get what answer builds
// from them instead of the fake's answer.
func (f *Front) TellFunc(times int, answer Serve) {
	if times <= 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.told = append(f.told, told{answer: answer, times: times})
}

// Delay holds every following answer for d (0 to stop); a caller that
// gives up earlier is let go.
func (f *Front) Delay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
}

// Calls is every request received, in order.
func (f *Front) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Call, len(f.calls))
	for i, c := range f.calls {
		c.Body = slices.Clone(c.Body)
		out[i] = c
	}
	return out
}

// Close lets every held request go unanswered, and any held later.
func (f *Front) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		close(f.doneLocked())
	}
}

func (f *Front) doneLocked() chan struct{} {
	if f.done == nil {
		f.done = make(chan struct{})
	}
	return f.done
}

// Handler serves requests: it records, holds, gives a told answer or
// lets serve decide, notes the status and writes the answer.
func (f *Front) Handler(serve Serve) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := f.MaxBody
		if limit <= 0 {
			limit = DefaultMaxBody
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, limit))
		if err != nil {
			http.Error(w, "reading body", http.StatusBadRequest)
			return
		}
		var key string
		if f.IdempotencyHeader != "" {
			key = r.Header.Get(f.IdempotencyHeader)
		}
		f.mu.Lock()
		i := len(f.calls)
		f.calls = append(f.calls, Call{Method: r.Method, Path: r.URL.Path, IdempotencyKey: key, Body: body})
		f.mu.Unlock()

		if !f.HoldAfter && !f.hold(r) {
			return
		}
		a, ok := f.nextTold(r, body)
		if !ok {
			r.Body = io.NopCloser(bytes.NewReader(body))
			a = serve(r, body)
		}
		if f.HoldAfter && !f.hold(r) {
			return
		}
		f.mu.Lock()
		f.calls[i].Status = a.Status
		if a.Status == 0 {
			f.calls[i].Status = http.StatusOK
		}
		f.mu.Unlock()
		a.Write(w)
	})
}

// nextTold takes the next told answer, if r is in scope and there is one.
func (f *Front) nextTold(r *http.Request, body []byte) (Answer, bool) {
	if f.Scope != nil && !f.Scope(r) {
		return Answer{}, false
	}
	f.mu.Lock()
	if len(f.told) == 0 {
		f.mu.Unlock()
		return Answer{}, false
	}
	t := &f.told[0]
	t.times--
	answer := t.answer
	if t.times <= 0 {
		f.told = f.told[1:]
	}
	f.mu.Unlock()
	return answer(r, body), true
}

// hold waits out the delay; false when the caller or Close ended it first.
func (f *Front) hold(r *http.Request) bool {
	f.mu.Lock()
	d, done := f.delay, f.doneLocked()
	f.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-done:
	}
	return false
}
