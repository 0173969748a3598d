package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/midstream/midstream/pkg/frame"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/quic-go/quic-go"
)

// Application error code ingest closes a connection with on authentication failure
// (services/ingest CodeAuthFailed).
const codeAuthFailed quic.ApplicationErrorCode = 0x101

// Conn is a gateway's connection to ingest. It is safe for concurrent use; responses are
// independent QUIC streams on it.
type Conn struct {
	addr string
	o    options

	mu      sync.Mutex
	qc      *quic.Conn
	gen     uint64 // connection generation, incremented on each reconnect
	tenant  string
	resps   map[*Response]struct{}
	closed  bool
	closing chan struct{} // closed by Close
	done    chan struct{} // closed when the reconnect loop ends
}

// Dial connects and authenticates to the ingest at addr (host:port). It fails with an error
// matching ErrAuthFailed when ingest refuses the token.
func Dial(ctx context.Context, addr string, opts ...Option) (*Conn, error) {
	c := &Conn{addr: addr, o: newOptions(opts), resps: map[*Response]struct{}{},
		closing: make(chan struct{}), done: make(chan struct{})}
	qc, tenant, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	c.qc, c.tenant = qc, tenant
	go c.watch()
	return c, nil
}

// dial opens a QUIC connection and runs the AUTH exchange on its control stream.
func (c *Conn) dial(ctx context.Context) (*quic.Conn, string, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	qconf := c.o.quic
	if qconf == nil {
		qconf = &quic.Config{KeepAlivePeriod: 10 * time.Second}
	}
	qc, err := quic.DialAddr(ctx, c.addr, c.o.tlsConfig(), qconf)
	if err != nil {
		return nil, "", fmt.Errorf("client: dial %s: %w", c.addr, err)
	}
	tenant, err := c.auth(ctx, qc)
	if err != nil {
		_ = qc.CloseWithError(0, "")
		return nil, "", err
	}
	return qc, tenant, nil
}

func (c *Conn) auth(ctx context.Context, qc *quic.Conn) (string, error) {
	ctl, err := qc.OpenStreamSync(ctx)
	if err != nil {
		return "", authFailure(qc, fmt.Errorf("client: control stream: %w", err))
	}
	if _, err := ctl.Write(frame.AppendAuth(nil, frame.Auth{Token: c.o.token, Client: c.o.name})); err != nil {
		return "", authFailure(qc, fmt.Errorf("client: send AUTH: %w", err))
	}
	if d, ok := ctx.Deadline(); ok {
		_ = ctl.SetReadDeadline(d)
	}
	f, err := frame.NewReader(ctl, frame.WithMaxSize(16<<10)).Next()
	if err != nil {
		return "", authFailure(qc, fmt.Errorf("client: waiting for AUTH_OK: %w", err))
	}
	_ = ctl.SetReadDeadline(time.Time{})
	switch f.Type {
	case frame.TypeAuthOK:
		return frame.ParseText(f.Type, f.Payload)
	case frame.TypeAuthFail:
		reason, _ := frame.ParseText(f.Type, f.Payload)
		return "", &AuthError{Reason: reason}
	}
	return "", protocolErr("%v frame on the control stream, want AUTH_OK or AUTH_FAIL", f.Type)
}

// authFailure turns a connection closed with ingest's authentication code into an *AuthError.
func authFailure(qc *quic.Conn, err error) error {
	var ae *quic.ApplicationError
	if errors.As(context.Cause(qc.Context()), &ae) || errors.As(err, &ae) {
		if ae.ErrorCode == codeAuthFailed {
			return &AuthError{Reason: ae.ErrorMessage}
		}
	}
	return err
}

// Tenant is the tenant ingest mapped the token to ("" when the token is not tied to one).
func (c *Conn) Tenant() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tenant
}

// current returns the live QUIC connection and its generation.
func (c *Conn) current() (*quic.Conn, uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, 0, ErrClosed
	}
	return c.qc, c.gen, nil
}

// watch redials whenever the connection is lost and resumes every open response on the new one.
func (c *Conn) watch() {
	defer close(c.done)
	for {
		c.mu.Lock()
		qc := c.qc
		c.mu.Unlock()
		<-qc.Context().Done()
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if closed {
			return
		}
		cause := context.Cause(qc.Context())
		if !c.o.reconnect {
			c.failAll(fmt.Errorf("client: connection lost: %w", cause))
			return
		}
		c.o.log.Warn("midstream connection lost, reconnecting", "addr", c.addr, "cause", cause)
		wait := c.o.reconnectWait
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			nqc, tenant, err := c.dial(ctx)
			cancel()
			if err == nil {
				c.mu.Lock()
				if c.closed {
					c.mu.Unlock()
					_ = nqc.CloseWithError(0, "")
					return
				}
				c.qc, c.tenant = nqc, tenant
				c.gen++
				resps := make([]*Response, 0, len(c.resps))
				for r := range c.resps {
					resps = append(resps, r)
				}
				c.mu.Unlock()
				c.o.log.Info("midstream reconnected", "addr", c.addr, "responses", len(resps))
				for _, r := range resps {
					r.resume()
				}
				break
			}
			if errors.Is(err, ErrAuthFailed) {
				c.failAll(err)
				return
			}
			c.o.log.Warn("midstream reconnect failed", "addr", c.addr, "err", err, "retry_in", wait)
			c.mu.Lock()
			closed := c.closed
			c.mu.Unlock()
			if closed {
				return
			}
			select {
			case <-c.closing:
				return
			case <-time.After(wait): // backoff between dial attempts
			}
			wait = min(2*wait, 2*time.Second)
		}
	}
}

// retire closes connection generation gen if it is still the current one; the watcher then
// reconnects.
func (c *Conn) retire(gen uint64) {
	c.mu.Lock()
	qc := c.qc
	current := c.gen == gen && !c.closed
	c.mu.Unlock()
	if current {
		_ = qc.CloseWithError(0, "ingest is draining")
	}
}

func (c *Conn) failAll(err error) {
	c.mu.Lock()
	resps := make([]*Response, 0, len(c.resps))
	for r := range c.resps {
		resps = append(resps, r)
	}
	c.mu.Unlock()
	for _, r := range resps {
		r.fail(err)
	}
}

// Close closes the connection at once. Open responses fail with ErrClosed; chunks they have
// not had acknowledged may or may not be stored. Close each Response first to wait for its
// acknowledgements.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.closing)
	qc := c.qc
	c.mu.Unlock()
	err := qc.CloseWithError(0, "gateway closing")
	c.failAll(ErrClosed)
	<-c.done
	return err
}

// StartResponse opens a QUIC stream for one LLM response. meta travels on chunk 0 (the first
// Send). The trace context of ctx is sent along, so ingest's spans join the gateway's trace.
func (c *Conn) StartResponse(ctx context.Context, streamID string, meta *wire.Meta, opts ...ResponseOption) (*Response, error) {
	if err := wire.ValidateStreamID(streamID); err != nil {
		return nil, err
	}
	r := &Response{
		c: c, id: streamID, meta: meta,
		hdr:     map[string]string{},
		actions: make(chan wire.Action, 64),
		errs:    make(chan *ChunkError, 64),
		space:   make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	for _, o := range opts {
		o(r)
	}
	c.o.prop.Inject(ctx, mapCarrier(r.hdr))
	if meta != nil && meta.Priority != "" {
		r.hdr["Ms-Priority"] = string(meta.Priority)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	c.resps[r] = struct{}{}
	c.mu.Unlock()
	// A reconnect may resume r as soon as it is registered; wmu keeps that after this open.
	r.wmu.Lock()
	err := r.open(ctx)
	r.wmu.Unlock()
	if err != nil {
		r.fail(err)
		return nil, err
	}
	return r, nil
}

func (c *Conn) forget(r *Response) {
	c.mu.Lock()
	delete(c.resps, r)
	c.mu.Unlock()
}

// mapCarrier carries trace context into a HEADERS frame.
type mapCarrier map[string]string

func (m mapCarrier) Get(k string) string { return m[k] }
func (m mapCarrier) Set(k, v string)     { m[k] = v }
func (m mapCarrier) Keys() []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
