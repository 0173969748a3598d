//go:build unix

package attractor

import (
	"syscall"
	"time"
)

// cpuTime returns the process's user+system CPU time. The shared benchmark machine is often
// oversubscribed; CPU time per operation does not depend on how many other processes compete
// for the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
