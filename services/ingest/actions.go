package ingest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Bounds of the memory of recently closed streams, which tells a late action (the analyser
// finished after the response did: normal) from one for a stream this server never saw.
const (
	closedMemory    = 5 * time.Minute
	closedMemoryMax = 100_000
)

// routes maps stream ids to the open QUIC stream carrying them.
type routes struct {
	mu     sync.RWMutex
	open   map[string]*respStream
	closed map[string]time.Time
}

// add routes id to st. A resumed response (after a reconnect) replaces its old stream, which
// may not have noticed yet that its connection is gone.
func (r *routes) add(id string, st *respStream) {
	r.mu.Lock()
	r.open[id] = st
	delete(r.closed, id)
	r.mu.Unlock()
}

func (r *routes) remove(id string, st *respStream) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.open[id] != st {
		return
	}
	delete(r.open, id)
	if len(r.closed) >= closedMemoryMax {
		cut := time.Now().Add(-closedMemory)
		for k, t := range r.closed {
			if t.Before(cut) {
				delete(r.closed, k)
			}
		}
		if len(r.closed) >= closedMemoryMax {
			clear(r.closed)
		}
	}
	r.closed[id] = time.Now()
}

func (r *routes) lookup(id string) (st *respStream, recentlyClosed bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if st = r.open[id]; st != nil {
		return st, false
	}
	t, ok := r.closed[id]
	return nil, ok && time.Since(t) < closedMemory
}

// onAction relays an action from ms.action.<stream> to the gateway holding that response.
// It runs on the NATS subscription's goroutine and never blocks on a gateway.
func (s *Server) onAction(m *nats.Msg) {
	ctx := context.Background() // the NATS callback carries no context; metrics only
	miss := func(reason string, err error, stream string, dlq bool) {
		s.m.actionsMissed.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", reason)))
		if dlq {
			s.log.Warn("action not relayed", "stream", stream, "subject", m.Subject, "reason", reason, "err", err)
			s.deadLetter(m.Subject, stream, m.Data, err)
		} else {
			s.log.Debug("action not relayed", "stream", stream, "subject", m.Subject, "reason", reason)
		}
	}
	info, err := wire.ParseSubject(m.Subject)
	if err != nil {
		miss("bad_subject", err, "", true)
		return
	}
	a, err := wire.DecodeAction(m.Header.Get(wire.HeaderSchema), m.Data)
	if err != nil {
		miss("invalid", err, info.Stream, true)
		return
	}
	if a.Stream != info.Stream {
		miss("stream_mismatch", errors.New("action for stream "+a.Stream+" published on "+m.Subject), info.Stream, true)
		return
	}
	st, late := s.routes.lookup(info.Stream)
	if st == nil {
		if late {
			miss("stream_closed", nil, info.Stream, false)
			return
		}
		miss("unknown_stream", errors.New("no open response stream "+info.Stream+" on this ingest"), info.Stream, !s.cfg.NoDeadLetterUnknownActions)
		return
	}
	select {
	case st.actions <- append([]byte(nil), m.Data...):
	default:
		miss("backlog", errors.New("the gateway is not reading actions of "+info.Stream), info.Stream, true)
	}
}

// deadLetter is one record for the DLQ worker.
type deadLetter struct {
	subject, stream string
	data            []byte
	reason          error
}

// deadLetter queues a dead-letter record. The queue is bounded so that a flood of bad input
// cannot hold up chunk streams; a record that does not fit is logged instead.
func (s *Server) deadLetter(subject, stream string, data []byte, reason error) {
	select {
	case s.dlq <- deadLetter{subject: subject, stream: stream, data: append([]byte(nil), data...), reason: reason}:
	default:
		s.log.Error("dead-letter queue full, record only logged", "stream", stream, "subject", subject, "reason", reason)
	}
}

// runDeadLetters stores queued records until Serve stops it, then stores what is left.
func (s *Server) runDeadLetters() {
	store := func(d deadLetter) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := bus.DeadLetter(ctx, s.js, deadLetterSource, d.subject, d.stream, d.data, d.reason); err != nil {
			s.log.Error("dead letter not stored", "stream", d.stream, "reason", d.reason, "err", err)
		}
	}
	for {
		select {
		case d := <-s.dlq:
			store(d)
		case <-s.dlqStop:
			for {
				select {
				case d := <-s.dlq:
					store(d)
				default:
					return
				}
			}
		}
	}
}
