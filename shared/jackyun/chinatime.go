package jackyun

import (
	"fmt"
	"strings"
	"time"

	// The binary carries its own zone database: Functions hosts may have
	// no zoneinfo, and Jackyun reads every time as Beijing time.
	_ "time/tzdata"
)

// china is Asia/Shanghai from the embedded zone database.
var china = mustLoadChina()

func mustLoadChina() *time.Location {
	loc, err := time.LoadLocation(ChinaZone)
	if err != nil {
		// time/tzdata is linked in: this cannot fail.
		panic(fmt.Sprintf("jackyun: loading %s: %v", ChinaZone, err))
	}
	return loc
}

// China is the Asia/Shanghai location.
func China() *time.Location { return china }

// FormatChina writes t as Jackyun reads times: "2006-01-02 15:04:05" in
// China time, whatever zone t is in.
func FormatChina(t time.Time) string { return t.In(china).Format(TimestampLayout) }

// ParseChina reads a Jackyun time ("2006-01-02 15:04:05", China time). A
// time with milliseconds (".000") is accepted.
func ParseChina(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	t, err := time.ParseInLocation(TimestampLayout, s, china)
	if err != nil {
		t, err = time.ParseInLocation("2006-01-02 15:04:05.999", s, china)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a Jackyun time (yyyy-MM-dd HH:mm:ss, China time)", clip(s, 40))
	}
	return t, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
