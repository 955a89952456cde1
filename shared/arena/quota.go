package arena

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/popsockets/integration/shared/fault"
)

// ErrQuotaExhausted means the workspace's requests for the day are used up
// (429), or down to the client's reserve. A poll stops cleanly on it and
// resumes on a later run; an HTTP caller is told when to come back.
var ErrQuotaExhausted = errors.New("the daily Arena request quota is exhausted")

// QuotaError says when the quota resets.
type QuotaError struct {
	Remaining int
	// ResetAt is when Arena resets the count (zero when it did not say).
	ResetAt time.Time
}

func (e *QuotaError) Error() string {
	msg := fmt.Sprintf("%s (%d requests left)", ErrQuotaExhausted, e.Remaining)
	if !e.ResetAt.IsZero() {
		msg += " until " + e.ResetAt.UTC().Format(time.RFC3339)
	}
	return msg
}

// Is makes errors.Is(err, ErrQuotaExhausted) hold.
func (e *QuotaError) Is(target error) bool { return target == ErrQuotaExhausted }

// fallbackPause is how long the client holds off after a 429 that says
// nothing about when the count resets.
const fallbackPause = time.Hour

// quota is what Arena's headers said about the day's requests.
type quota struct {
	mu        sync.Mutex
	known     bool
	remaining int
	reset     time.Time
	// closedUntil is set by a 429: no call before it.
	closedUntil time.Time
	// seen is when Arena last said how many requests remain.
	seen time.Time
}

// observe reads X-Arena-Requests-Remaining and X-Arena-Next-Request-Limit-Reset.
func (q *quota) observe(h http.Header, now time.Time) {
	v := strings.TrimSpace(h.Get(HeaderRemaining))
	if v == "" {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.known, q.remaining, q.seen = true, n, now
	if at, ok := parseReset(h.Get(HeaderReset)); ok {
		q.reset = at
	}
	if n > 0 && q.closedUntil.After(now) {
		q.closedUntil = time.Time{} // Arena counts again
	}
}

func parseReset(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339, http.TimeFormat, time.RFC1123Z, "2006-01-02T15:04:05.000Z"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// check refuses a call when the quota is used up or down to reserve.
func (q *quota) check(now time.Time, reserve int) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if now.Before(q.closedUntil) {
		return q.errLocked(now)
	}
	if !q.known {
		return nil
	}
	if !q.reset.IsZero() && !now.Before(q.reset) {
		q.known = false // a new day: Arena will say
		return nil
	}
	if q.reset.IsZero() && !now.Before(q.seen.Add(fallbackPause)) {
		// Arena never said when its count resets: after a while one call
		// goes through and its answer says how many remain now.
		q.known = false
		return nil
	}
	if q.remaining <= reserve {
		return q.errLocked(now)
	}
	return nil
}

// exhausted records a 429.
func (q *quota) exhausted(h http.Header, now time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if at, ok := parseReset(h.Get(HeaderReset)); ok {
		q.reset = at
	}
	until := q.reset
	if !until.After(now) {
		if d := fault.RetryAfterHeader(h, now); d > 0 {
			until = now.Add(d)
		} else {
			until = now.Add(fallbackPause)
		}
	}
	q.closedUntil, q.known, q.remaining, q.seen = until, true, 0, now
	return q.errLocked(now)
}

func (q *quota) errLocked(now time.Time) error {
	e := &QuotaError{Remaining: q.remaining, ResetAt: q.reset}
	wait := time.Duration(0)
	if until := q.closedUntil; until.After(now) {
		wait = until.Sub(now)
		e.ResetAt = until
	} else if q.reset.After(now) {
		wait = q.reset.Sub(now)
	}
	return fault.Transient(e, wait)
}

// Remaining is what Arena last said about the day's requests (-1 when it has not).
func (c *Client) Remaining() int {
	c.quota.mu.Lock()
	defer c.quota.mu.Unlock()
	if !c.quota.known {
		return -1
	}
	return c.quota.remaining
}
