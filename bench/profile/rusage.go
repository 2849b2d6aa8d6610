package main

import "syscall"

// runtimeUsage is the process's CPU time (user+sys) in seconds.
type runtimeUsage struct{ cpu float64 }

func (r *runtimeUsage) read() {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		r.cpu = float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
	}
}
