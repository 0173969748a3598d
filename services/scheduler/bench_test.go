package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/bus/bustest"
	"github.com/midstream/midstream/pkg/sched"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// benchChunk is a typical chunk: ~20 tokens of text.
func benchChunk(stream string, seq uint64) []byte {
	c := wire.Chunk{Stream: stream, Seq: seq, Time: time.Unix(1700000000, 0).UTC(), Text: strings.Repeat("token ", 20)}
	if seq == 0 {
		c.Meta = &wire.Meta{Tenant: "acme", Model: "m", Priority: wire.PriorityHigh, DeadlineMS: 50, Policy: "default"}
	}
	b, _ := json.Marshal(&c)
	return b
}

// BenchmarkDecode is the scheduler's per-chunk parse: the scheduling fields only.
func BenchmarkDecode(b *testing.B) {
	data := benchChunk("bench", 7)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeFields("ms.chunk.0.bench", data, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCPUPath is decode + SubmitAt + DispatchAt + building the WORK message, without the
// bus, for 100 concurrent responses.
func BenchmarkCPUPath(b *testing.B) {
	s, err := sched.New[int](sched.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	const resp = 100
	data := make([][]byte, resp)
	for i := range data {
		data[i] = benchChunk(fmt.Sprintf("r%03d", i), 1)
	}
	out := make([]sched.Result[int], 0, 1)
	hdr := nats.Header{wire.HeaderSchema: {wire.SchemaChunk}, wire.HeaderReceived: {"1700000000000000000"}}
	var seq [resp]uint64
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r := i % resp
		i++
		id := fmt.Sprintf("r%03d", r)
		f, err := decodeFields("ms.chunk.0."+id, data[r], id)
		if err != nil {
			b.Fatal(err)
		}
		now := time.Now()
		seq[r]++
		if err := s.SubmitAt(now, sched.Item[int]{Stream: f.Stream, Seq: seq[r], Class: sched.High, Payload: r}); err != nil {
			b.Fatal(err)
		}
		out = s.DispatchAt(now, out[:0], 1)
		if len(out) != 1 {
			b.Fatal("nothing released")
		}
		m := nats.NewMsg(wire.WorkSubject(0, out[0].Stream))
		m.Data = data[r]
		for k, v := range hdr {
			m.Header[k] = v
		}
		m.Header.Set(HeaderClass, out[0].Class.String())
	}
}

// BenchmarkService is the whole service path on an embedded server: chunks preloaded in
// CHUNKS, then the time from start until every one is released to WORK (stored) and
// acknowledged in CHUNKS, per chunk. It includes JetStream's store of the WORK item and the
// acknowledgements, which dominate.
func BenchmarkService(b *testing.B) {
	for _, parts := range []int{1, 4} {
		b.Run(fmt.Sprintf("partitions=%d", parts), func(b *testing.B) {
			env := bustest.Start(b, bus.Topology{Partitions: parts, Storage: jetstream.MemoryStorage})
			ctx := context.Background()
			n := b.N
			futs := make([]jetstream.PubAckFuture, 0, n)
			for i := range n {
				id := fmt.Sprintf("r%03d", i%100)
				m := nats.NewMsg(wire.InSubject(id))
				m.Data = benchChunk(id, uint64(i/100))
				m.Header.Set(wire.HeaderSchema, wire.SchemaChunk)
				f, err := env.JS.PublishMsgAsync(m)
				if err != nil {
					b.Fatal(err)
				}
				futs = append(futs, f)
			}
			for _, f := range futs {
				select {
				case <-f.Ok():
				case err := <-f.Err():
					b.Fatal(err)
				}
			}
			s, err := New(env.Connect(b), WithPartitions(parts), WithCostProbe(0), WithConsumer(time.Minute, 10000, 5))
			if err != nil {
				b.Fatal(err)
			}
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			b.ReportAllocs()
			b.ResetTimer()
			go func() { done <- s.Run(rctx) }()
			// Polls with a deadline: a benchmark that loses a chunk must fail, not hang.
			for deadline := time.Now().Add(2 * time.Minute); s.c.acked.Load() < uint64(n); time.Sleep(100 * time.Microsecond) {
				if time.Now().After(deadline) {
					b.Fatalf("%d of %d chunks acknowledged after 2 minutes", s.c.acked.Load(), n)
				}
			}
			b.StopTimer()
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}
