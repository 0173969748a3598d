package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/client"
	"github.com/midstream/midstream/pkg/frame"
	"github.com/midstream/midstream/pkg/telemetry"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// TestConcurrentResponses streams 200 responses at once over one connection and checks that
// JetStream holds every chunk exactly once, in order, with ingest's headers. A small
// publisher bound makes ingest hit JetStream backpressure throughout.
func TestConcurrentResponses(t *testing.T) {
	const responses, chunks = 200, 15
	env := startServer(t, func(c *Config) { c.MaxPending = 16 })
	env.serve(t)
	conn := env.dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, responses)
	for i := range responses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("resp-%03d", i)
			meta := &wire.Meta{Tenant: "acme", Model: "m", Priority: []wire.Priority{wire.PriorityLow, wire.PriorityNormal, wire.PriorityHigh, wire.PriorityCritical}[i%4]}
			r, err := conn.StartResponse(ctx, id, meta)
			if err != nil {
				errs <- err
				return
			}
			for j := range chunks - 1 {
				if _, err := r.Send(ctx, wire.Chunk{Text: id + " chunk " + strconv.Itoa(j)}); err != nil {
					errs <- err
					return
				}
			}
			if err := r.CloseWithFinal(ctx, wire.Chunk{Text: "end"}); err != nil {
				errs <- fmt.Errorf("%s: %w", id, err)
				return
			}
			if got := r.Acked(); got != chunks {
				errs <- fmt.Errorf("%s: acked %d, want %d", id, got, chunks)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all := env.readAll(t, bus.StreamChunks, wire.ChunkWildcard)
	if len(all) != responses*chunks {
		t.Fatalf("CHUNKS holds %d messages, want %d", len(all), responses*chunks)
	}
	next := map[string]uint64{}
	for _, m := range all {
		info, err := wire.ParseSubject(m.Subject())
		if err != nil {
			t.Fatal(err)
		}
		c, err := wire.DecodeChunk(m.Headers().Get(wire.HeaderSchema), m.Data())
		if err != nil {
			t.Fatalf("%s: %v", m.Subject(), err)
		}
		if c.Stream != info.Stream || c.Seq != next[c.Stream] {
			t.Fatalf("%s: got %s seq %d, want seq %d", m.Subject(), c.Stream, c.Seq, next[c.Stream])
		}
		next[c.Stream]++
		h := m.Headers()
		if h.Get(wire.HeaderSchema) != wire.SchemaChunk || h.Get(wire.HeaderMsgID) != wire.MsgID(c.Stream, c.Seq) {
			t.Fatalf("headers %v", h)
		}
		if ns, err := strconv.ParseInt(h.Get(wire.HeaderReceived), 10, 64); err != nil || time.Since(time.Unix(0, ns)) > time.Minute {
			t.Fatalf("%s = %q", wire.HeaderReceived, h.Get(wire.HeaderReceived))
		}
		if (c.Seq == chunks-1) != c.Final {
			t.Fatalf("seq %d final=%v", c.Seq, c.Final)
		}
	}
	if len(next) != responses {
		t.Fatalf("%d responses stored, want %d", len(next), responses)
	}
	eventually(t, 5*time.Second, func() bool {
		env.srv.routes.mu.RLock()
		defer env.srv.routes.mu.RUnlock()
		return len(env.srv.routes.open) == 0
	}, "closed responses still routed")
}

// TestReconnectResend drops the connection while chunks are stored but not acknowledged: the
// client resends them on a new connection and JetStream stores each once.
func TestReconnectResend(t *testing.T) {
	env := startServer(t, nil)
	var gate atomic.Pointer[chan struct{}]
	env.srv.testHookAck = func() {
		if g := gate.Load(); g != nil {
			<-*g
		}
	}
	env.serve(t)
	conn := env.dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const id = "resume-1"
	r, err := conn.StartResponse(ctx, id, &wire.Meta{Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	send := func(n int) {
		for range n {
			if _, err := r.Send(ctx, wire.Chunk{Text: "x"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(5)
	eventually(t, 5*time.Second, func() bool { return r.Acked() == 5 }, "first 5 chunks not acked")
	// Hold acknowledgements back: chunks 5..9 get stored, the gateway never hears of it.
	hold := make(chan struct{})
	gate.Store(&hold)
	send(5)
	eventually(t, 5*time.Second, func() bool { return env.count(t, bus.StreamChunks, wire.ChunkStreamFilter(id)) == 10 }, "chunks 5..9 not stored")
	if got := r.Acked(); got != 5 {
		t.Fatalf("acked %d while acks are held, want 5", got)
	}
	env.srv.dropConnections()
	gate.Store(nil)
	close(hold)
	send(4)
	if err := r.CloseWithFinal(ctx, wire.Chunk{Text: "end"}); err != nil {
		t.Fatal(err)
	}
	if got := r.Acked(); got != 15 {
		t.Fatalf("acked %d, want 15", got)
	}
	msgs := env.chunksOf(t, id)
	if len(msgs) != 15 {
		t.Fatalf("stored %d chunks, want 15 (resent chunks must be deduplicated)", len(msgs))
	}
	for i, m := range msgs {
		if want := wire.MsgID(id, uint64(i)); m.Headers().Get(wire.HeaderMsgID) != want {
			t.Fatalf("message %d is %s, want %s", i, m.Headers().Get(wire.HeaderMsgID), want)
		}
	}
}

// TestActionMidStream publishes an action while the response is streaming and checks the
// gateway receives it, then that an action for an unknown stream is dead-lettered.
func TestActionMidStream(t *testing.T) {
	env := startServer(t, nil)
	env.serve(t)
	conn := env.dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := make(chan wire.Action, 1)
	r, err := conn.StartResponse(ctx, "act-1", nil, client.WithActionHandler(func(a wire.Action) { got <- a }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Send(ctx, wire.Chunk{Text: "my email is"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, func() bool { return r.Acked() == 1 }, "chunk 0 not acked")
	a := wire.Action{Stream: "act-1", Type: wire.ActionStop, Seq: 0, Analyser: "verifier", Rule: "no-pii", Reason: "e-mail address", Time: t0}
	b, _ := json.Marshal(a)
	msg := nats.NewMsg(wire.ActionSubject("act-1"))
	msg.Data = b
	msg.Header.Set(wire.HeaderSchema, wire.SchemaAction)
	if err := env.bus.NC.PublishMsg(msg); err != nil {
		t.Fatal(err)
	}
	select {
	case ra := <-got:
		if ra != a {
			t.Fatalf("got %+v, want %+v", ra, a)
		}
	case <-ctx.Done():
		t.Fatal("action not relayed")
	}
	if err := r.CloseWithFinal(ctx, wire.Chunk{FinishReason: "cancelled"}); err != nil {
		t.Fatal(err)
	}
	// A late action for the response that just ended is expected traffic: not dead-lettered.
	// An action for a stream this ingest never saw, and an invalid action, are, with the reason.
	eventually(t, 5*time.Second, func() bool { st, late := env.srv.routes.lookup("act-1"); return st == nil && late }, "act-1 still routed")
	if err := env.bus.NC.Publish(wire.ActionSubject("act-1"), b); err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(wire.Action{Stream: "nobody", Type: wire.ActionFlag, Analyser: "compare", Time: t0})
	if err := env.bus.NC.Publish(wire.ActionSubject("nobody"), b); err != nil {
		t.Fatal(err)
	}
	if err := env.bus.NC.Publish(wire.ActionSubject("nobody2"), []byte(`{"stream":"nobody2","type":"explode"}`)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, func() bool { return env.count(t, bus.StreamDLQ, wire.DeadLetterSubject("ingest")) == 2 }, "want 2 dead letters")
	dls := env.readAll(t, bus.StreamDLQ, wire.DeadLetterSubject("ingest"))
	if !strings.Contains(dls[0].Headers().Get(wire.HeaderReason), "no open response stream nobody") ||
		!strings.Contains(dls[1].Headers().Get(wire.HeaderReason), "explode") {
		t.Fatalf("dead letters: %q, %q", dls[0].Headers().Get(wire.HeaderReason), dls[1].Headers().Get(wire.HeaderReason))
	}
	var rec wire.DeadLetter
	if err := json.Unmarshal(dls[1].Data(), &rec); err != nil || rec.Source != "ingest" || string(rec.Data) != `{"stream":"nobody2","type":"explode"}` {
		t.Fatalf("dead letter record %+v %v", rec, err)
	}
}

// TestBadInput sends every kind of bad frame on its own stream of one connection while a good
// response streams on another: each gets its ERROR, the good one is untouched.
func TestBadInput(t *testing.T) {
	env := startServer(t, func(c *Config) { c.MaxFrameSize = 64 << 10 })
	env.serve(t)
	rc, err := env.rawDial(t, "")
	if err != nil {
		t.Fatal(err)
	}
	good := rc.open(t)
	good.chunk("good", 0, "hello")
	good.expectAck(0)

	cases := []struct {
		name string
		code frame.Code
		run  func(s *rawStream)
	}{
		{"malformed JSON", frame.CodeInvalidChunk, func(s *rawStream) {
			s.write(frame.AppendChunk(nil, []byte(`{"stream":"bad-1","seq":0,`)))
		}},
		{"invalid UTF-8", frame.CodeInvalidChunk, func(s *rawStream) {
			s.write(frame.AppendChunk(nil, []byte("{\"stream\":\"bad-2\",\"seq\":0,\"ts\":\"2026-12-08T03:00:00Z\",\"text\":\"a\xffb\"}")))
		}},
		{"unknown schema", frame.CodeSchemaVersion, func(s *rawStream) {
			s.write(frame.AppendHeaders(nil, map[string]string{wire.HeaderSchema: "chunk/2"}))
			s.chunk("bad-3", 0, "x")
		}},
		{"seq gap", frame.CodeSeqGap, func(s *rawStream) {
			s.chunk("bad-4", 0, "x")
			s.expectAck(0)
			s.chunk("bad-4", 2, "x")
		}},
		{"seq duplicate", frame.CodeSeqDuplicate, func(s *rawStream) {
			s.chunk("bad-5", 0, "x")
			s.expectAck(0)
			s.chunk("bad-5", 0, "x")
		}},
		{"first seq not 0", frame.CodeSeqGap, func(s *rawStream) { s.chunk("bad-6", 3, "x") }},
		{"oversize frame", frame.CodeFrameTooLarge, func(s *rawStream) {
			s.write(frame.Append(nil, frame.TypeChunk, make([]byte, 100<<10)))
		}},
		{"unknown frame type", frame.CodeUnknownType, func(s *rawStream) { s.write(frame.Append(nil, 0x42, []byte("?"))) }},
		{"server frame type", frame.CodeProtocolFailure, func(s *rawStream) { s.write(frame.AppendAck(nil, 1)) }},
		{"malformed headers", frame.CodeMalformedFrame, func(s *rawStream) { s.write(frame.Append(nil, frame.TypeHeaders, []byte{1, 9})) }},
		{"too many header keys", frame.CodeMalformedFrame, func(s *rawStream) {
			for i := range 2 {
				h := map[string]string{}
				for j := range 40 {
					h[fmt.Sprintf("k%d-%d", i, j)] = "v"
				}
				s.write(frame.AppendHeaders(nil, h))
			}
		}},
		{"stream id mismatch", frame.CodeStreamMismatch, func(s *rawStream) {
			s.chunk("bad-7", 0, "x")
			s.expectAck(0)
			s.chunk("other", 1, "x")
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := rc.open(t)
			s.t = t
			tc.run(s)
			e := s.expectError(tc.code)
			if e.Fatal || e.Message == "" {
				t.Fatalf("ERROR %+v: want a non-fatal error with a message", e)
			}
			// The stream stays usable after a rejected frame...
			if tc.name == "seq gap" {
				s.chunk("bad-4", 1, "x")
				s.expectAck(1)
			}
			// ...and the good response on the same connection carries on.
			good.t = t
			good.chunk("good", uint64(i+1), "still here")
			good.expectAck(uint64(i + 1))
		})
	}
	// Every rejection is on the bus with its reason.
	eventually(t, 5*time.Second, func() bool {
		return env.count(t, bus.StreamDLQ, wire.DeadLetterSubject("ingest")) == len(cases)
	}, "want %d dead letters", len(cases))
	if got := len(env.chunksOf(t, "good")); got != len(cases)+1 {
		t.Fatalf("good response has %d chunks stored, want %d", got, len(cases)+1)
	}
}

func TestAuth(t *testing.T) {
	env := startServer(t, func(c *Config) { c.Tokens = map[string]string{"tok-acme": "acme", "tok-any": ""} })
	env.serve(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tok := range []string{"", "wrong"} {
		_, err := client.Dial(ctx, env.srv.Addr().String(), client.WithInsecureSkipVerify(), client.WithToken(tok))
		var ae *client.AuthError
		if !errors.Is(err, client.ErrAuthFailed) || !errors.As(err, &ae) || !strings.Contains(ae.Reason, "token") {
			t.Fatalf("token %q: got %v, want an authentication failure naming the token", tok, err)
		}
	}
	// The raw protocol: the connection is closed with CodeAuthFailed and a message.
	if _, err := env.rawDial(t, "wrong"); err == nil {
		t.Fatal("raw dial with a wrong token succeeded")
	}
	conn := env.dial(t, client.WithToken("tok-acme"))
	if conn.Tenant() != "acme" {
		t.Fatalf("tenant %q", conn.Tenant())
	}
	r, err := conn.StartResponse(ctx, "t-1", &wire.Meta{Tenant: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Send(ctx, wire.Chunk{Text: "x"}); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-r.Errors():
		if e.Code != frame.CodeInvalidChunk || !strings.Contains(e.Message, "tenant") {
			t.Fatalf("got %v", e)
		}
	case <-ctx.Done():
		t.Fatal("no error for another tenant's response")
	}
	// The refused chunk cannot be corrected by the library, so the response ends with it.
	<-r.Done()
	var ce *client.ChunkError
	if !errors.As(r.Err(), &ce) || ce.Code != frame.CodeInvalidChunk {
		t.Fatalf("Err() = %v", r.Err())
	}
	if _, err := env.dial(t, client.WithToken("tok-any")).StartResponse(ctx, "t-2", nil); err != nil {
		t.Fatal(err)
	}
}

// TestTraceContext checks that the gateway's trace continues through ingest into NATS: the
// "ingest chunk" span is a child of the gateway's span, and the published message carries
// the ingest span as its parent.
func TestTraceContext(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	env := startServer(t, func(c *Config) { c.TracerProvider = tp; c.Propagator = propagation.TraceContext{} })
	env.serve(t)
	conn := env.dial(t, client.WithPropagator(propagation.TraceContext{}))
	gwTP := sdktrace.NewTracerProvider()
	ctx, span := gwTP.Tracer("gateway").Start(context.Background(), "llm response")
	defer span.End()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	r, err := conn.StartResponse(ctx, "traced", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CloseWithFinal(ctx, wire.Chunk{Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	var ingestSpan sdktrace.ReadOnlySpan
	eventually(t, 5*time.Second, func() bool {
		for _, s := range rec.Ended() {
			if s.Name() == "ingest chunk" {
				ingestSpan = s
				return true
			}
		}
		return false
	}, "no ingest chunk span")
	gw := span.SpanContext()
	if ingestSpan.Parent().SpanID() != gw.SpanID() || ingestSpan.SpanContext().TraceID() != gw.TraceID() || !ingestSpan.Parent().IsRemote() {
		t.Fatalf("ingest span parent %v, want remote parent %v", ingestSpan.Parent(), gw)
	}
	if ingestSpan.SpanKind() != trace.SpanKindProducer {
		t.Fatalf("span kind %v", ingestSpan.SpanKind())
	}
	m := env.chunksOf(t, "traced")[0]
	got := propagation.TraceContext{}.Extract(context.Background(), telemetry.HeaderCarrier(m.Headers()))
	sc := trace.SpanContextFromContext(got)
	if sc.TraceID() != gw.TraceID() || sc.SpanID() != ingestSpan.SpanContext().SpanID() {
		t.Fatalf("NATS message trace context %v (header %q), want ingest span %v", sc, m.Headers().Get("traceparent"), ingestSpan.SpanContext())
	}
}

// TestIdleStream checks that a stream on which nothing arrives is closed and unrouted.
func TestIdleStream(t *testing.T) {
	env := startServer(t, func(c *Config) { c.IdleTimeout = 300 * time.Millisecond })
	env.serve(t)
	rc, err := env.rawDial(t, "")
	if err != nil {
		t.Fatal(err)
	}
	s := rc.open(t)
	s.chunk("idle-1", 0, "x")
	s.expectAck(0)
	if st, _ := env.srv.routes.lookup("idle-1"); st == nil {
		t.Fatal("open stream not routed")
	}
	e := s.expectError(frame.CodeIdleTimeout)
	if !e.Fatal {
		t.Fatal("idle timeout not fatal")
	}
	eventually(t, 5*time.Second, func() bool {
		st, late := env.srv.routes.lookup("idle-1")
		return st == nil && late
	}, "idle stream still routed")
}

// TestDrain cancels Serve while a response is open: what was read is acknowledged, the
// gateway is told to go elsewhere, and Serve returns.
func TestDrain(t *testing.T) {
	env := startServer(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- env.srv.Serve(ctx) }()
	rc, err := env.rawDial(t, "")
	if err != nil {
		t.Fatal(err)
	}
	s := rc.open(t)
	for i := range 20 {
		s.chunk("drain-1", uint64(i), "x")
	}
	s.expectAck(19)
	cancel()
	s.expectError(frame.CodeShuttingDown)
	_ = rc.qc.CloseWithError(0, "leaving a draining ingest")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after drain")
	}
	if n := env.count(t, bus.StreamChunks, wire.ChunkStreamFilter("drain-1")); n != 20 {
		t.Fatalf("stored %d, want 20", n)
	}
}
