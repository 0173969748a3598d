//go:build !unix

package attractor

import "time"

func cpuTime() time.Duration { return 0 }
