package metalearn

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/bus/bustest"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go"
)

// benchService returns a service (not running its consumers) with n observed responses, each
// with a flagged verifier/pii verdict, and a threshold target on that rule.
func benchService(b *testing.B, n int) *Service {
	b.Helper()
	env := bustest.Start(b, bus.Topology{Partitions: 2})
	s, err := New(context.Background(), env.NC, WithoutKVTargets(), WithTargets(testTarget()), WithFeedbackRate(1e12, 1<<30),
		WithBuffer(time.Second, time.Minute, n+1, 512))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	s.mu.Lock()
	for i := range n {
		id := fmt.Sprintf("b%07d", i)
		r := s.buffer(context.Background(), id)
		r.addChunk(&wire.Chunk{Stream: id, Time: now, Text: "some response text with a card number in it", Meta: &wire.Meta{Tenant: "t1", Model: "m1"}, Final: true}, 512, now)
		r.addVerdict(&wire.Verdict{Stream: id, Analyser: "verifier", Kind: "rule", Rule: "pii", Status: "detected", Score: 0.9}, now)
		s.observe(context.Background(), id)
	}
	s.mu.Unlock()
	return s
}

// BenchmarkFeedback/in-process is the service's handling of one decoded label: the learner's
// Feedback (levels 0-3), the labelled record, the live outcome, pending proposals and audit
// persistence (nothing new to persist in the steady state). Labels alternate between true and
// false positives at an FP rate near the 0.1 target, so policies rarely propose.
func BenchmarkFeedback(b *testing.B) {
	const n = 1 << 15
	b.Run("in-process", func(b *testing.B) {
		s := benchService(b, n)
		ctx := context.Background()
		fbs := make([]wire.Feedback, n)
		for i := range fbs {
			l := wire.LabelTruePositive
			if i%10 == 0 {
				l = wire.LabelFalsePositive
			}
			fbs[i] = wire.Feedback{Stream: fmt.Sprintf("b%07d", i), Analyser: "verifier", Rule: "pii", Label: l}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			f := &fbs[i%n]
			if i >= n {
				// Relabel: a contradicting label replaces the earlier one.
				if f.Label == wire.LabelTruePositive {
					f.Label = wire.LabelFalsePositive
				} else {
					f.Label = wire.LabelTruePositive
				}
			}
			s.mu.Lock()
			err := s.feedback(ctx, f)
			s.mu.Unlock()
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	// bus: publish labels to FEEDBACK and wait until the service has handled all of them: the
	// JetStream store, the durable consumer's delivery and ack, decoding and the above.
	b.Run("bus", func(b *testing.B) {
		s := benchService(b, n)
		env := s.nc
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		defer func() { cancel(); <-done }()
		bustest.Eventually(b, 10*time.Second, func() bool {
			m, err := env.Request(SubjectStatus, nil, time.Second)
			return err == nil && m.Header.Get("Nats-Service-Error") == ""
		}, "service not up")
		js := s.js
		bustest.Eventually(b, 10*time.Second, func() bool {
			_, err := js.Consumer(ctx, bus.StreamFeedback, ConsumerFeedback)
			return err == nil
		}, "consumer not up")
		msgs := make([]*nats.Msg, n)
		for i := range msgs {
			l := wire.LabelTruePositive
			if i%10 == 0 {
				l = wire.LabelFalsePositive
			}
			id := fmt.Sprintf("b%07d", i)
			m := nats.NewMsg(wire.FeedbackSubject(id))
			m.Data, _ = json.Marshal(wire.Feedback{Stream: id, Analyser: "verifier", Rule: "pii", Label: l})
			m.Header.Set(wire.HeaderSchema, wire.SchemaFeedback)
			msgs[i] = m
		}
		start := s.Status().Counters.Feedback
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := js.PublishMsgAsync(msgs[i%n]); err != nil {
				b.Fatal(err)
			}
			if i%512 == 511 {
				// Bound the publishes in flight (nats.go stalls beyond its limit).
				<-js.PublishAsyncComplete()
			}
		}
		bustest.Eventually(b, time.Minute, func() bool { return s.Status().Counters.Feedback >= start+uint64(b.N) }, "not all feedback handled")
	})
}
