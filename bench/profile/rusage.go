package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// runtimeUsage is the process's CPU time (user+sys) in seconds.
type runtimeUsage struct{ cpu float64 }

func (r *runtimeUsage) read() {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		r.cpu = float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
	}
}

// schedWait is the time the process's threads spent runnable but waiting
// for a CPU (the second field of /proc/self/task/*/schedstat), in
// seconds: how much the machine's other load delayed the build.
func schedWait() float64 {
	tasks, err := filepath.Glob("/proc/self/task/*/schedstat")
	if err != nil {
		return 0
	}
	var ns float64
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		ns += v
	}
	return ns / 1e9
}
