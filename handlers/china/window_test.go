package china

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestWindows holds the China-time window to its rules, across date,
// month and year boundaries in China and daylight-saving changes where the
// host might be: Asia/Shanghai has no daylight saving (since 1991), so a
// window's length never changes, and its bounds are written in China time
// whatever the host's zone.
func TestWindows(t *testing.T) {
	t.Setenv("TZ", "Europe/Berlin") // a zone with daylight saving: it must not matter
	utc := func(y int, m time.Month, d, h, min, s int) time.Time {
		return time.Date(y, m, d, h, min, s, 0, time.UTC)
	}
	rules := WindowRules{}
	cases := []struct {
		name      string
		watermark time.Time
		has       bool
		now       time.Time
		rules     WindowRules
		want      [][2]string // China time
	}{
		{
			name: "FromTheWatermarkLessTheOverlapToNowLessAMinute", has: true,
			watermark: utc(2026, 3, 2, 4, 0, 0), now: utc(2026, 3, 2, 4, 5, 30),
			want: [][2]string{{"2026-03-02 11:50:00", "2026-03-02 12:04:30"}},
		},
		{
			name: "AUTCAfternoonWindowCrossesMidnightInChina", has: true,
			watermark: utc(2026, 3, 1, 15, 58, 0), now: utc(2026, 3, 1, 16, 3, 0),
			want: [][2]string{{"2026-03-01 23:48:00", "2026-03-02 00:02:00"}},
		},
		{
			name: "ChinasNewYearArrivesBeforeUTCs", has: true,
			watermark: utc(2026, 12, 31, 15, 57, 0), now: utc(2026, 12, 31, 16, 2, 0),
			want: [][2]string{{"2026-12-31 23:47:00", "2027-01-01 00:01:00"}},
		},
		{
			name: "MonthEndAndLeapDay", has: true,
			watermark: utc(2028, 2, 29, 15, 55, 0), now: utc(2028, 2, 29, 16, 1, 0),
			want: [][2]string{{"2028-02-29 23:45:00", "2028-03-01 00:00:00"}},
		},
		{
			// Europe springs forward on 2026-03-29 at 01:00 UTC: the window
			// is still 15 minutes and still in China time.
			name: "EuropeanSpringForwardDoesNotStretchTheWindow", has: true,
			watermark: utc(2026, 3, 29, 0, 55, 0), now: utc(2026, 3, 29, 1, 1, 0),
			want: [][2]string{{"2026-03-29 08:45:00", "2026-03-29 09:00:00"}},
		},
		{
			// The US falls back on 2026-11-01 at 06:00 UTC.
			name: "USFallBackDoesNotRepeatAnHour", has: true,
			watermark: utc(2026, 11, 1, 5, 58, 0), now: utc(2026, 11, 1, 6, 3, 0),
			want: [][2]string{{"2026-11-01 13:48:00", "2026-11-01 14:02:00"}},
		},
		{
			name: "TheFirstPollReadsTheLookback", has: false,
			now: utc(2026, 3, 2, 4, 0, 0), rules: WindowRules{FirstLookback: 3 * time.Hour},
			want: [][2]string{
				{"2026-03-02 08:59:00", "2026-03-02 09:59:00"},
				{"2026-03-02 09:59:00", "2026-03-02 10:59:00"},
				{"2026-03-02 10:59:00", "2026-03-02 11:59:00"},
			},
		},
		{
			name: "ALongOutageIsReadInHourWindowsThatShareTheirEnds", has: true,
			watermark: utc(2026, 3, 2, 1, 10, 0), now: utc(2026, 3, 2, 3, 31, 0),
			want: [][2]string{
				{"2026-03-02 09:00:00", "2026-03-02 10:00:00"},
				{"2026-03-02 10:00:00", "2026-03-02 11:00:00"},
				{"2026-03-02 11:00:00", "2026-03-02 11:30:00"},
			},
		},
		{
			name: "SubSecondsAreCutToWholeSeconds", has: true,
			watermark: utc(2026, 3, 2, 4, 0, 0).Add(700 * time.Millisecond), now: utc(2026, 3, 2, 4, 5, 0).Add(999 * time.Millisecond),
			want: [][2]string{{"2026-03-02 11:50:00", "2026-03-02 12:04:00"}},
		},
		{
			name: "AWatermarkAheadOfTheClockReadsNothing", has: true,
			watermark: utc(2026, 3, 2, 5, 0, 0), now: utc(2026, 3, 2, 4, 0, 0),
		},
		{
			name: "AWatermarkInsideTheLagReadsTheOverlap", has: true,
			watermark: utc(2026, 3, 2, 3, 59, 30), now: utc(2026, 3, 2, 4, 0, 0),
			want: [][2]string{{"2026-03-02 11:49:30", "2026-03-02 11:59:00"}},
		},
		{
			name: "OverlapAndLagAreSettings", has: true, rules: WindowRules{Overlap: 30 * time.Minute, Lag: 2 * time.Minute},
			watermark: utc(2026, 3, 2, 4, 0, 0), now: utc(2026, 3, 2, 4, 10, 0),
			want: [][2]string{{"2026-03-02 11:30:00", "2026-03-02 12:08:00"}},
		},
		{
			name: "AWatermarkWrittenInAnotherZoneIsTheSameInstant", has: true,
			watermark: time.Date(2026, 3, 1, 23, 0, 0, 0, time.FixedZone("EST", -5*3600)), now: utc(2026, 3, 2, 4, 5, 0),
			want: [][2]string{{"2026-03-02 11:50:00", "2026-03-02 12:04:00"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rules
			if c.rules != (WindowRules{}) {
				r = c.rules
			}
			var got [][2]string
			for _, s := range Windows(c.watermark, c.has, c.now, r) {
				from, to := s.China()
				got = append(got, [2]string{from, to})
				require.Equal(t, time.UTC, s.From.Location(), "spans are kept in UTC; only Jackyun sees China time")
			}
			require.Equal(t, c.want, got)
		})
	}
}
