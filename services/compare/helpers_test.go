package compare_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/analysis"
	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/bus/bustest"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/midstream/midstream/services/compare"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const testPartitions = 2

// harness runs the compare analyser on an embedded bus and records what it publishes.
type harness struct {
	t   *testing.T
	env *bustest.Env
	a   *compare.Analyser
	kv  jetstream.KeyValue

	vch, ach chan *nats.Msg
	mu       sync.Mutex
	verdicts map[string][]wire.Verdict
	actions  map[string][]wire.Action
}

func startHarness(t *testing.T, opts ...compare.Option) *harness {
	t.Helper()
	env := bustest.Start(t, bus.Topology{Partitions: testPartitions})
	a, err := compare.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, env: env, a: a, vch: make(chan *nats.Msg, 4096), ach: make(chan *nats.Msg, 4096),
		verdicts: map[string][]wire.Verdict{}, actions: map[string][]wire.Action{}}
	if h.kv, err = env.JS.KeyValue(context.Background(), bus.BucketConfig); err != nil {
		t.Fatal(err)
	}
	vs, err := env.NC.ChanSubscribe(wire.VerdictSubject(compare.Name, "*"), h.vch)
	if err != nil {
		t.Fatal(err)
	}
	as, err := env.NC.ChanSubscribe(wire.ActionWildcard, h.ach)
	if err != nil {
		t.Fatal(err)
	}
	r, err := analysis.New(env.NC, analysis.Config{Name: compare.Name, Source: bus.StreamChunks, Partitions: testPartitions, IdleTimeout: time.Hour, Logger: slog.New(slog.DiscardHandler)}, a)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && ctx.Err() == nil {
			t.Error(err)
		}
		_ = vs.Unsubscribe()
		_ = as.Unsubscribe()
	})
	return h
}

// put stores a configuration value under compare.<key>.
func (h *harness) put(key string, v any) {
	h.t.Helper()
	b, ok := v.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			h.t.Fatal(err)
		}
	}
	if _, err := h.kv.Put(context.Background(), compare.ConfigKey(key), b); err != nil {
		h.t.Fatal(err)
	}
}

// send publishes a response: its chunks get seq 0.., chunk 0 the metadata, the last Final.
func (h *harness) send(stream string, meta *wire.Meta, chunks []wire.Chunk) {
	h.t.Helper()
	t0 := time.Now().UTC()
	for i := range chunks {
		c := chunks[i]
		c.Stream, c.Seq, c.Time = stream, uint64(i), t0
		if i == 0 {
			c.Meta = meta
		}
		if i == len(chunks)-1 {
			c.Final, c.FinishReason = true, "stop"
		}
		m := nats.NewMsg(wire.InSubject(stream))
		m.Data, _ = json.Marshal(c)
		m.Header.Set(wire.HeaderSchema, wire.SchemaChunk)
		m.Header.Set(wire.HeaderMsgID, wire.MsgID(stream, c.Seq))
		if _, err := h.env.JS.PublishMsg(context.Background(), m); err != nil {
			h.t.Fatal(err)
		}
	}
}

// settle waits until the analyser has acknowledged every chunk (so every finding is stored),
// then collects what was published.
func (h *harness) settle() {
	h.t.Helper()
	ctx := context.Background()
	bustest.Eventually(h.t, 20*time.Second, func() bool {
		for p := range testPartitions {
			c, err := h.env.JS.Consumer(ctx, bus.StreamChunks, bus.ConsumerName(compare.Name, p))
			if err != nil {
				return false
			}
			info, err := c.Info(ctx)
			if err != nil || info.NumPending != 0 || info.NumAckPending != 0 {
				return false
			}
		}
		return true
	}, "chunks not all analysed")
	// A round trip on the subscribing connection: everything the server routed before the
	// acknowledgements is now in the channels.
	if err := h.env.NC.Flush(); err != nil {
		h.t.Fatal(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for {
		select {
		case m := <-h.vch:
			v, err := wire.DecodeVerdict(m.Header.Get(wire.HeaderSchema), m.Data)
			if err != nil {
				h.t.Fatal(err)
			}
			h.verdicts[v.Stream] = append(h.verdicts[v.Stream], *v)
		case m := <-h.ach:
			a, err := wire.DecodeAction(m.Header.Get(wire.HeaderSchema), m.Data)
			if err != nil {
				h.t.Fatal(err)
			}
			h.actions[a.Stream] = append(h.actions[a.Stream], *a)
		default:
			return
		}
	}
}

func (h *harness) verdictsOf(stream string) []wire.Verdict {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.verdicts[stream]
}

func (h *harness) actionsOf(stream string) []wire.Action {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.actions[stream]
}

// vocabulary of made-up words, so that prose never reproduces a reference by chance.
var vocabulary = func() []string {
	r := rand.New(rand.NewPCG(7, 7))
	syll := []string{"ka", "lo", "mi", "ne", "su", "ta", "vo", "re", "pi", "da", "gu", "ze"}
	out := make([]string, 400)
	for i := range out {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(syll[r.IntN(len(syll))])
		}
		out[i] = b.String()
	}
	return out
}()

func prose(r *rand.Rand, words int) string {
	var b strings.Builder
	for i := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(vocabulary[r.IntN(len(vocabulary))])
		if r.IntN(12) == 0 {
			b.WriteString([]string{",", ".", ";", "!"}[r.IntN(4)])
		}
	}
	return b.String()
}

// split cuts text into chunks of 1..maxLen bytes at random places (text is ASCII, or cut on
// rune boundaries), with model tokens (pieces ending after a space, random log-probabilities)
// when withTokens.
func split(r *rand.Rand, text string, maxLen int, withTokens bool) []wire.Chunk {
	var out []wire.Chunk
	for len(text) > 0 {
		n := min(len(text), 1+r.IntN(maxLen))
		for n < len(text) && !utf8RuneStart(text[n]) {
			n++
		}
		c := wire.Chunk{Text: text[:n]}
		if withTokens {
			for _, f := range strings.SplitAfter(c.Text, " ") {
				if f != "" {
					c.Tokens = append(c.Tokens, wire.Token{Text: f, Logprob: -r.ExpFloat64()})
				}
			}
		}
		out = append(out, c)
		text = text[n:]
	}
	return out
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
