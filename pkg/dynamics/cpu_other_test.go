//go:build !unix

package dynamics

import "testing"

func reportCPU(b *testing.B, body func()) {
	for b.Loop() {
		body()
	}
}
