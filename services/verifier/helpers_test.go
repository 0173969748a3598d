package verifier_test

import (
	"context"
	"encoding/json"
	"fmt"
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
	"github.com/midstream/midstream/services/verifier"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const testPartitions = 2

// harness runs the verifier on an embedded bus and records what it publishes.
type harness struct {
	t   *testing.T
	env *bustest.Env
	a   *verifier.Analyser
	kv  jetstream.KeyValue

	vch, ach chan *nats.Msg
	mu       sync.Mutex
	verdicts map[string][]wire.Verdict
	actions  map[string][]wire.Action
}

// startHarness seeds the given ms_config values (key → JSON) before the runner starts.
func startHarness(t *testing.T, seed map[string][]byte, opts ...verifier.Option) *harness {
	t.Helper()
	env := bustest.Start(t, bus.Topology{Partitions: testPartitions})
	a, err := verifier.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, env: env, a: a, vch: make(chan *nats.Msg, 1<<16), ach: make(chan *nats.Msg, 4096),
		verdicts: map[string][]wire.Verdict{}, actions: map[string][]wire.Action{}}
	ctx := context.Background()
	if h.kv, err = env.JS.KeyValue(ctx, bus.BucketConfig); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{verifier.KeyProps, verifier.KeyPolicies} {
		if v, ok := seed[k]; ok {
			if _, err := verifier.Seed(ctx, env.JS, k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := verifier.LoadConfig(ctx, env.JS, a); err != nil {
		t.Fatal(err)
	}
	vs, err := env.NC.ChanSubscribe(wire.VerdictSubject(verifier.Name, "*"), h.vch)
	if err != nil {
		t.Fatal(err)
	}
	as, err := env.NC.ChanSubscribe(wire.ActionWildcard, h.ach)
	if err != nil {
		t.Fatal(err)
	}
	r, err := analysis.New(env.NC, analysis.Config{Name: verifier.Name, Source: bus.StreamChunks, Partitions: testPartitions,
		IdleTimeout: time.Hour, Logger: slog.New(slog.DiscardHandler)}, a)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(rctx) }()
	// LoadConfig applied the seeded values; wait for the runner's watch to deliver them again,
	// so that tests count configuration versions from a settled start.
	bustest.Eventually(t, 10*time.Second, func() bool { return a.Version() == uint64(2*len(seed)) }, "initial configuration not delivered")
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && rctx.Err() == nil {
			t.Error(err)
		}
		a.Wait()
		_ = vs.Unsubscribe()
		_ = as.Unsubscribe()
	})
	return h
}

// put stores a configuration value under verifier.<key>.
func (h *harness) put(key string, b []byte) {
	h.t.Helper()
	if _, err := h.kv.Put(context.Background(), verifier.ConfigKey(key), b); err != nil {
		h.t.Fatal(err)
	}
}

// send publishes a response: its chunks get seq 0.., times t0 + gap*i, chunk 0 the metadata,
// the last Final.
func (h *harness) send(stream string, meta *wire.Meta, chunks []wire.Chunk, gap time.Duration) {
	h.t.Helper()
	t0 := time.Now().UTC()
	for i := range chunks {
		c := chunks[i]
		c.Stream, c.Seq, c.Time = stream, uint64(i), t0.Add(time.Duration(i)*gap)
		if i == 0 {
			c.Meta = meta
		}
		if i == len(chunks)-1 {
			c.Final = true
			if c.FinishReason == "" {
				c.FinishReason = "stop"
			}
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

// settle waits until the verifier has acknowledged every chunk (so every finding is stored),
// then collects what was published.
func (h *harness) settle() {
	h.t.Helper()
	ctx := context.Background()
	bustest.Eventually(h.t, 30*time.Second, func() bool {
		for p := range testPartitions {
			c, err := h.env.JS.Consumer(ctx, bus.StreamChunks, bus.ConsumerName(verifier.Name, p))
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

func (h *harness) verdictsOf(stream, rule string) []wire.Verdict {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []wire.Verdict
	for _, v := range h.verdicts[stream] {
		if rule == "" || v.Rule == rule {
			out = append(out, v)
		}
	}
	return out
}

func (h *harness) actionsOf(stream string) []wire.Action {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.actions[stream]
}

func evidenceOf(t *testing.T, v wire.Verdict) verifier.Evidence {
	t.Helper()
	var ev verifier.Evidence
	if err := json.Unmarshal(v.Evidence, &ev); err != nil {
		t.Fatalf("evidence of %+v: %v", v, err)
	}
	return ev
}

var words = strings.Fields("the model answers questions about orders shipping and returns with care " +
	"while keeping the tone friendly short precise and helpful for every customer today")

func prose(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(' ')
		b.WriteString(words[r.IntN(len(words))])
	}
	return b.String()
}

// proseChunks returns n chunks of 1..4 words with tokens.
func proseChunks(r *rand.Rand, n int) []wire.Chunk {
	out := make([]wire.Chunk, n)
	for i := range out {
		s := prose(r, 1+r.IntN(4))
		out[i].Text = s
		for _, f := range strings.SplitAfter(s, " ") {
			if f != "" {
				out[i].Tokens = append(out[i].Tokens, wire.Token{Text: f, Logprob: -r.ExpFloat64()})
			}
		}
	}
	return out
}

func policiesDoc(t testing.TB, rules ...verifier.RuleSpec) []byte {
	t.Helper()
	b, err := json.Marshal(verifier.PoliciesSpec{Policies: map[string]verifier.PolicySpec{"default": {Rules: rules}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// manyRules returns n rules over the default proposition set, mostly undecided for prose.
func manyRules(n int) []verifier.RuleSpec {
	atoms := []string{"pii_email", "pii_phone", "pii_card", "secret", "refusal", "disclaimer", "tool_result",
		"tool_call_start", "tool_call_end", "tool_args_invalid", "truncated", "low_logprob", "high_entropy", "slow_chunk", "big_chunk"}
	r := rand.New(rand.NewPCG(11, 12))
	out := make([]verifier.RuleSpec, n)
	for i := range out {
		a, b := atoms[r.IntN(len(atoms))], atoms[r.IntN(len(atoms))]
		var f string
		switch i % 5 {
		case 0:
			f = "G !" + a
		case 1:
			f = fmt.Sprintf("G(%s -> F %s)", a, b)
		case 2:
			f = fmt.Sprintf("G(%s -> F[0,%ds] %s)", a, 1+r.IntN(30), b)
		case 3:
			f = fmt.Sprintf("!%s U (%s | final)", a, b)
		default:
			f = fmt.Sprintf("G(%s -> X !%s) & G[0,%d] !%s", a, b, 10+r.IntN(100), b)
		}
		out[i] = verifier.RuleSpec{ID: fmt.Sprintf("r%04d", i), Formula: f}
	}
	return out
}

// sendRange publishes chunks[from:to] of a response (the last of chunks is Final).
func (h *harness) sendRange(stream string, chunks []wire.Chunk, from, to int, gap time.Duration) {
	h.t.Helper()
	t0 := time.Now().UTC()
	for i := from; i < to; i++ {
		c := chunks[i]
		c.Stream, c.Seq, c.Time = stream, uint64(i), t0.Add(time.Duration(i)*gap)
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
