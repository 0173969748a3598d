package ingest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"os"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/midstream/midstream/pkg/frame"
	"github.com/midstream/midstream/pkg/telemetry"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/quic-go/quic-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// respStream is one LLM response on one QUIC stream: a reader goroutine that validates and
// publishes chunks, and a writer (run) that turns JetStream acknowledgements into ACK frames in
// seq order and writes ERROR and ACTION frames.
type respStream struct {
	c      *gwConn
	s      *Server
	qs     *quic.Stream
	log    *slog.Logger
	ctx    context.Context // cancelled to stop reading (drain, fatal error)
	cancel context.CancelFunc

	pubs    chan pending          // reader → writer, in seq order
	errs    chan frame.ErrorFrame // reader → writer
	actions chan []byte           // action router → writer

	mu sync.Mutex
	id string // the response's stream id, once its first chunk arrived

	hint string // reader only: the stream id of the last chunk decoded, for logs before id is set
}

// noSpan stands in for the span of an untraced chunk.
var noSpan = trace.SpanFromContext(context.Background())

type pending struct {
	seq  uint64
	fut  jetstream.PubAckFuture
	recv time.Time
	span trace.Span
}

func newRespStream(c *gwConn, qs *quic.Stream) *respStream {
	ctx, cancel := context.WithCancel(context.WithoutCancel(c.qc.Context()))
	return &respStream{
		c: c, s: c.s, qs: qs, log: c.log, ctx: ctx, cancel: cancel,
		pubs:    make(chan pending, 64),
		errs:    make(chan frame.ErrorFrame, 16),
		actions: make(chan []byte, 64),
	}
}

func (st *respStream) streamID() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.id
}

// stopReading makes the reader return; chunks already read are still acknowledged.
func (st *respStream) stopReading() {
	st.cancel()
	st.qs.CancelRead(StreamCodeShuttingDown)
}

func (st *respStream) run() {
	s := st.s
	s.m.streams.Add(st.ctx, 1)
	readDone := make(chan struct{})
	go func() { defer close(readDone); st.read() }()
	st.write()
	st.cancel()
	<-readDone
	if id := st.streamID(); id != "" {
		s.routes.remove(id, st)
	}
	s.m.streams.Add(context.WithoutCancel(st.ctx), -1)
}

// read validates and publishes chunks until the gateway finishes the stream, the stream
// fails, or the server drains. Publishing blocks while JetStream is behind; the stream is then
// not read and QUIC flow control holds the gateway back.
func (st *respStream) read() {
	defer close(st.pubs)
	s := st.s
	r := frame.NewReader(st.qs, frame.WithMaxSize(s.cfg.MaxFrameSize))
	hdr, scratch := map[string]string{}, map[string]string{}
	parent := st.ctx
	var (
		next    uint64
		started bool
		final   bool
	)
	// The read deadline is pushed forward at most every IdleTimeout/8, not per frame: the
	// timeout is coarse, and the call takes the stream's lock.
	var deadlineSet time.Time
	for {
		if now := time.Now(); now.Sub(deadlineSet) > s.cfg.IdleTimeout/8 {
			_ = st.qs.SetReadDeadline(now.Add(s.cfg.IdleTimeout))
			deadlineSet = now
		}
		f, err := r.Next()
		if err != nil {
			st.readFailed(err, f)
			var de *frame.DecodeError
			if errors.As(err, &de) && de.Skipped {
				continue
			}
			return
		}
		switch f.Type {
		case frame.TypeHeaders:
			clear(scratch)
			if err := frame.ParseHeaders(scratch, f.Payload); err != nil {
				st.reject(frame.CodeMalformedFrame, false, 0, err.Error(), f.Payload, "malformed", false)
				continue
			}
			// Each frame is capped, but frames accumulate: cap the keys per stream too.
			n := len(hdr)
			for k := range scratch {
				if _, ok := hdr[k]; !ok {
					n++
				}
			}
			if n > frame.MaxHeaders {
				st.reject(frame.CodeMalformedFrame, false, 0, "more than "+strconv.Itoa(frame.MaxHeaders)+
					" header keys on one stream", f.Payload, "malformed", false)
				continue
			}
			maps.Copy(hdr, scratch)
			parent = s.prop.Extract(st.ctx, telemetry.MapCarrier(hdr))
			if p := hdr[HeaderPriority]; p != "" {
				st.setPriority(wire.Priority(p))
			}
		case frame.TypeChunk:
			recv := time.Now()
			// encoding/json quietly turns invalid UTF-8 into U+FFFD, but the original bytes
			// are what is published: refuse them before decoding.
			if !utf8.Valid(f.Payload) {
				st.reject(frame.CodeInvalidChunk, false, 0, "chunk JSON is not valid UTF-8", f.Payload, "invalid_chunk", false)
				continue
			}
			c, err := wire.DecodeChunk(hdr[wire.HeaderSchema], f.Payload)
			if c != nil {
				st.hint = c.Stream
			}
			if err != nil {
				code, reason := frame.CodeInvalidChunk, "invalid_chunk"
				if errors.Is(err, wire.ErrSchemaVersion) {
					code, reason = frame.CodeSchemaVersion, "schema_version"
				}
				var seq uint64
				if c != nil {
					seq = c.Seq
				}
				st.reject(code, c != nil, seq, err.Error(), f.Payload, reason, false)
				continue
			}
			if !started {
				if c.Seq != 0 && hdr[HeaderResume] != strconv.FormatUint(c.Seq, 10) {
					st.reject(frame.CodeSeqGap, true, c.Seq, "the first chunk on a stream must be seq 0, or the seq named by the "+
						HeaderResume+" header when resuming", f.Payload, "seq_gap", false)
					continue
				}
			} else {
				switch {
				case c.Stream != st.id:
					st.reject(frame.CodeStreamMismatch, true, c.Seq, "chunk for stream "+strconv.Quote(c.Stream)+
						" on the QUIC stream of "+strconv.Quote(st.id), f.Payload, "stream_mismatch", false)
					continue
				case final:
					st.reject(frame.CodeAfterFinal, true, c.Seq, "the response already ended with its final chunk", f.Payload, "after_final", false)
					continue
				case c.Seq < next:
					st.reject(frame.CodeSeqDuplicate, true, c.Seq, "seq already received on this stream; next expected is "+
						strconv.FormatUint(next, 10), f.Payload, "seq_duplicate", false)
					continue
				case c.Seq > next:
					st.reject(frame.CodeSeqGap, true, c.Seq, "expected seq "+strconv.FormatUint(next, 10), f.Payload, "seq_gap", false)
					continue
				}
			}
			if c.Meta != nil && st.c.tenant != "" && c.Meta.Tenant != "" && c.Meta.Tenant != st.c.tenant {
				st.reject(frame.CodeInvalidChunk, true, c.Seq, "meta.tenant "+strconv.Quote(c.Meta.Tenant)+
					" is not the tenant of this gateway's token", f.Payload, "tenant", false)
				continue
			}
			if !started {
				started = true
				st.mu.Lock()
				st.id = c.Stream
				st.mu.Unlock()
				s.routes.add(c.Stream, st)
			}
			if c.Meta != nil {
				st.setPriority(c.Meta.Priority)
			}
			if !st.publish(parent, c, f.Payload, recv) {
				return
			}
			next = c.Seq + 1
			final = c.Final
		default:
			st.reject(frame.CodeProtocolFailure, false, 0, f.Type.String()+" frames are not sent by gateways", f.Payload, "protocol", false)
		}
	}
}

// publish sends one validated chunk to JetStream and hands its future to the writer. It
// returns false when the stream must stop reading.
func (st *respStream) publish(parent context.Context, c *wire.Chunk, payload []byte, recv time.Time) bool {
	s := st.s
	// A span per chunk only where the gateway traces (a valid, sampled parent): a root span
	// per chunk of untraced traffic would be noise and costs a microsecond per chunk. An
	// unsampled parent is passed on unchanged so the trace id still reaches the analysers.
	ctx, span := parent, noSpan
	if psc := trace.SpanContextFromContext(parent); psc.IsSampled() {
		ctx, span = s.tracer.Start(parent, "ingest chunk", trace.WithSpanKind(trace.SpanKindProducer))
		if span.IsRecording() {
			span.SetAttributes(attribute.String("midstream.stream", c.Stream), attribute.Int64("midstream.seq", int64(c.Seq)),
				attribute.String("messaging.system", "nats"), attribute.String("messaging.destination.name", wire.InSubject(c.Stream)))
		}
	}
	msg := &nats.Msg{Subject: wire.InSubject(c.Stream), Header: make(nats.Header, 6)}
	// The frame reader reuses its buffer, and the JetStream client keeps the message for retries.
	msg.Data = append([]byte(nil), payload...)
	msg.Header[wire.HeaderSchema] = []string{wire.SchemaChunk}
	msg.Header[wire.HeaderReceived] = []string{strconv.FormatInt(recv.UnixNano(), 10)}
	s.prop.Inject(ctx, telemetry.HeaderCarrier(msg.Header))
	fut, err := s.pub.Publish(st.ctx, msg, wire.MsgID(c.Stream, c.Seq))
	if err != nil {
		span.End()
		if st.ctx.Err() != nil {
			return false // draining: the gateway resends what was not acknowledged
		}
		st.reject(frame.CodePublishFailed, true, c.Seq, err.Error(), nil, "publish", true)
		return false
	}
	select {
	case st.pubs <- pending{seq: c.Seq, fut: fut, recv: recv, span: span}:
	case <-st.ctx.Done():
		// The writer is gone; the publish still completes and JetStream keeps the chunk.
		span.End()
		return false
	}
	s.m.chunksIn.Add(st.ctx, 1)
	s.m.bytesIn.Add(st.ctx, int64(len(payload)))
	return true
}

// readFailed answers a frame-level failure with an ERROR frame where the gateway can still
// hear it.
func (st *respStream) readFailed(err error, f frame.Frame) {
	var de *frame.DecodeError
	switch {
	case errors.Is(err, io.EOF):
		// The gateway finished the stream.
	case errors.As(err, &de):
		code, reason := frame.CodeMalformedFrame, "malformed"
		switch {
		case errors.Is(err, frame.ErrFrameTooLarge):
			code, reason = frame.CodeFrameTooLarge, "frame_too_large"
		case errors.Is(err, frame.ErrUnknownType):
			code, reason = frame.CodeUnknownType, "unknown_type"
		}
		st.reject(code, false, 0, err.Error(), f.Payload, reason, !de.Skipped)
	case errors.Is(err, os.ErrDeadlineExceeded):
		st.reject(frame.CodeIdleTimeout, false, 0, "nothing received for "+st.s.cfg.IdleTimeout.String(), nil, "idle", true)
		st.qs.CancelRead(StreamCodeIdle)
	default:
		// Reset by the gateway, connection lost, or stopped by a drain.
		if st.ctx.Err() == nil {
			st.log.Debug("response stream ended", "stream", st.streamID(), "err", err)
		}
	}
}

// reject reports a bad frame or chunk: an ERROR frame to the gateway, a dead-letter record
// with the original bytes, a log line and a metric. Fatal errors end the stream.
func (st *respStream) reject(code frame.Code, hasSeq bool, seq uint64, msg string, data []byte, reason string, fatal bool) {
	s := st.s
	s.m.rejected.Add(st.ctx, 1, metric.WithAttributes(attribute.String("reason", reason)))
	id := st.streamID()
	subject := ""
	if id != "" {
		subject = wire.InSubject(id)
	} else if wire.ValidateStreamID(st.hint) == nil {
		// Not yet routed (the first chunk was refused), but the chunk named a usable id.
		id = st.hint
	}
	st.log.Warn("rejected", "stream", id, "code", code.String(), "seq", seq, "has_seq", hasSeq, "fatal", fatal, "err", msg)
	if code != frame.CodeIdleTimeout && code != frame.CodePublishFailed {
		s.deadLetter(subject, id, data, errors.New(code.String()+": "+msg))
	}
	e := frame.ErrorFrame{Code: code, HasSeq: hasSeq, Seq: seq, Fatal: fatal, Message: msg}
	select {
	case st.errs <- e:
	case <-st.ctx.Done():
	}
	if fatal {
		st.cancel()
	}
}

// setPriority maps the response's priority class onto the QUIC stream's send urgency
// (RFC 9218; lower is sooner), so ACK and ACTION frames of urgent responses leave first when
// the connection is congested.
func (st *respStream) setPriority(p wire.Priority) {
	u := int8(3)
	switch p {
	case wire.PriorityCritical:
		u = 0
	case wire.PriorityHigh:
		u = 2
	case wire.PriorityLow:
		u = 5
	}
	st.qs.SetPriority(u, true)
}

// write is the only goroutine writing to the QUIC stream. It acknowledges chunks in seq order
// as JetStream stores them, coalescing consecutive acknowledgements into one ACK frame.
func (st *respStream) write() {
	s := st.s
	buf := make([]byte, 0, 1024)
	var (
		acked   uint64
		dirty   bool // an ACK for acked is due
		broken  bool // the gateway no longer hears us
		failed  bool // a publish failed: acknowledgements stop at the failed seq
		pubs    = st.pubs
		errsCh  = st.errs
		flushAt = func() {
			if broken || len(buf) == 0 {
				buf = buf[:0]
				return
			}
			// Queue without waiting for the packer when flow control allows (see
			// client.writeAll); only a gateway that stops reading makes us wait.
			err := st.qs.TryWriteAll(buf)
			if errors.Is(err, quic.ErrWouldBlock) {
				_ = st.qs.SetWriteDeadline(time.Now().Add(s.cfg.IdleTimeout))
				_, err = st.qs.Write(buf)
			}
			if err != nil {
				broken = true
				st.cancel()
				st.qs.CancelRead(StreamCodeFatal)
			}
			buf = buf[:0]
		}
	)
	settle := func(p *pending, ack *jetstream.PubAck, err error) {
		s.m.publishLatency.Record(st.ctx, time.Since(p.recv).Seconds())
		if err != nil {
			p.span.RecordError(err)
			p.span.SetStatus(codes.Error, err.Error())
			p.span.End()
			if !failed {
				failed = true
				st.log.Error("publish failed", "stream", st.streamID(), "seq", p.seq, "err", err)
				buf = frame.AppendError(buf, frame.ErrorFrame{Code: frame.CodePublishFailed, HasSeq: true, Seq: p.seq, Fatal: true,
					Message: "JetStream did not store the chunk: " + err.Error()})
				st.cancel()
				st.qs.CancelRead(StreamCodeFatal)
			}
			return
		}
		if ack.Duplicate {
			s.m.duplicates.Add(st.ctx, 1)
		}
		p.span.End()
		if !failed {
			acked, dirty = p.seq, true
		}
	}
	// q holds the publishes awaiting JetStream in seq order; it is bounded by the server-wide
	// MaxPending because every entry holds a publisher slot, so the channel from the reader
	// can stay small however many publishes one stream has in flight.
	var q []pending
	pop := func() {
		q[0] = pending{}
		q = q[1:]
	}
	for len(q) > 0 || pubs != nil {
		var okc <-chan *jetstream.PubAck
		var errc <-chan error
		if len(q) > 0 {
			okc, errc = q[0].fut.Ok(), q[0].fut.Err()
		}
		select {
		case p, ok := <-pubs:
			if !ok {
				pubs = nil
				continue
			}
			q = append(q, p)
		case ack := <-okc:
			settle(&q[0], ack, nil)
			pop()
		case err := <-errc:
			settle(&q[0], nil, err)
			pop()
		case e := <-errsCh:
			buf = frame.AppendError(buf, e)
		case a := <-st.actions:
			buf = frame.AppendAction(buf, a)
			s.m.actions.Add(st.ctx, 1)
		}
		// Take what the reader has queued and settle every publish that is already complete,
		// then write one ACK for them all.
	drain:
		for pubs != nil {
			select {
			case p, ok := <-pubs:
				if !ok {
					pubs = nil
					break drain
				}
				q = append(q, p)
			default:
				break drain
			}
		}
	settled:
		for len(q) > 0 {
			select {
			case ack := <-q[0].fut.Ok():
				settle(&q[0], ack, nil)
			case err := <-q[0].fut.Err():
				settle(&q[0], nil, err)
			default:
				break settled
			}
			pop()
		}
		if dirty {
			if s.testHookAck != nil {
				s.testHookAck()
			}
			buf = frame.AppendAck(buf, acked)
			dirty = false
		}
		flushAt()
	}
	// The reader is done: deliver its last errors, tell a drained gateway why, and finish.
	for {
		select {
		case e := <-errsCh:
			buf = frame.AppendError(buf, e)
			continue
		default:
		}
		break
	}
	if s.isDraining() && !failed {
		buf = frame.AppendError(buf, frame.ErrorFrame{Code: frame.CodeShuttingDown, Fatal: true,
			Message: "ingest is draining: resend unacknowledged chunks on a new connection"})
	}
	flushAt()
	if !broken {
		_ = st.qs.Close()
	}
}
