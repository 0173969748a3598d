package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/midstream/midstream/pkg/frame"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/quic-go/quic-go"
)

// Stream error code the client cancels a response stream with when it gives up on it.
const codeAbandoned quic.StreamErrorCode = 0x301

// Response is one LLM response being streamed. Send, Close and CloseWithFinal may be called
// from different goroutines; chunks are numbered in the order Send calls are served.
type Response struct {
	c        *Conn
	id       string
	meta     *wire.Meta
	hdr      map[string]string
	onAction func(wire.Action)
	onError  func(*ChunkError)
	actions  chan wire.Action
	errs     chan *ChunkError
	space    chan struct{} // signalled when acknowledgements free room in the window
	done     chan struct{}
	doneOnce sync.Once

	wmu sync.Mutex // serializes seq assignment with writes to the stream, and resumes
	buf []byte     // frame buffer, under wmu

	mu         sync.Mutex
	qs         *quic.Stream
	gen        uint64
	next       uint64   // the seq the next Send gets
	acked      uint64   // every seq below is stored in JetStream
	unacked    [][]byte // chunk JSON of seqs acked..next-1, kept for resending
	sendClosed bool
	err        error
}

// ID is the response's stream id.
func (r *Response) ID() string { return r.id }

// Actions delivers the actions ingest relays for this response (when no WithActionHandler was
// given). It has room for 64; a gateway that does not drain it loses later actions (logged).
func (r *Response) Actions() <-chan wire.Action { return r.actions }

// Errors delivers ERROR frames about this response (when no WithErrorHandler was given),
// with the same bound as Actions.
func (r *Response) Errors() <-chan *ChunkError { return r.errs }

// Done is closed when the response has ended: every chunk acknowledged after Close, or failed.
func (r *Response) Done() <-chan struct{} { return r.done }

// Err is the error that ended the response, nil while it runs or after a clean Close.
func (r *Response) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Acked is the number of chunks ingest has acknowledged: every seq below it is stored in
// JetStream.
func (r *Response) Acked() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.acked
}

// Sent is the number of chunks sent so far (the seq the next Send will assign).
func (r *Response) Sent() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.next
}

// Send streams one chunk and returns the seq it was given. The client owns the numbering:
// Stream and Seq are overwritten (0, 1, 2, ... gap-free), chunk 0 gets the response's
// metadata when it has none, and a zero Time is set to now. A chunk that fails wire
// validation is refused here without using a seq. Send blocks while WithMaxUnacked chunks
// await acknowledgement. It returns once the chunk is written to the QUIC stream (or kept
// for resending while the connection is being re-established); Acked tells when it is stored.
func (r *Response) Send(ctx context.Context, ch wire.Chunk) (uint64, error) {
	for {
		if err := r.waitWindow(ctx); err != nil {
			return 0, err
		}
		r.wmu.Lock()
		r.mu.Lock()
		if r.err != nil || r.sendClosed || r.next-r.acked < uint64(r.c.o.maxUnacked) {
			break
		}
		r.mu.Unlock()
		r.wmu.Unlock()
	}
	defer r.wmu.Unlock()
	if r.err != nil {
		err := r.err
		r.mu.Unlock()
		return 0, err
	}
	if r.sendClosed {
		r.mu.Unlock()
		return 0, ErrClosed
	}
	ch.Stream, ch.Seq = r.id, r.next
	if ch.Seq == 0 && ch.Meta == nil {
		ch.Meta = r.meta
	}
	if ch.Time.IsZero() {
		ch.Time = time.Now().UTC()
	}
	if err := ch.Validate(); err != nil {
		r.mu.Unlock()
		return 0, err
	}
	b, err := json.Marshal(&ch)
	if err != nil {
		r.mu.Unlock()
		return 0, fmt.Errorf("client: encode chunk: %w", err)
	}
	r.unacked = append(r.unacked, b)
	r.next++
	qs := r.qs
	r.mu.Unlock()
	r.buf = frame.AppendChunk(r.buf[:0], b)
	if err := writeAll(qs, r.buf); err != nil && !r.c.o.reconnect {
		err = fmt.Errorf("client: send %s seq %d: %w", r.id, ch.Seq, err)
		r.fail(err)
		return ch.Seq, err
	}
	// With reconnection on, a failed write is repaired by the resend after the reconnect.
	return ch.Seq, nil
}

func (r *Response) waitWindow(ctx context.Context) error {
	for {
		r.mu.Lock()
		ok := r.err != nil || r.sendClosed || r.next-r.acked < uint64(r.c.o.maxUnacked)
		r.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-r.space:
		case <-r.done:
		case <-ctx.Done():
			return fmt.Errorf("client: send %s: waiting for acknowledgements: %w", r.id, ctx.Err())
		}
	}
}

// CloseWithFinal sends last as the final chunk (FinishReason defaults to "stop") and closes
// the response like Close.
func (r *Response) CloseWithFinal(ctx context.Context, last wire.Chunk) error {
	last.Final = true
	if last.FinishReason == "" {
		last.FinishReason = "stop"
	}
	if _, err := r.Send(ctx, last); err != nil {
		return err
	}
	return r.Close(ctx)
}

// Close ends the response's stream and waits until every chunk sent is acknowledged, or ctx
// ends (then the stream is abandoned and the error says how many chunks were unconfirmed).
func (r *Response) Close(ctx context.Context) error {
	r.wmu.Lock()
	r.mu.Lock()
	qs := r.qs
	first := !r.sendClosed
	r.sendClosed = true
	all := r.acked == r.next
	r.mu.Unlock()
	if first {
		_ = qs.Close()
	}
	r.wmu.Unlock()
	if all {
		r.finish()
	}
	select {
	case <-r.done:
		return r.Err()
	case <-ctx.Done():
		n := r.Sent() - r.Acked()
		err := fmt.Errorf("client: close %s: %d chunks not acknowledged: %w", r.id, n, ctx.Err())
		r.fail(err)
		return err
	}
}

// open starts a QUIC stream for the response on the current connection and sends what ingest
// has not acknowledged yet. The caller holds wmu, or owns r exclusively.
func (r *Response) open(ctx context.Context) error {
	qc, gen, err := r.c.current()
	if err != nil {
		return err
	}
	qs, err := qc.OpenStreamSync(ctx)
	if err != nil {
		return fmt.Errorf("client: open stream for %s: %w", r.id, err)
	}
	if r.meta != nil {
		qs.SetPriority(urgency(r.meta.Priority), true)
	}
	r.mu.Lock()
	hdr := r.hdr
	if r.acked > 0 {
		hdr = make(map[string]string, len(r.hdr)+1)
		for k, v := range r.hdr {
			hdr[k] = v
		}
		hdr["Ms-Resume"] = strconv.FormatUint(r.acked, 10)
	}
	buf := frame.AppendHeaders(nil, hdr)
	for _, b := range r.unacked {
		buf = frame.AppendChunk(buf, b)
	}
	closed := r.sendClosed
	r.qs, r.gen = qs, gen
	r.mu.Unlock()
	if err := writeAll(qs, buf); err != nil {
		return fmt.Errorf("client: write to stream of %s: %w", r.id, err)
	}
	if closed {
		_ = qs.Close()
	}
	go r.read(qs, gen)
	return nil
}

// resume reopens the response on the current connection after a reconnect.
func (r *Response) resume() {
	select {
	case <-r.done:
		return
	default:
	}
	r.wmu.Lock()
	defer r.wmu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.open(ctx); err != nil {
		// The new connection failed too; the reconnect loop resumes again on the next one.
		r.c.o.log.Warn("midstream resume failed", "stream", r.id, "err", err)
	}
}

// read handles ACK, ERROR and ACTION frames from one QUIC stream of the response.
func (r *Response) read(qs *quic.Stream, gen uint64) {
	rd := frame.NewReader(qs)
	for {
		f, err := rd.Next()
		if err != nil {
			var de *frame.DecodeError
			if errors.As(err, &de) && de.Skipped {
				continue
			}
			if errors.Is(err, io.EOF) {
				r.mu.Lock()
				over := r.sendClosed && r.acked == r.next
				r.mu.Unlock()
				if over {
					r.finish()
				}
			}
			return
		}
		switch f.Type {
		case frame.TypeAck:
			seq, err := frame.ParseAck(f.Payload)
			if err != nil {
				continue
			}
			r.ack(seq)
		case frame.TypeError:
			e, err := frame.ParseError(f.Payload)
			if err != nil {
				continue
			}
			r.deliverError(&e)
			if !e.Fatal && e.Code != frame.CodeSeqDuplicate {
				// Ingest refused a chunk the client numbered and validated: it does not
				// advance past it, and the library cannot correct it, so the response
				// cannot go on.
				r.fail(&e)
				return
			}
			if e.Fatal {
				switch e.Code {
				case frame.CodeShuttingDown:
					// Ingest waits for its gateways to leave before closing; leaving at once
					// lets the reconnect resend elsewhere.
					r.c.retire(gen)
				case frame.CodePublishFailed, frame.CodeIdleTimeout:
					go r.resume()
				default:
					r.fail(&e)
				}
				return
			}
		case frame.TypeAction:
			a, err := wire.DecodeAction("", f.Payload)
			if err != nil {
				r.c.o.log.Warn("midstream: invalid action from ingest", "stream", r.id, "err", err)
				continue
			}
			if r.onAction != nil {
				r.onAction(*a)
				continue
			}
			select {
			case r.actions <- *a:
			default:
				r.c.o.log.Error("midstream: action dropped, Actions() not drained", "stream", r.id, "type", a.Type)
			}
		}
	}
}

func (r *Response) ack(seq uint64) {
	r.mu.Lock()
	if seq+1 > r.acked && seq < r.next {
		n := seq + 1 - r.acked
		clear(r.unacked[:n])
		r.unacked = r.unacked[n:]
		r.acked = seq + 1
	}
	over := r.sendClosed && r.acked == r.next
	r.mu.Unlock()
	select {
	case r.space <- struct{}{}:
	default:
	}
	if over {
		r.finish()
	}
}

func (r *Response) deliverError(e *ChunkError) {
	if r.onError != nil {
		r.onError(e)
		return
	}
	select {
	case r.errs <- e:
	default:
		r.c.o.log.Warn("midstream: error dropped, Errors() not drained", "stream", r.id, "err", e)
	}
}

// fail ends the response with err and abandons its stream.
func (r *Response) fail(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	qs := r.qs
	r.mu.Unlock()
	if qs != nil {
		qs.CancelWrite(codeAbandoned)
		qs.CancelRead(codeAbandoned)
	}
	r.finish()
}

func (r *Response) finish() {
	r.doneOnce.Do(func() {
		close(r.done)
		r.c.forget(r)
	})
}

// urgency maps a priority class onto RFC 9218 urgency (0 most urgent), as ingest does.
func urgency(p wire.Priority) int8 {
	switch p {
	case wire.PriorityCritical:
		return 0
	case wire.PriorityHigh:
		return 2
	case wire.PriorityLow:
		return 5
	}
	return 3
}

// writeAll queues b on the stream without waiting for the connection to packetize it when
// flow control allows: Write would hand each chunk to the packer and wait, one packet per
// chunk, while queued chunks of many Sends share packets.
func writeAll(qs *quic.Stream, b []byte) error {
	err := qs.TryWriteAll(b)
	if errors.Is(err, quic.ErrWouldBlock) {
		_, err = qs.Write(b)
	}
	return err
}
