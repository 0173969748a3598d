package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/midstream/midstream/bench/internal/pipeline"
	"github.com/midstream/midstream/pkg/bus"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// measureBus measures the raw limit of an embedded JetStream (file store, server default
// fsync interval, as the all-in-one runs it): asynchronous publish alone, then publish plus one
// consumer that acknowledges each of the same messages, then the latter with a memory store.
func measureBus(ctx context.Context, n, size int) (pipeline.Bus, error) {
	out := pipeline.Bus{Messages: n, Size: size}
	var err error
	if out.PublishPerSec, err = busRun(ctx, n, size, jetstream.FileStorage, false); err != nil {
		return out, err
	}
	if out.PubConsPerSec, err = busRun(ctx, n, size, jetstream.FileStorage, true); err != nil {
		return out, err
	}
	if out.MemPubConsRate, err = busRun(ctx, n, size, jetstream.MemoryStorage, true); err != nil {
		return out, err
	}
	return out, nil
}

func busRun(ctx context.Context, n, size int, storage jetstream.StorageType, consume bool) (float64, error) {
	dir, err := os.MkdirTemp("", "midstream-bus-")
	if err != nil {
		return 0, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	srv, err := bus.StartEmbedded(ctx, bus.EmbeddedConfig{StoreDir: dir, Port: -1})
	if err != nil {
		return 0, err
	}
	defer srv.Shutdown()
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		return 0, err
	}
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.>"}, Storage: storage})
	if err != nil {
		return 0, err
	}
	done := make(chan struct{})
	if consume {
		// A separate connection, as a service has its own.
		cnc, err := nats.Connect(srv.ClientURL())
		if err != nil {
			return 0, err
		}
		defer cnc.Close()
		cjs, err := jetstream.New(cnc)
		if err != nil {
			return 0, err
		}
		cs, err := cjs.Stream(ctx, "RAW")
		if err != nil {
			return 0, err
		}
		c, err := cs.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "raw", AckPolicy: jetstream.AckExplicitPolicy,
			MaxAckPending: 4096, AckWait: 30 * time.Second})
		if err != nil {
			return 0, err
		}
		got := 0
		cc, err := c.Consume(func(m jetstream.Msg) {
			_ = m.Ack()
			if got++; got == n {
				close(done)
			}
		}, jetstream.PullMaxMessages(1024))
		if err != nil {
			return 0, err
		}
		defer cc.Stop()
	}
	payload := []byte(strings.Repeat("x", size))
	start := time.Now()
	for i := range n {
		m := &nats.Msg{Subject: fmt.Sprintf("raw.s%d", i%64), Data: payload, Header: nats.Header{}}
		m.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("s%d:%d", i%64, i))
		if _, err := js.PublishMsgAsync(m, jetstream.WithStallWait(30*time.Second)); err != nil {
			return 0, err
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(2 * time.Minute):
		return 0, fmt.Errorf("bus: publishes not acknowledged within 2 minutes")
	}
	if consume {
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			return 0, fmt.Errorf("bus: consumer did not receive every message within 2 minutes")
		}
	}
	el := time.Since(start)
	if info, err := s.Info(ctx); err == nil && info.State.Msgs != uint64(n) {
		return 0, fmt.Errorf("bus: stream holds %d messages, want %d", info.State.Msgs, n)
	}
	return float64(n) / el.Seconds(), nil
}
