package frame

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/wire"
)

// benchChunk returns a chunk's JSON padded to about size bytes with text.
func benchChunk(size int) []byte {
	c := wire.Chunk{Stream: "resp-0123456789", Seq: 42, Time: time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC)}
	b, _ := json.Marshal(c)
	if pad := size - len(b) - len(`,"text":""`); pad > 0 {
		c.Text = string(bytes.Repeat([]byte("a"), pad))
	}
	b, _ = json.Marshal(c)
	return b
}

func BenchmarkEncodeChunk(b *testing.B) {
	for _, size := range []int{200, 4096} {
		b.Run("size="+strconv.Itoa(size), func(b *testing.B) {
			p := benchChunk(size)
			buf := make([]byte, 0, 2*size)
			b.SetBytes(int64(len(p)))
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendChunk(buf[:0], p)
			}
		})
	}
}

func BenchmarkDecodeChunkFrame(b *testing.B) {
	for _, size := range []int{200, 4096} {
		b.Run("size="+strconv.Itoa(size), func(b *testing.B) {
			one := AppendChunk(nil, benchChunk(size))
			r := NewReader(&repeatReader{frame: one})
			b.SetBytes(int64(len(one)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Next(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAckRoundTrip(b *testing.B) {
	buf := make([]byte, 0, 16)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendAck(buf[:0], 123456)
		if _, err := ParseAck(buf[2:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWireDecodeChunk is the JSON decode and validation ingest does for every chunk.
func BenchmarkWireDecodeChunk(b *testing.B) {
	for _, size := range []int{200, 4096} {
		b.Run("size="+strconv.Itoa(size), func(b *testing.B) {
			p := benchChunk(size)
			b.SetBytes(int64(len(p)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := wire.DecodeChunk(wire.SchemaChunk, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
