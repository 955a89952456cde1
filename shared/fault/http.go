package fault

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// RetryAfterHeader reads a partner's Retry-After header, in seconds or as an
// HTTP date; zero when absent or unreadable.
func RetryAfterHeader(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		return max(time.Duration(s)*time.Second, 0)
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0)
	}
	return 0
}

// Unreachable classifies a call to partner that got no answer: always
// transient. The URL is left out of the message (it may carry a credential,
// and url.Error would repeat it); a timeout says how long was waited.
func Unreachable(ctx context.Context, partner string, err error, timeout time.Duration) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
		return Transient(fmt.Errorf("%s did not answer within %s: %w", partner, timeout, err), 0)
	case errors.Is(err, context.DeadlineExceeded):
		return Transient(fmt.Errorf("%s did not answer before the deadline: %w", partner, err), 0)
	default:
		return Transient(fmt.Errorf("reaching %s: %w", partner, err), 0)
	}
}
