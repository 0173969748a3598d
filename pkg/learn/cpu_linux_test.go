//go:build linux

package learn

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// cpuMeter reports the benchmark loop's CPU time on its own OS thread as "cpu-ns/op", next to
// the wall time: on a shared machine the wall time includes waiting for a core, the thread's
// CPU time does not (it excludes GC work done by other threads). Call it after setup; call the
// returned function when the loop ends.
func cpuMeter(b *testing.B) func() {
	runtime.LockOSThread()
	start := threadCPU()
	b.ResetTimer()
	return func() {
		d := threadCPU() - start
		b.StopTimer()
		runtime.UnlockOSThread()
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
