package main

import (
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/bus/bustest"
	"github.com/midstream/midstream/pkg/telemetry"
	"github.com/midstream/midstream/pkg/telemetry/telemetrytest"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// e2eSpan is a finished span reduced to what the tree check needs, from the in-process
// recorder or from the OTLP protobuf.
type e2eSpan struct {
	name, trace, id, parent string
	stream                  string
	seq                     int64
	hasSeq                  bool
}

func fromReadOnly(spans []sdktrace.ReadOnlySpan) []e2eSpan {
	out := make([]e2eSpan, 0, len(spans))
	for _, s := range spans {
		e := e2eSpan{name: s.Name(), trace: s.SpanContext().TraceID().String(), id: s.SpanContext().SpanID().String()}
		if s.Parent().IsValid() {
			e.parent = s.Parent().SpanID().String()
		}
		for _, kv := range s.Attributes() {
			switch kv.Key {
			case telemetry.AttrStream:
				e.stream = kv.Value.AsString()
			case telemetry.AttrSeq:
				e.seq, e.hasSeq = kv.Value.AsInt64(), true
			}
		}
		out = append(out, e)
	}
	return out
}

// e2eCheckTree checks the span tree of response id under the gateway span gw: one "ingest
// chunk" span per chunk, child of the gateway span; one "scheduler wait" span per chunk, child
// of that chunk's ingest span, when the scheduler runs; one "<analyser> analyse" span per chunk
// and analyser, child of the scheduler's span (or ingest's without a scheduler); all in the
// gateway's trace. It returns what is missing or wrong, "" when the tree is complete.
func e2eCheckTree(spans []e2eSpan, gw trace.SpanContext, id string, chunks int) string {
	byID := map[string]e2eSpan{}
	var mine []e2eSpan
	for _, s := range spans {
		if s.stream == id || s.trace == gw.TraceID().String() {
			if s.trace != gw.TraceID().String() {
				return fmt.Sprintf("span %q of %s is in trace %s, not the gateway's %s", s.name, id, s.trace, gw.TraceID())
			}
			byID[s.id] = s
			mine = append(mine, s)
		}
	}
	// stage name → seq → span
	stages := map[string]map[int64]e2eSpan{}
	for _, s := range mine {
		if !s.hasSeq {
			return fmt.Sprintf("span %q has no %s attribute", s.name, telemetry.AttrSeq)
		}
		if stages[s.name] == nil {
			stages[s.name] = map[int64]e2eSpan{}
		}
		if _, dup := stages[s.name][s.seq]; dup {
			return fmt.Sprintf("two %q spans for seq %d", s.name, s.seq)
		}
		stages[s.name][s.seq] = s
	}
	upstream := "ingest chunk"
	for seq := range int64(chunks) {
		in, ok := stages["ingest chunk"][seq]
		if !ok {
			return fmt.Sprintf("no ingest chunk span for seq %d", seq)
		}
		if in.parent != gw.SpanID().String() {
			return fmt.Sprintf("ingest chunk seq %d has parent %s, not the gateway span %s", seq, in.parent, gw.SpanID())
		}
		if hasService("scheduler") {
			upstream = "scheduler wait"
			w, ok := stages["scheduler wait"][seq]
			if !ok {
				return fmt.Sprintf("no scheduler wait span for seq %d", seq)
			}
			if w.parent != in.id {
				return fmt.Sprintf("scheduler wait seq %d is not a child of ingest chunk seq %d", seq, seq)
			}
		}
		for _, a := range e2eAnalysers() {
			s, ok := stages[a+" analyse"][seq]
			if !ok {
				return fmt.Sprintf("no %q span for seq %d", a+" analyse", seq)
			}
			if p := byID[s.parent]; p.name != upstream || p.seq != seq {
				return fmt.Sprintf("%q seq %d has parent %q seq %d, want %q seq %d", s.name, seq, p.name, p.seq, upstream, seq)
			}
		}
	}
	return ""
}

// e2eFindings records the verdicts and actions published for one response with the
// traceparent they carried.
type e2eFindings struct {
	mu   sync.Mutex
	msgs []*nats.Msg
}

func (in *e2eInstance) watch(t *testing.T, id string) *e2eFindings {
	t.Helper()
	f := &e2eFindings{}
	for _, subj := range []string{wire.ActionSubject(id), "ms.verdict.*." + id} {
		sub, err := in.nc.Subscribe(subj, func(m *nats.Msg) {
			f.mu.Lock()
			f.msgs = append(f.msgs, m)
			f.mu.Unlock()
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sub.Unsubscribe() })
	}
	if err := in.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return f
}

// e2eCheckFindings checks that every verdict and action of the response carries the
// gateway's trace, with the span of the analyser that emitted it as parent.
func e2eCheckFindings(t *testing.T, f *e2eFindings, spans []e2eSpan, gw trace.SpanContext) {
	t.Helper()
	byID := map[string]e2eSpan{}
	for _, s := range spans {
		byID[s.id] = s
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.msgs) == 0 {
		t.Fatal("no verdict or action published for the traced response")
	}
	for _, m := range f.msgs {
		tp := strings.Split(m.Header.Get("traceparent"), "-")
		if len(tp) != 4 || tp[1] != gw.TraceID().String() {
			t.Errorf("%s carries traceparent %q, not the gateway's trace %s", m.Subject, m.Header.Get("traceparent"), gw.TraceID())
			continue
		}
		analyser := ""
		if a, err := wire.DecodeAction(m.Header.Get(wire.HeaderSchema), m.Data); err == nil && strings.HasPrefix(m.Subject, "ms.action.") {
			analyser = a.Analyser
		} else if info, err := wire.ParseSubject(m.Subject); err == nil {
			analyser = info.Analyser
		}
		if p := byID[tp[2]]; p.name != analyser+" analyse" {
			t.Errorf("%s (analyser %s) has parent span %q, want %q", m.Subject, analyser, p.name, analyser+" analyse")
		}
	}
}

func e2eEnv(t *testing.T, endpoint string) {
	t.Setenv("OTEL_TRACES_SAMPLER", "parentbased_always_on")
	t.Setenv("OTEL_TRACES_EXPORTER", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
}

// TestE2ETraceTree streams one response from a gateway that traces it and checks the span
// tree across every registered service, then one from a gateway that does not sample and
// checks that no span is recorded for it (parent-based sampling) while its findings still
// carry the gateway's trace id.
func TestE2ETraceTree(t *testing.T) {
	e2eEnv(t, "")
	rec := tracetest.NewSpanRecorder()
	in := e2eStart(t, telemetry.WithSpanProcessor(rec))

	const id = "e2e-traced"
	found := in.watch(t, id)
	ctx, gwSpan, endGW := e2eGateway(true)
	actions := in.stream(t, ctx, id)
	endGW()
	gw := gwSpan.SpanContext()
	var problem string
	bustest.Eventually(t, 30*time.Second, func() bool {
		problem = e2eCheckTree(fromReadOnly(rec.Ended()), gw, id, len(e2eChunks))
		return problem == ""
	}, "span tree incomplete: %s", e2eLazy(func() string { return problem }))
	if hasService("verifier") {
		if len(actions) != 1 || actions[0].Type != wire.ActionStop || actions[0].Seq != 4 || actions[0].Analyser != "verifier" {
			t.Fatalf("gateway received %+v, want the verifier's stop at seq 4", actions)
		}
	}
	e2eWaitFor(t, 10*time.Second, "findings", func() bool {
		found.mu.Lock()
		defer found.mu.Unlock()
		return len(found.msgs) > 0
	})
	e2eCheckFindings(t, found, fromReadOnly(rec.Ended()), gw)

	// Parent-based sampling: the gateway decided not to sample this response.
	const unsampledID = "e2e-unsampled"
	before := in.analysed(t)
	uFound := in.watch(t, unsampledID)
	uctx, uSpan, endU := e2eGateway(false)
	in.stream(t, uctx, unsampledID)
	endU()
	e2eWaitFor(t, 30*time.Second, "every analyser to analyse the unsampled response", func() bool {
		now := in.analysed(t)
		for _, a := range e2eAnalysers() {
			if now[a]-before[a] < len(e2eChunks) {
				return false
			}
		}
		return true
	})
	ut := uSpan.SpanContext().TraceID().String()
	for _, s := range fromReadOnly(rec.Ended()) {
		if s.trace == ut || s.stream == unsampledID {
			t.Errorf("span %q recorded for the unsampled response", s.name)
		}
	}
	for _, s := range rec.Started() {
		if s.SpanContext().TraceID().String() == ut {
			t.Errorf("span %q started for the unsampled response", s.Name())
		}
	}
	e2eWaitFor(t, 10*time.Second, "findings of the unsampled response", func() bool {
		uFound.mu.Lock()
		defer uFound.mu.Unlock()
		return len(uFound.msgs) > 0
	})
	uFound.mu.Lock()
	defer uFound.mu.Unlock()
	for _, m := range uFound.msgs {
		if tp := m.Header.Get("traceparent"); !strings.HasPrefix(tp, "00-"+ut+"-") || !strings.HasSuffix(tp, "-00") {
			t.Errorf("%s of the unsampled response carries traceparent %q, want trace %s unsampled", m.Subject, tp, ut)
		}
	}
}

// TestE2EOTLPExport exports the traced response's spans over OTLP/HTTP to an in-test receiver
// that decodes the protobuf, and checks the same span tree arrived.
func TestE2EOTLPExport(t *testing.T) {
	recv := telemetrytest.NewReceiver(t)
	e2eEnv(t, recv.URL())
	in := e2eStart(t)

	const id = "e2e-otlp"
	ctx, gwSpan, endGW := e2eGateway(true)
	in.stream(t, ctx, id)
	endGW()
	var problem string
	bustest.Eventually(t, 30*time.Second, func() bool {
		problem = e2eCheckTree(fromOTLP(recv.Spans()), gwSpan.SpanContext(), id, len(e2eChunks))
		return problem == ""
	}, "span tree over OTLP incomplete: %s", e2eLazy(func() string { return problem }))
}

// fromOTLP converts exported protobuf spans to the tree checker's form.
func fromOTLP(spans []*tracepb.Span) []e2eSpan {
	out := make([]e2eSpan, 0, len(spans))
	for _, s := range spans {
		e := e2eSpan{name: s.Name, trace: hex.EncodeToString(s.TraceId), id: hex.EncodeToString(s.SpanId)}
		if len(s.ParentSpanId) > 0 {
			e.parent = hex.EncodeToString(s.ParentSpanId)
		}
		for _, kv := range s.Attributes {
			switch kv.Key {
			case string(telemetry.AttrStream):
				e.stream = kv.Value.GetStringValue()
			case string(telemetry.AttrSeq):
				e.seq, e.hasSeq = kv.Value.GetIntValue(), true
			}
		}
		out = append(out, e)
	}
	return out
}
