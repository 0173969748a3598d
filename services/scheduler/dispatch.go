package scheduler

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/midstream/midstream/pkg/sched"
	"github.com/midstream/midstream/pkg/telemetry"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Shed verdicts: kind and status of ms.verdict.scheduler.<stream>.
const (
	VerdictKind   = "shed"
	VerdictStatus = "shed"
)

// Shed reasons the service adds to pkg/sched's (depth, wait, deadline, capacity, shutdown).
const (
	ReasonRejected  = "rejected"   // admission control refused the response
	ReasonQueueFull = "queue_full" // no room in the scheduler and nothing lower to displace
	ReasonInvalid   = "invalid"    // the scheduler refused the item (see the reason text)
)

// ShedEvidence is the evidence of a shed verdict.
type ShedEvidence struct {
	Class     string  `json:"class"`
	Reason    string  `json:"reason"`
	Tenant    string  `json:"tenant,omitempty"`
	Partition int     `json:"partition"`
	WaitMS    float64 `json:"wait_ms"`
	// DeadlineMS is the chunk's deadline budget counted from ingest, 0 if it had none.
	DeadlineMS float64 `json:"deadline_ms,omitempty"`
	Final      bool    `json:"final,omitempty"`
}

// Header names the service adds to WORK items.
const (
	// HeaderClass is the class the chunk was scheduled in.
	HeaderClass = "Ms-Class"
	// HeaderForced marks a structural chunk (chunk 0 or the final one) that the scheduler
	// would have shed and forwarded instead; its value is the shed reason.
	HeaderForced = "Ms-Forced"
)

type job struct {
	msg *nats.Msg
	id  string
	f   jetstream.PubAckFuture
	pd  *pending
}

// outcome is a chunk leaving the service: released to WORK or shed with a verdict.
type outcome struct {
	pd       *pending
	shed     bool
	reason   string
	detail   string
	class    sched.Class
	wait     time.Duration
	deadline time.Time
	late     bool
}

// dispatch releases what the scheduler allows, waiting on submissions, the scheduler's wake
// time and configuration changes.
func (s *Service) dispatch(ctx context.Context) {
	buf := make([]sched.Result[*pending], 0, s.o.batch)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for ctx.Err() == nil {
		now := time.Now()
		buf = s.s.DispatchAt(now, buf[:0], s.o.batch)
		released := 0
		for i := range buf {
			r := &buf[i]
			s.mu.Lock()
			delete(s.queued, qkey{r.Stream, r.Seq})
			s.mu.Unlock()
			o := outcome{pd: r.Payload, class: r.Class, wait: r.Wait, deadline: r.Deadline, late: r.Late}
			if r.Outcome == sched.Shed {
				o.shed, o.reason = true, r.Reason.String()
			} else {
				released++
			}
			s.emit(ctx, o, now)
			buf[i] = sched.Result[*pending]{} // drop the payload reference
		}
		if released == s.o.batch {
			continue
		}
		var tc <-chan time.Time
		if at, ok := s.s.Wake(); ok {
			d := time.Until(at)
			if d <= 0 && released > 0 {
				continue
			}
			timer.Reset(max(d, 50*time.Microsecond))
			tc = timer.C
		}
		select {
		case <-ctx.Done():
		case <-s.s.Ready():
		case <-s.kick:
		case <-tc:
		}
		if tc != nil && !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// direct sheds a chunk without the scheduler (rejected response, no room); a structural chunk
// is forwarded instead, which keeps per-response order because nothing of its response is
// queued ahead of it (chunk 0 is first; a final chunk is only forwarded here when its response
// was rejected, so none of it is queued).
func (s *Service) direct(ctx context.Context, pd *pending, c sched.Class, reason, detail string, now time.Time) {
	s.c.directShed(c, reason)
	s.emit(ctx, outcome{pd: pd, shed: true, reason: reason, detail: detail, class: c}, now)
}

// emit publishes one outcome and queues the wait for its acknowledgement.
func (s *Service) emit(ctx context.Context, o outcome, now time.Time) {
	pd := o.pd
	s.mu.Lock()
	in := pd.msg
	s.mu.Unlock()
	hdr := in.Headers()
	forced := o.shed && pd.structural
	pctx := telemetry.Extract(ctx, hdr)
	attrs := []attribute.KeyValue{
		telemetry.AttrStream.String(pd.stream), telemetry.AttrSeq.Int64(int64(pd.seq)),
		telemetry.AttrPartition.Int(pd.part), telemetry.AttrPriority.String(o.class.String()),
		attribute.Float64("midstream.scheduler.wait_ms", float64(o.wait)/1e6),
	}
	var msg *nats.Msg
	var id string
	switch {
	case !o.shed || forced:
		outcomeName := "released"
		if forced {
			outcomeName = "forced"
			attrs = append(attrs, attribute.String("midstream.scheduler.shed_reason", o.reason))
		}
		attrs = append(attrs, attribute.String("midstream.scheduler.outcome", outcomeName), attribute.Bool("midstream.scheduler.late", o.late))
		sctx := s.waitSpan(pctx, pd.enq, now, attrs)
		msg = nats.NewMsg(wire.WorkSubject(pd.part, pd.stream))
		msg.Data = in.Data()
		for k, v := range hdr {
			// JetStream's own headers (dedup id, expectations) belong to the CHUNKS publish.
			if strings.HasPrefix(k, "Nats-") {
				continue
			}
			msg.Header[k] = v
		}
		msg.Header.Set(HeaderClass, o.class.String())
		if forced {
			msg.Header.Set(HeaderForced, o.reason)
			s.c.forced[o.class].Add(1)
		}
		telemetry.Inject(sctx, msg.Header)
		id = wire.MsgID(pd.stream, pd.seq)
		s.m.wait.Record(ctx, o.wait.Seconds(), s.m.classAttr[o.class])
	default:
		attrs = append(attrs, attribute.String("midstream.scheduler.outcome", "shed"), attribute.String("midstream.scheduler.shed_reason", o.reason))
		sctx := s.waitSpan(pctx, pd.enq, now, attrs)
		ev := ShedEvidence{Class: o.class.String(), Reason: o.reason, Tenant: pd.tenant, Partition: pd.part,
			WaitMS: float64(o.wait) / 1e6, Final: pd.final}
		if !o.deadline.IsZero() {
			ev.DeadlineMS = float64(o.deadline.Sub(pd.recv)) / 1e6
		}
		evb, _ := json.Marshal(ev)
		why := o.reason + ": chunk not analysed (class " + o.class.String() + ")"
		if o.detail != "" {
			why += ": " + truncate(o.detail, 400)
		}
		v := wire.Verdict{Stream: pd.stream, Analyser: Name, Seq: pd.seq, Time: now.UTC(), Kind: VerdictKind,
			Rule: o.class.String(), Status: VerdictStatus, Reason: why, Evidence: evb}
		msg = nats.NewMsg(wire.VerdictSubject(Name, pd.stream))
		msg.Data, _ = json.Marshal(&v)
		msg.Header.Set(wire.HeaderSchema, wire.SchemaVerdict)
		if r := hdr.Get(wire.HeaderReceived); r != "" {
			msg.Header.Set(wire.HeaderReceived, r)
		}
		telemetry.Inject(sctx, msg.Header)
		id = Name + ":" + wire.MsgID(pd.stream, pd.seq)
	}
	f, err := s.pub.Publish(ctx, msg, id)
	if err != nil {
		// Only when shutting down: the chunk stays unacknowledged and is redelivered.
		s.log.Warn("publish abandoned; chunk left for redelivery", "stream", pd.stream, "seq", pd.seq, "err", err)
		return
	}
	s.jobs <- job{msg: msg, id: id, f: f, pd: pd}
}

// acker waits for each publish to be stored, then acknowledges the chunk in CHUNKS. A failed
// publish is sent again (same dedup id) until it is stored; after ctx ends, what is already
// in flight still gets acknowledged for a few seconds.
func (s *Service) acker(ctx context.Context) {
	var stopAt <-chan time.Time
	for j := range s.jobs {
		if ctx.Err() != nil && stopAt == nil {
			stopAt = time.After(5 * time.Second)
		}
		for attempt := 1; ; attempt++ {
			var err error
			select {
			case <-j.f.Ok():
			case err = <-j.f.Err():
			case <-stopAt:
				err = context.Canceled
			}
			if err == nil {
				s.mu.Lock()
				m := j.pd.msg
				s.mu.Unlock()
				_ = m.Ack()
				s.c.acked.Add(1)
				break
			}
			if stopAt != nil {
				break // left unacknowledged: redelivered after restart, stored once by its id
			}
			s.c.publishRetries.Add(1)
			s.log.Warn("publish failed; retrying", "subject", j.msg.Subject, "attempt", attempt, "err", err)
			select {
			case <-time.After(min(time.Duration(attempt)*100*time.Millisecond, 2*time.Second)):
			case <-ctx.Done():
			}
			rctx := ctx
			if ctx.Err() != nil {
				rctx = context.WithoutCancel(ctx)
				stopAt = time.After(5 * time.Second)
			}
			f, perr := s.pub.Publish(rctx, j.msg, j.id)
			if perr != nil {
				break
			}
			j.f = f
		}
	}
}

// waitSpan records the "scheduler wait" span from enqueue to release when the chunk is traced
// (see telemetry.Traced) and returns the context to propagate.
func (s *Service) waitSpan(ctx context.Context, enq, now time.Time, attrs []attribute.KeyValue) context.Context {
	if !telemetry.Traced(ctx) {
		return ctx
	}
	sctx, span := s.tracer.Start(ctx, "scheduler wait", trace.WithTimestamp(enq), trace.WithAttributes(attrs...))
	span.End(trace.WithTimestamp(now))
	return sctx
}
