package webhookbench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Where the two cores go during a phase: the receiver's process, the
// PostgreSQL server (postmaster and backends), and this process (the load
// generator and the broker sink). Read from /proc (Linux).

// userHZ is the kernel's clock-tick unit of /proc/<pid>/stat times
// (USER_HZ, 100 on every Linux architecture Go supports).
const userHZ = 100

// cpuTimes is the CPU used so far by each party.
type cpuTimes struct {
	receiver, postgres, bench time.Duration
}

func (a cpuTimes) sub(b cpuTimes) cpuTimes {
	return cpuTimes{receiver: a.receiver - b.receiver, postgres: a.postgres - b.postgres, bench: a.bench - b.bench}
}

// perOp is the CPU milliseconds per operation of each party.
func (a cpuTimes) perOp(n int) string {
	if n == 0 {
		return "-"
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
	return fmt.Sprintf("%.3f / %.3f / %.3f", ms(a.receiver), ms(a.postgres), ms(a.bench))
}

// readCPU samples the receiver (pid 0: none) and the PostgreSQL server
// this process started.
func readCPU(receiver int) (cpuTimes, error) {
	var c cpuTimes
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return c, err
	}
	c.bench = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if receiver != 0 {
		st, err := readStat(receiver)
		if err != nil {
			return c, err
		}
		c.receiver = st.own
	}
	pg, err := postgresCPU(os.Getpid())
	if err != nil {
		return c, err
	}
	c.postgres = pg
	return c, nil
}

type procStat struct {
	comm     string
	ppid     int
	own      time.Duration // utime + stime
	children time.Duration // cutime + cstime: children that exited and were reaped
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, err
	}
	return parseStat(string(b))
}

// parseStat reads /proc/<pid>/stat: "pid (comm) state ppid ... utime stime cutime cstime ...".
func parseStat(s string) (procStat, error) {
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return procStat{}, fmt.Errorf("unreadable /proc stat %q", s)
	}
	f := strings.Fields(s[end+1:]) // f[0] is field 3 (state)
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("short /proc stat %q", s)
	}
	num := func(field int) int64 { n, _ := strconv.ParseInt(f[field-3], 10, 64); return n }
	tick := func(n int64) time.Duration { return time.Duration(n) * time.Second / userHZ }
	return procStat{
		comm:     s[open+1 : end],
		ppid:     int(num(4)),
		own:      tick(num(14) + num(15)),
		children: tick(num(16) + num(17)),
	}, nil
}

// postgresCPU is the CPU of the postmaster that parent started, of its
// live backends, and of the backends it has reaped.
func postgresCPU(parent int) (time.Duration, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	stats := map[int]procStat{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err == nil {
			stats[pid] = st
		}
	}
	var total time.Duration
	found := false
	for pid, st := range stats {
		if st.ppid != parent || st.comm != "postgres" {
			continue
		}
		found = true
		total += st.own + st.children
		for _, child := range stats {
			if child.ppid == pid {
				total += child.own
			}
		}
	}
	if !found {
		return 0, fmt.Errorf("no postgres process is a child of %d", parent)
	}
	return total, nil
}
