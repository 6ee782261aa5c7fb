package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's utime and stime: 100 on every
// Linux architecture Go runs on.
const clockTicks = 100

// cpuTimes is CPU time (user + system) by command name: this process ("bench": the
// simulator, the apply, the watch, the webhook senders) and every process started below it.
type cpuTimes map[string]time.Duration

// statLine is what one /proc/<pid>/stat says: its command, parent and CPU time.
type statLine struct {
	comm string
	ppid int
	cpu  time.Duration
}

// parseStat reads a /proc/<pid>/stat line. The command may hold spaces and parentheses,
// so the fields are counted from the last ')'.
func parseStat(line string) (statLine, error) {
	open, end := strings.IndexByte(line, '('), strings.LastIndexByte(line, ')')
	if open < 0 || end < open {
		return statLine{}, fmt.Errorf("no command in %q", line)
	}
	fields := strings.Fields(line[end+1:]) // state ppid ... utime(12th) stime(13th)
	if len(fields) < 13 {
		return statLine{}, fmt.Errorf("short stat line %q", line)
	}
	ppid, err1 := strconv.Atoi(fields[1])
	utime, err2 := strconv.ParseInt(fields[11], 10, 64)
	stime, err3 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return statLine{}, fmt.Errorf("bad stat line %q", line)
	}
	return statLine{comm: line[open+1 : end], ppid: ppid, cpu: time.Duration(utime+stime) * time.Second / clockTicks}, nil
}

// readCPU sums the CPU time of this process and its descendants by command.
func readCPU() cpuTimes {
	lines := map[int]statLine{}
	paths, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range paths {
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		data, rerr := os.ReadFile(p)
		if err != nil || rerr != nil {
			continue // the process ended meanwhile
		}
		if l, err := parseStat(string(data)); err == nil {
			lines[pid] = l
		}
	}
	return descendantsCPU(lines, os.Getpid())
}

// descendantsCPU sums root's and its descendants' CPU time by command; root is "bench".
func descendantsCPU(lines map[int]statLine, root int) cpuTimes {
	out := cpuTimes{}
	for pid, l := range lines {
		for p, hops := pid, 0; p > 1 && hops < 64; p, hops = lines[p].ppid, hops+1 {
			if p == root {
				name := l.comm
				if pid == root {
					name = "bench"
				}
				out[name] += l.cpu
				break
			}
		}
	}
	return out
}

func (c cpuTimes) minus(before cpuTimes) cpuTimes {
	out := cpuTimes{}
	for k, v := range c {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

// text lists the CPU seconds by command, largest first, with their total.
func (c cpuTimes) text() string {
	names := make([]string, 0, len(c))
	var total time.Duration
	for k, v := range c {
		names = append(names, k)
		total += v
	}
	sort.Slice(names, func(i, j int) bool { return c[names[i]] > c[names[j]] })
	parts := make([]string, 0, len(names))
	for _, k := range names {
		parts = append(parts, fmt.Sprintf("%s %.1f", k, c[k].Seconds()))
	}
	return fmt.Sprintf("%.1f s: %s", total.Seconds(), strings.Join(parts, ", "))
}
