package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/frame"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/quic-go/quic-go"
)

// fakeIngest is a scripted ingest: it accepts connections, answers AUTH, and hands each
// response stream to the test.
type fakeIngest struct {
	ln      *quic.Listener
	conns   chan *quic.Conn
	streams chan *fakeStream
	token   string
}

type fakeStream struct {
	qs *quic.Stream
	qc *quic.Conn
	r  *frame.Reader
}

func startFake(t *testing.T, token string) *fakeIngest {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, NextProtos: []string{ALPN}}
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	tr := &quic.Transport{Conn: udp}
	ln, err := tr.Listen(tc, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeIngest{ln: ln, conns: make(chan *quic.Conn, 8), streams: make(chan *fakeStream, 64), token: token}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); _ = ln.Close(); _ = tr.Close(); _ = udp.Close() })
	go func() {
		for {
			qc, err := ln.Accept(ctx)
			if err != nil {
				return
			}
			go f.serve(ctx, qc)
		}
	}()
	return f
}

func (f *fakeIngest) serve(ctx context.Context, qc *quic.Conn) {
	ctl, err := qc.AcceptStream(ctx)
	if err != nil {
		return
	}
	fr, err := frame.NewReader(ctl).Next()
	if err != nil || fr.Type != frame.TypeAuth {
		return
	}
	a, _ := frame.ParseAuth(fr.Payload)
	if a.Token != f.token {
		_, _ = ctl.Write(frame.AppendText(nil, frame.TypeAuthFail, "unknown bearer token"))
		_ = qc.CloseWithError(0x101, "midstream: authentication failed: unknown bearer token")
		return
	}
	_, _ = ctl.Write(frame.AppendText(nil, frame.TypeAuthOK, "acme"))
	f.conns <- qc
	for {
		qs, err := qc.AcceptStream(ctx)
		if err != nil {
			return
		}
		f.streams <- &fakeStream{qs: qs, qc: qc, r: frame.NewReader(qs)}
	}
}

func (f *fakeIngest) nextStream(t *testing.T) *fakeStream {
	t.Helper()
	select {
	case s := <-f.streams:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no response stream opened")
		return nil
	}
}

// expect reads the next frame, which must be of type want.
func (s *fakeStream) expect(t *testing.T, want frame.Type) []byte {
	t.Helper()
	_ = s.qs.SetReadDeadline(time.Now().Add(10 * time.Second))
	f, err := s.r.Next()
	if err != nil {
		t.Fatalf("fake ingest reading: %v", err)
	}
	if f.Type != want {
		t.Fatalf("got %v frame, want %v", f.Type, want)
	}
	return append([]byte(nil), f.Payload...)
}

func (s *fakeStream) chunk(t *testing.T) *wire.Chunk {
	t.Helper()
	c, err := wire.DecodeChunk("", s.expect(t, frame.TypeChunk))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func dialFake(t *testing.T, f *fakeIngest, opts ...Option) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, f.ln.Addr().String(), append([]Option{WithInsecureSkipVerify(), WithToken("tok")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestDialAuth(t *testing.T) {
	f := startFake(t, "tok")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Dial(ctx, f.ln.Addr().String(), WithInsecureSkipVerify(), WithToken("wrong"))
	var ae *AuthError
	if !errors.Is(err, ErrAuthFailed) || !errors.As(err, &ae) || !strings.Contains(ae.Reason, "unknown bearer token") {
		t.Fatalf("got %v, want an AuthError", err)
	}
	c := dialFake(t, f)
	if c.Tenant() != "acme" {
		t.Fatalf("tenant %q", c.Tenant())
	}
	// Without WithInsecureSkipVerify the self-signed certificate is refused.
	if _, err := Dial(ctx, f.ln.Addr().String(), WithToken("tok")); err == nil {
		t.Fatal("untrusted certificate accepted")
	}
}

func TestSendNumbering(t *testing.T) {
	f := startFake(t, "tok")
	c := dialFake(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	meta := &wire.Meta{Tenant: "acme", Priority: wire.PriorityHigh}
	r, err := c.StartResponse(ctx, "r-1", meta)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartResponse(ctx, "bad.id", nil); !errors.Is(err, wire.ErrInvalid) {
		t.Fatalf("stream id with a dot: %v", err)
	}
	s := f.nextStream(t)
	h := map[string]string{}
	if err := frame.ParseHeaders(h, s.expect(t, frame.TypeHeaders)); err != nil || h["Ms-Priority"] != "high" {
		t.Fatalf("headers %v %v", h, err)
	}
	// A chunk that fails validation is refused locally and uses no seq.
	if _, err := r.Send(ctx, wire.Chunk{Text: "bad \xff utf-8"}); !errors.Is(err, wire.ErrInvalid) {
		t.Fatalf("invalid chunk: %v", err)
	}
	for i := range 3 {
		seq, err := r.Send(ctx, wire.Chunk{Stream: "ignored", Seq: 99, Text: "t"})
		if err != nil || seq != uint64(i) {
			t.Fatalf("send %d: seq %d, %v", i, seq, err)
		}
	}
	for i := range 3 {
		ch := s.chunk(t)
		if ch.Stream != "r-1" || ch.Seq != uint64(i) || (i == 0) != (ch.Meta != nil) {
			t.Fatalf("chunk %d: %+v", i, ch)
		}
	}
	if _, err := s.qs.Write(frame.AppendAck(nil, 2)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.CloseWithFinal(ctx, wire.Chunk{Text: "end"}) }()
	if ch := s.chunk(t); !ch.Final || ch.FinishReason != "stop" || ch.Seq != 3 {
		t.Fatalf("final chunk %+v", ch)
	}
	if _, err := s.qs.Write(frame.AppendAck(nil, 3)); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if r.Acked() != 4 {
		t.Fatalf("acked %d", r.Acked())
	}
	if _, err := r.Send(ctx, wire.Chunk{Text: "late"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
}

func TestActionsAndErrors(t *testing.T) {
	f := startFake(t, "tok")
	c := dialFake(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := c.StartResponse(ctx, "r-2", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := f.nextStream(t)
	a := wire.Action{Stream: "r-2", Type: wire.ActionStop, Analyser: "attractor", Reason: "loop", Time: time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC)}
	b, _ := json.Marshal(a)
	out := frame.AppendAction(nil, b)
	out = frame.AppendError(out, frame.ErrorFrame{Code: frame.CodeSeqDuplicate, HasSeq: true, Seq: 4, Message: "seq already received"})
	out = frame.AppendError(out, frame.ErrorFrame{Code: frame.CodeInvalidChunk, Fatal: true, Message: "bad"})
	if _, err := s.qs.Write(out); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-r.Actions():
		if got != a {
			t.Fatalf("action %+v", got)
		}
	case <-ctx.Done():
		t.Fatal("no action")
	}
	e := <-r.Errors()
	if e.Code != frame.CodeSeqDuplicate || e.Seq != 4 || e.Fatal {
		t.Fatalf("error %+v", e)
	}
	select {
	case <-r.Done():
	case <-ctx.Done():
		t.Fatal("fatal error did not end the response")
	}
	var ce *ChunkError
	if !errors.As(r.Err(), &ce) || ce.Code != frame.CodeInvalidChunk {
		t.Fatalf("Err() = %v", r.Err())
	}
}

// TestResume drops the connection with chunks unacknowledged: the client redials and resends
// them on a new stream that names its first seq in Ms-Resume.
func TestResume(t *testing.T) {
	f := startFake(t, "tok")
	c := dialFake(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := c.StartResponse(ctx, "r-3", &wire.Meta{Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	s := f.nextStream(t)
	s.expect(t, frame.TypeHeaders)
	for range 5 {
		if _, err := r.Send(ctx, wire.Chunk{Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		s.chunk(t)
	}
	if _, err := s.qs.Write(frame.AppendAck(nil, 1)); err != nil {
		t.Fatal(err)
	}
	for r.Acked() != 2 {
		select {
		case <-ctx.Done():
			t.Fatal("ack not applied")
		case <-time.After(time.Millisecond): // polling the client's state
		}
	}
	_ = s.qc.CloseWithError(0x103, "going away")
	s2 := f.nextStream(t)
	h := map[string]string{}
	if err := frame.ParseHeaders(h, s2.expect(t, frame.TypeHeaders)); err != nil || h["Ms-Resume"] != "2" {
		t.Fatalf("resume headers %v %v", h, err)
	}
	for want := uint64(2); want < 5; want++ {
		if ch := s2.chunk(t); ch.Seq != want {
			t.Fatalf("resent seq %d, want %d", ch.Seq, want)
		}
	}
	if _, err := r.Send(ctx, wire.Chunk{Text: "after"}); err != nil {
		t.Fatal(err)
	}
	if ch := s2.chunk(t); ch.Seq != 5 {
		t.Fatalf("seq %d after resume, want 5", ch.Seq)
	}
}
