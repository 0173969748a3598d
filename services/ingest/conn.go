package ingest

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/midstream/midstream/pkg/frame"
	"github.com/quic-go/quic-go"
)

// gwConn is one gateway connection.
type gwConn struct {
	s       *Server
	qc      *quic.Conn
	log     *slog.Logger
	tenant  string
	client  string
	streams sync.WaitGroup

	mu      sync.Mutex
	open    map[*respStream]struct{}
	stopped bool
}

// handleConn authenticates the connection on its control stream, then serves its response
// streams until the connection ends.
func (s *Server) handleConn(ctx context.Context, qc *quic.Conn) {
	c := &gwConn{s: s, qc: qc, open: map[*respStream]struct{}{},
		log: s.log.With("remote", qc.RemoteAddr().String())}
	ctl, err := c.authenticate(ctx)
	if err != nil {
		return
	}
	s.mu.Lock()
	if s.draining {
		s.mu.Unlock()
		_ = qc.CloseWithError(CodeShuttingDown, "midstream ingest shutting down")
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	s.m.conns.Add(qc.Context(), 1)
	c.log.Info("gateway connected", "client", c.client, "tenant", c.tenant)
	defer func() {
		c.streams.Wait()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.m.conns.Add(context.WithoutCancel(qc.Context()), -1)
		c.log.Info("gateway disconnected", "client", c.client, "cause", context.Cause(qc.Context()))
	}()
	// The control stream carries nothing after AUTH; reading it notices a gateway that closes it.
	go func() {
		r := frame.NewReader(ctl, frame.WithMaxSize(4<<10))
		for {
			if _, err := r.Next(); err != nil {
				return
			}
		}
	}()
	for {
		qs, err := qc.AcceptStream(qc.Context())
		if err != nil {
			return
		}
		c.mu.Lock()
		if c.stopped {
			c.mu.Unlock()
			qs.CancelRead(StreamCodeShuttingDown)
			qs.CancelWrite(StreamCodeShuttingDown)
			continue
		}
		st := newRespStream(c, qs)
		c.open[st] = struct{}{}
		c.streams.Add(1)
		c.mu.Unlock()
		go func() {
			defer c.streams.Done()
			st.run()
			c.mu.Lock()
			delete(c.open, st)
			c.mu.Unlock()
		}()
	}
}

// authenticate reads the AUTH frame from the first stream the gateway opens and answers
// AUTH_OK, or AUTH_FAIL followed by closing the connection with CodeAuthFailed.
func (c *gwConn) authenticate(ctx context.Context) (*quic.Stream, error) {
	s := c.s
	actx, cancel := context.WithTimeout(ctx, s.cfg.AuthTimeout)
	defer cancel()
	ctl, err := c.qc.AcceptStream(actx)
	if err != nil {
		c.refuse(CodeAuthProtocol, "no control stream within "+s.cfg.AuthTimeout.String())
		return nil, err
	}
	_ = ctl.SetReadDeadline(time.Now().Add(s.cfg.AuthTimeout))
	f, err := frame.NewReader(ctl, frame.WithMaxSize(16<<10)).Next()
	if err != nil {
		c.refuse(CodeAuthProtocol, "reading AUTH frame: "+err.Error())
		return nil, err
	}
	if f.Type != frame.TypeAuth {
		c.refuse(CodeAuthProtocol, "first frame on the control stream is "+f.Type.String()+", want AUTH")
		return nil, errors.New("no auth frame")
	}
	a, err := frame.ParseAuth(f.Payload)
	if err != nil {
		c.refuse(CodeAuthProtocol, err.Error())
		return nil, err
	}
	c.client = a.Client
	tenant, ok := s.authenticate(a.Token)
	if !ok {
		reason := "unknown bearer token"
		if a.Token == "" {
			reason = "no bearer token (this server requires one)"
		}
		s.m.authFailures.Add(ctx, 1)
		_, _ = ctl.Write(frame.AppendText(nil, frame.TypeAuthFail, reason))
		c.refuse(CodeAuthFailed, "midstream: authentication failed: "+reason)
		return nil, errors.New(reason)
	}
	_ = ctl.SetReadDeadline(time.Time{})
	c.tenant = tenant
	if _, err := ctl.Write(frame.AppendText(nil, frame.TypeAuthOK, tenant)); err != nil {
		return nil, err
	}
	return ctl, nil
}

func (c *gwConn) refuse(code quic.ApplicationErrorCode, msg string) {
	c.log.Warn("gateway refused", "client", c.client, "code", uint64(code), "reason", msg)
	_ = c.qc.CloseWithError(code, msg)
}

// stopReading makes every stream of the connection stop reading; their in-flight publishes
// still complete and are acknowledged.
func (c *gwConn) stopReading() {
	c.mu.Lock()
	c.stopped = true
	open := make([]*respStream, 0, len(c.open))
	for st := range c.open {
		open = append(open, st)
	}
	c.mu.Unlock()
	for _, st := range open {
		st.stopReading()
	}
}
