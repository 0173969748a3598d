package metalearn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/bus/bustest"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const (
	testKey     = "verifier.pii_threshold"
	testDefault = 0.5
)

// testTarget is a threshold that starts too strict: benign responses score U(0.3, 0.7),
// violating ones U(0.75, 1); at 0.5 about half of the benign ones are flagged, a false-positive
// rate near 0.54 against a target of 0.1.
func testTarget() TargetSpec {
	return TargetSpec{Key: testKey, Analyser: "verifier", Rule: "pii", FPRate: 0.1, Direction: 1, Default: testDefault,
		Gain: 1, Evidence: 20, Min: 0.1, Max: 0.95, MaxStep: 0.2}
}

type harness struct {
	t    *testing.T
	env  *bustest.Env
	s    *Service
	stop func()
	rng  *rand.Rand
	n    int
	// allVerdicts makes the analyser publish a verdict on every response (status "true", the
	// rule holds, below the threshold), and the labeller label those too (TN/FN).
	allVerdicts bool
	// prevalence of violating responses (default 0.3) and their score range (default 0.75..1).
	prevalence, violLo, violHi float64
	// published counts, to wait for the service to catch up
	chunks, verdicts, feedback uint64
}

func newHarness(t *testing.T, opts ...Option) *harness {
	t.Helper()
	env := bustest.Start(t, bus.Topology{Partitions: 2})
	h := &harness{t: t, env: env, rng: rand.New(rand.NewPCG(7, 11))}
	h.start(opts...)
	return h
}

func (h *harness) start(opts ...Option) {
	h.t.Helper()
	base := []Option{WithoutKVTargets(), WithTargets(testTarget()), WithFeedbackRate(1e6, 1e6), WithSweep(10 * time.Millisecond)}
	for _, o := range opts {
		var probe options
		if o(&probe) == nil && probe.noDefault {
			base = []Option{WithoutKVTargets(), WithFeedbackRate(1e6, 1e6), WithSweep(10 * time.Millisecond)}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, h.env.NC, append(base, opts...)...)
	if err != nil {
		cancel()
		h.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	h.s = s
	h.stop = func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Error(err)
		}
	}
	h.t.Cleanup(func() {
		if h.stop != nil {
			h.stop()
			h.stop = nil
		}
	})
	// The micro service answering means the consumers are being set up; wait for them too.
	bustest.Eventually(h.t, 10*time.Second, func() bool {
		_, err := h.env.JS.Consumer(context.Background(), bus.StreamFeedback, ConsumerFeedback)
		_, err2 := h.env.JS.Consumer(context.Background(), bus.StreamChunks, ConsumerChunks)
		_, err3 := h.env.JS.Consumer(context.Background(), bus.StreamVerdicts, ConsumerVerdicts)
		return err == nil && err2 == nil && err3 == nil
	}, "consumers not created")
}

func (h *harness) restart(opts ...Option) {
	h.t.Helper()
	h.stop()
	h.stop = nil
	h.chunks, h.verdicts, h.feedback = 0, 0, 0
	h.start(opts...)
}

func (h *harness) publish(subject, schema string, v any) {
	h.t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		h.t.Fatal(err)
	}
	h.publishRaw(subject, schema, data)
}

func (h *harness) publishRaw(subject, schema string, data []byte) {
	h.t.Helper()
	m := nats.NewMsg(subject)
	m.Data = data
	m.Header.Set(wire.HeaderSchema, schema)
	if _, err := h.env.JS.PublishMsg(context.Background(), m); err != nil {
		h.t.Fatal(err)
	}
}

// response publishes one single-chunk response and, if flagged, the verifier's verdict.
func (h *harness) response(tenant string, score, threshold float64) (id string, flagged bool) {
	h.t.Helper()
	h.n++
	id = fmt.Sprintf("r%05d", h.n)
	h.publish(wire.InSubject(id), wire.SchemaChunk, wire.Chunk{Stream: id, Seq: 0, Time: time.Now().UTC(),
		Text: "my card number is on the way", Meta: &wire.Meta{Tenant: tenant, Model: "m1"}, Final: true})
	h.chunks++
	if score >= threshold {
		h.publish(wire.VerdictSubject("verifier", id), wire.SchemaVerdict, wire.Verdict{Stream: id, Analyser: "verifier",
			Seq: 0, Time: time.Now().UTC(), Kind: "rule", Rule: "pii", Status: "detected", Score: score, Action: "flag"})
		h.verdicts++
		flagged = true
	} else if h.allVerdicts {
		h.publish(wire.VerdictSubject("verifier", id), wire.SchemaVerdict, wire.Verdict{Stream: id, Analyser: "verifier",
			Seq: 0, Time: time.Now().UTC(), Kind: "rule", Rule: "pii", Status: "true", Score: score})
		h.verdicts++
	}
	return id, flagged
}

func (h *harness) label(id, analyser, rule string, label wire.Label) {
	h.t.Helper()
	h.publish(wire.FeedbackSubject(id), wire.SchemaFeedback, wire.Feedback{Stream: id, Analyser: analyser, Rule: rule,
		Label: label, Time: time.Now().UTC()})
	h.feedback++
}

// caughtUp waits until the service has handled everything published.
func (h *harness) caughtUp() {
	h.t.Helper()
	bustest.Eventually(h.t, 10*time.Second, func() bool {
		c := h.s.Status().Counters
		return c.Chunks >= h.chunks && c.Verdicts >= h.verdicts && c.Feedback >= h.feedback
	}, "service did not catch up: %+v (published %d/%d/%d)", h.s.Status().Counters, h.chunks, h.verdicts, h.feedback)
}

// threshold reads the analyser's key from ms_config (the default while absent).
func (h *harness) threshold() float64 {
	h.t.Helper()
	kv, err := h.env.JS.KeyValue(context.Background(), bus.BucketConfig)
	if err != nil {
		h.t.Fatal(err)
	}
	e, err := kv.Get(context.Background(), testKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return testDefault
	}
	if err != nil {
		h.t.Fatal(err)
	}
	x, err := strconv.ParseFloat(string(e.Value()), 64)
	if err != nil {
		h.t.Fatal(err)
	}
	return x
}

// batch runs n labelled responses through the analyser at the threshold in ms_config: scores
// of benign responses U(0.3, 0.7), of violating ones (prevalence 0.3) U(0.75, 1); every flagged
// response is labelled with the truth.
func (h *harness) batch(n int) {
	h.t.Helper()
	th := h.threshold()
	type lab struct {
		id            string
		viol, flagged bool
	}
	var labs []lab
	for range n {
		prev, lo, hi := 0.3, 0.75, 1.0
		if h.prevalence > 0 {
			prev, lo, hi = h.prevalence, h.violLo, h.violHi
		}
		viol := h.rng.Float64() < prev
		score := 0.3 + 0.4*h.rng.Float64()
		if viol {
			score = lo + (hi-lo)*h.rng.Float64()
		}
		if id, flagged := h.response("t1", score, th); flagged || h.allVerdicts {
			labs = append(labs, lab{id, viol, flagged})
		}
	}
	h.caughtUp()
	for _, l := range labs {
		lb := wire.LabelFalsePositive
		switch {
		case l.viol && l.flagged:
			lb = wire.LabelTruePositive
		case l.viol:
			lb = wire.LabelFalseNegative
		case !l.flagged:
			lb = wire.LabelTrueNegative
		}
		h.label(l.id, "verifier", "pii", lb)
	}
	h.caughtUp()
}

// request calls a micro endpoint and returns the body, or the error code and description.
func (h *harness) request(subject string, body string) (data []byte, code, desc string) {
	h.t.Helper()
	m, err := h.env.NC.Request(subject, []byte(body), 5*time.Second)
	if err != nil {
		h.t.Fatalf("%s: %v", subject, err)
	}
	return m.Data, m.Header.Get("Nats-Service-Error-Code"), m.Header.Get("Nats-Service-Error")
}

// withoutDefaultTarget makes start drop testTarget (the test passes its own).
func withoutDefaultTarget() Option {
	return func(o *options) error { o.noDefault = true; return nil }
}
