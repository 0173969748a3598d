// Package bustest starts an embedded, provisioned JetStream server for tests: 127.0.0.1, a free
// port, a store in t.TempDir(), shut down when the test ends.
package bustest

import (
	"context"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Env is a running test bus.
type Env struct {
	Server *bus.Embedded
	NC     *nats.Conn
	JS     jetstream.JetStream
	Topo   bus.Topology
}

// Start runs an embedded server with the given topology provisioned (zero value: defaults).
func Start(t testing.TB, topo bus.Topology) *Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := bus.StartEmbedded(ctx, bus.EmbeddedConfig{StoreDir: t.TempDir(), Port: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.Provision(ctx, js, topo); err != nil {
		t.Fatal(err)
	}
	return &Env{Server: srv, NC: nc, JS: js, Topo: topo}
}

// Connect opens another connection to the test server, closed when the test ends.
func (e *Env) Connect(t testing.TB) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(e.Server.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// Eventually polls cond every few milliseconds until it holds or the deadline passes, then
// fails the test with msg. It is the replacement for sleeping in tests.
func Eventually(t testing.TB, within time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: "+msg, append([]any{within}, args...)...)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
