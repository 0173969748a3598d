package frame_test

import (
	"bytes"
	"fmt"

	"github.com/midstream/midstream/pkg/frame"
)

func Example() {
	var buf []byte
	buf = frame.AppendChunk(buf, []byte(`{"stream":"r1","seq":0,"ts":"2026-12-08T03:00:00Z","text":"Hi"}`))
	buf = frame.AppendAck(buf, 0)
	fmt.Printf("% x\n", buf[:3])

	r := frame.NewReader(bytes.NewReader(buf))
	f, _ := r.Next()
	fmt.Println(f.Type, len(f.Payload))
	f, _ = r.Next()
	seq, _ := frame.ParseAck(f.Payload)
	fmt.Println(f.Type, seq)
	// Output:
	// 05 3f 7b
	// CHUNK 63
	// ACK 0
}
