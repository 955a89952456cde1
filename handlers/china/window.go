package china

import (
	"time"

	"github.com/popsockets/integration/shared/jackyun"
)

// WindowRules say which orders a poll asks for.
type WindowRules struct {
	// Overlap is how far before the watermark a poll starts again, for
	// orders Jackyun shows late (default 10 minutes).
	Overlap time.Duration
	// Lag keeps the window's end this far behind now, so that a second
	// still being written is not read half (default 1 minute).
	Lag time.Duration
	// FirstLookback is how far back the very first poll reads (default 24 hours).
	FirstLookback time.Duration
	// MaxSpan is the longest window asked for in one listing; a longer one
	// is split (public clients use 1 hour, against timeouts; default 1 hour).
	MaxSpan time.Duration
}

func (r WindowRules) withDefaults() WindowRules {
	if r.Overlap <= 0 {
		r.Overlap = 10 * time.Minute
	}
	if r.Lag <= 0 {
		r.Lag = time.Minute
	}
	if r.FirstLookback <= 0 {
		r.FirstLookback = 24 * time.Hour
	}
	if r.MaxSpan <= 0 {
		r.MaxSpan = time.Hour
	}
	return r
}

// Span is one window of orders, by last modification, both ends included.
type Span struct {
	From, To time.Time
}

// China is the span as Jackyun is asked for it (China time).
func (s Span) China() (from, to string) {
	return jackyun.FormatChina(s.From), jackyun.FormatChina(s.To)
}

// Windows are the spans a poll at now asks for, oldest first: from the
// watermark minus the overlap (or now minus the first lookback, before the
// first poll) to now minus the lag, whole seconds (Jackyun's times have
// no more), split into spans of at most MaxSpan that share their ends. It
// is nothing when the watermark is at or past the end (a clock that moved
// back): the poll then waits for time to catch up rather than read a
// window backwards.
func Windows(watermark time.Time, has bool, now time.Time, rules WindowRules) []Span {
	r := rules.withDefaults()
	end := now.Add(-r.Lag).Truncate(time.Second)
	start := end.Add(-r.FirstLookback)
	if has {
		start = watermark.Add(-r.Overlap).Truncate(time.Second)
	}
	if !start.Before(end) {
		return nil
	}
	var out []Span
	for from := start; from.Before(end); {
		to := from.Add(r.MaxSpan)
		if to.After(end) {
			to = end
		}
		out = append(out, Span{From: from.UTC(), To: to.UTC()})
		from = to
	}
	return out
}
