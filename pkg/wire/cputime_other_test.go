//go:build !linux

package wire

import "time"

func threadCPU() (time.Duration, bool) { return 0, false }
