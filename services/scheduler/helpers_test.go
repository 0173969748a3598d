package scheduler

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/bus/bustest"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

type harness struct {
	env  *bustest.Env
	svc  *Service
	done chan error
	sent int
	// extra headers set on every chunk published (e.g. a gateway's traceparent)
	extra nats.Header
}

// startService runs a scheduler on a fresh embedded bus with two partitions.
func startService(t *testing.T, opts ...Option) *harness {
	t.Helper()
	env := bustest.Start(t, bus.Topology{Partitions: 2})
	opts = append([]Option{WithPartitions(2), WithCostProbe(0)}, opts...)
	s, err := New(env.Connect(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{env: env, svc: s, done: make(chan error, 1)}
	go func() { h.done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-h.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("Run did not return")
		}
	})
	// The consumers exist once every partition's durable is there.
	bustest.Eventually(t, 10*time.Second, func() bool {
		for p := range 2 {
			if _, err := env.JS.Consumer(context.Background(), bus.StreamChunks, bus.ConsumerName(Name, p)); err != nil {
				return false
			}
		}
		return true
	}, "scheduler consumers not created")
	return h
}

// response builds n chunks of a response; chunk 0 carries meta, the last is final.
func response(id string, n int, m *wire.Meta) []wire.Chunk {
	out := make([]wire.Chunk, n)
	for i := range out {
		out[i] = wire.Chunk{Stream: id, Seq: uint64(i), Time: time.Now().UTC(), Text: "chunk " + strconv.Itoa(i) + " "}
	}
	out[0].Meta = m
	out[n-1].Final, out[n-1].FinishReason = true, "stop"
	return out
}

// publish stores chunks in CHUNKS asynchronously and waits for all acknowledgements.
func (h *harness) publish(t *testing.T, chunks ...wire.Chunk) {
	t.Helper()
	raws := make([][]byte, len(chunks))
	ids := make([]string, len(chunks))
	for i := range chunks {
		raws[i], _ = json.Marshal(&chunks[i])
		ids[i] = wire.MsgID(chunks[i].Stream, chunks[i].Seq)
	}
	h.publishRaw(t, chunks[0].Stream, raws, ids)
}

func (h *harness) publishRaw(t *testing.T, stream string, raws [][]byte, ids []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	futs := make([]jetstream.PubAckFuture, 0, len(raws))
	for i, raw := range raws {
		m := nats.NewMsg(wire.InSubject(stream))
		m.Data = raw
		m.Header.Set(wire.HeaderSchema, wire.SchemaChunk)
		m.Header.Set(wire.HeaderReceived, strconv.FormatInt(time.Now().UnixNano(), 10))
		for k, v := range h.extra {
			m.Header[k] = v
		}
		var popts []jetstream.PublishOpt
		if ids != nil && ids[i] != "" {
			popts = append(popts, jetstream.WithMsgID(ids[i]))
		}
		f, err := h.env.JS.PublishMsgAsync(m, popts...)
		if err != nil {
			t.Fatal(err)
		}
		futs = append(futs, f)
	}
	for _, f := range futs {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
	h.sent += len(raws)
}

// settle waits until every published chunk is acknowledged (released or shed and stored) or
// dead-lettered.
func (h *harness) settle(t *testing.T, within time.Duration) {
	t.Helper()
	bustest.Eventually(t, within, func() bool {
		st := h.svc.Stats()
		return int(st.Service.Acked+st.Service.Invalid+st.Service.Duplicates) >= h.sent
	}, "not every chunk was acknowledged: %+v", func() any { return h.svc.Stats().Service }())
}

// readAll returns every stored message of stream matching filter.
func readAll(t *testing.T, js jetstream.JetStream, stream, filter string) []jetstream.Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		t.Fatal(err)
	}
	var out []jetstream.Msg
	for {
		b, err := c.FetchNoWait(1000)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range b.Messages() {
			out = append(out, m)
			n++
		}
		if n == 0 {
			return out
		}
	}
}

// workSeqs maps each response to the seqs released to WORK, in stored order.
func workSeqs(t *testing.T, js jetstream.JetStream) (map[string][]uint64, map[string]string) {
	t.Helper()
	seqs := map[string][]uint64{}
	class := map[string]string{}
	for _, m := range readAll(t, js, bus.StreamWork, wire.WorkWildcard) {
		c, err := wire.DecodeChunk(m.Headers().Get(wire.HeaderSchema), m.Data())
		if err != nil {
			var f fields
			if f, err = decodeFields(m.Subject(), m.Data(), ""); err != nil {
				t.Fatalf("WORK holds an undecodable item: %v", err)
			}
			c = &wire.Chunk{Stream: f.Stream, Seq: *f.Seq}
		}
		seqs[c.Stream] = append(seqs[c.Stream], c.Seq)
		class[c.Stream] = m.Headers().Get(HeaderClass)
	}
	return seqs, class
}

// shedVerdicts maps each response to the seqs shed, in stored order.
func shedVerdicts(t *testing.T, js jetstream.JetStream) (map[string][]uint64, []wire.Verdict) {
	t.Helper()
	seqs := map[string][]uint64{}
	var all []wire.Verdict
	for _, m := range readAll(t, js, bus.StreamVerdicts, wire.VerdictSubject(Name, "*")) {
		v, err := wire.DecodeVerdict(m.Headers().Get(wire.HeaderSchema), m.Data())
		if err != nil {
			t.Fatal(err)
		}
		seqs[v.Stream] = append(seqs[v.Stream], v.Seq)
		all = append(all, *v)
	}
	return seqs, all
}
