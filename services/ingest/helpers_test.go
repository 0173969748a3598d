package ingest

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/bus/bustest"
	"github.com/midstream/midstream/pkg/client"
	"github.com/midstream/midstream/pkg/frame"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/quic-go/quic-go"
)

var t0 = time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC)

type testEnv struct {
	bus *bustest.Env
	srv *Server
}

// startServer runs an ingest on 127.0.0.1 against a fresh embedded JetStream. edit may change
// the config before New.
func startServer(t testing.TB, edit func(*Config)) *testEnv {
	t.Helper()
	env := bustest.Start(t, bus.Topology{Partitions: 4})
	cfg := Config{Addr: "127.0.0.1:0", CertDir: t.TempDir()}
	if edit != nil {
		edit(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err := New(cfg, env.Connect(t), log)
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{bus: env, srv: srv}
}

// serve starts Serve; the test's cleanup cancels it and waits for it to return.
func (e *testEnv) serve(t testing.TB) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}

func (e *testEnv) dial(t testing.TB, opts ...client.Option) *client.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, e.srv.Addr().String(), append([]client.Option{client.WithInsecureSkipVerify()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// chunksOf reads every stored chunk of stream from CHUNKS, in stream order.
func (e *testEnv) chunksOf(t testing.TB, stream string) []jetstream.Msg {
	t.Helper()
	return e.readAll(t, bus.StreamChunks, wire.ChunkStreamFilter(stream))
}

func (e *testEnv) readAll(t testing.TB, streamName, filter string) []jetstream.Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cons, err := e.bus.JS.OrderedConsumer(ctx, streamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := int(info.NumPending)
	var out []jetstream.Msg
	for len(out) < n {
		batch, err := cons.FetchNoWait(n - len(out))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			out = append(out, m)
			got++
		}
		if got == 0 {
			if ctx.Err() != nil {
				t.Fatalf("read %d of %d messages from %s", len(out), n, streamName)
			}
		}
	}
	return out
}

func (e *testEnv) count(t testing.TB, streamName, filter string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := e.bus.JS.Stream(ctx, streamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range info.State.Subjects {
		n += int(c)
	}
	return n
}

// rawConn is a hand-driven gateway connection, for sending what pkg/client never would.
type rawConn struct {
	qc *quic.Conn
}

func (e *testEnv) rawDial(t testing.TB, token string) (*rawConn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	qc, err := quic.DialAddr(ctx, e.srv.Addr().String(), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{ALPN}}, nil)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = qc.CloseWithError(0, "") })
	ctl, err := qc.OpenStreamSync(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := ctl.Write(frame.AppendAuth(nil, frame.Auth{Token: token, Client: "raw"})); err != nil {
		return nil, err
	}
	f, err := frame.NewReader(ctl).Next()
	if err != nil {
		return nil, err
	}
	if f.Type != frame.TypeAuthOK {
		return nil, errors.New("no AUTH_OK: " + f.Type.String())
	}
	return &rawConn{qc: qc}, nil
}

// rawStream is one hand-driven response stream.
type rawStream struct {
	t  testing.TB
	qs *quic.Stream
	r  *frame.Reader
}

func (c *rawConn) open(t testing.TB) *rawStream {
	t.Helper()
	qs, err := c.qc.OpenStreamSync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return &rawStream{t: t, qs: qs, r: frame.NewReader(qs)}
}

func (s *rawStream) write(b []byte) {
	s.t.Helper()
	if _, err := s.qs.Write(b); err != nil {
		s.t.Fatal(err)
	}
}

func (s *rawStream) chunk(stream string, seq uint64, text string) {
	s.t.Helper()
	s.write(frame.AppendChunk(nil, chunkJSON(s.t, stream, seq, text, false)))
}

// next reads the next frame the server sends, with a deadline.
func (s *rawStream) next() frame.Frame {
	s.t.Helper()
	_ = s.qs.SetReadDeadline(time.Now().Add(10 * time.Second))
	f, err := s.r.Next()
	if err != nil {
		s.t.Fatalf("reading from ingest: %v", err)
	}
	return f
}

// expectError reads frames until an ERROR arrives and checks its code.
func (s *rawStream) expectError(code frame.Code) frame.ErrorFrame {
	s.t.Helper()
	for {
		f := s.next()
		if f.Type != frame.TypeError {
			continue
		}
		e, err := frame.ParseError(f.Payload)
		if err != nil {
			s.t.Fatal(err)
		}
		if e.Code != code {
			s.t.Fatalf("ERROR %v (%s), want %v", e.Code, e.Message, code)
		}
		return e
	}
}

// expectAck reads frames until an ACK for at least seq arrives; ERROR frames fail the test.
func (s *rawStream) expectAck(seq uint64) {
	s.t.Helper()
	for {
		f := s.next()
		switch f.Type {
		case frame.TypeAck:
			got, _ := frame.ParseAck(f.Payload)
			if got >= seq {
				return
			}
		case frame.TypeError:
			e, _ := frame.ParseError(f.Payload)
			s.t.Fatalf("unexpected %v", &e)
		}
	}
}

func chunkJSON(t testing.TB, stream string, seq uint64, text string, final bool) []byte {
	t.Helper()
	c := wire.Chunk{Stream: stream, Seq: seq, Time: t0, Text: text, Final: final}
	if final {
		c.FinishReason = "stop"
	}
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// eventually polls cond until it holds or within passes.
func eventually(t testing.TB, within time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	bustest.Eventually(t, within, cond, msg, args...)
}
