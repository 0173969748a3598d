package wire

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time the calling OS thread has used. Benchmarks lock their
// goroutine to a thread and report CPU time per operation, which, unlike ns/op, does not
// stretch when other processes load the machine.
func threadCPU() (time.Duration, bool) {
	const rusageThread = 1 // RUSAGE_THREAD, Linux only
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
