package bus_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/bus"
	"github.com/midstream/midstream/pkg/bus/bustest"
	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestProvisionIdempotent(t *testing.T) {
	env := bustest.Start(t, bus.Topology{Partitions: 4})
	ctx := context.Background()
	before, err := env.JS.Stream(ctx, bus.StreamChunks)
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.Provision(ctx, env.JS, bus.Topology{Partitions: 4}); err != nil {
		t.Fatalf("second provision: %v", err)
	}
	after, _ := env.JS.Stream(ctx, bus.StreamChunks)
	if before.CachedInfo().Created != after.CachedInfo().Created {
		t.Fatal("stream was recreated")
	}
	got := after.CachedInfo().Config.SubjectTransform
	if got == nil || got.Destination != wire.PartitionDestination(4) {
		t.Fatalf("transform %+v", got)
	}
	// Updating the declaration updates the server.
	if err := bus.Provision(ctx, env.JS, bus.Topology{Partitions: 8}); err != nil {
		t.Fatal(err)
	}
	s, _ := env.JS.Stream(ctx, bus.StreamChunks)
	if d := s.CachedInfo().Config.SubjectTransform.Destination; d != wire.PartitionDestination(8) {
		t.Fatalf("after update: %s", d)
	}
	if _, err := env.JS.KeyValue(ctx, bus.BucketConfig); err != nil {
		t.Fatalf("config bucket: %v", err)
	}
	if err := bus.Provision(ctx, env.JS, bus.Topology{Partitions: -1}); err == nil {
		t.Fatal("negative partitions accepted")
	}
}

// TestPartitionTransform checks that every chunk of a response lands in one partition, and that
// responses spread over partitions.
func TestPartitionTransform(t *testing.T) {
	env := bustest.Start(t, bus.Topology{Partitions: 4})
	ctx := context.Background()
	for i := range 40 {
		for seq := range 3 {
			if _, err := env.JS.Publish(ctx, wire.InSubject("r"+strconv.Itoa(i)), []byte(strconv.Itoa(seq))); err != nil {
				t.Fatal(err)
			}
		}
	}
	s, _ := env.JS.Stream(ctx, bus.StreamChunks)
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(wire.ChunkWildcard))
	if err != nil {
		t.Fatal(err)
	}
	partOf := map[string]int{}
	used := map[int]bool{}
	for subj, n := range info.State.Subjects {
		si, err := wire.ParseSubject(subj)
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("%s holds %d chunks, want 3", subj, n)
		}
		if _, dup := partOf[si.Stream]; dup {
			t.Errorf("stream %s in two partitions", si.Stream)
		}
		partOf[si.Stream] = si.Partition
		used[si.Partition] = true
	}
	if len(partOf) != 40 || len(used) < 3 {
		t.Fatalf("%d streams over %d partitions", len(partOf), len(used))
	}
}

func TestPublisherDedupAndBackpressure(t *testing.T) {
	env := bustest.Start(t, bus.Topology{Partitions: 2})
	pub, err := bus.NewPublisher(env.NC, bus.WithMaxPending(8))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var futures []jetstream.PubAckFuture
	for round := range 2 { // the second round resends every message: dedup keeps one copy
		for seq := range 100 {
			m := nats.NewMsg(wire.InSubject("dd"))
			m.Data = []byte(fmt.Sprint(round, seq))
			f, err := pub.Publish(ctx, m, wire.MsgID("dd", uint64(seq)))
			if err != nil {
				t.Fatal(err)
			}
			if pub.Pending() > 8 {
				t.Fatalf("pending %d above bound 8", pub.Pending())
			}
			futures = append(futures, f)
		}
	}
	if err := pub.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	dups := 0
	for _, f := range futures {
		select {
		case ack := <-f.Ok():
			if ack.Duplicate {
				dups++
			}
		case err := <-f.Err():
			t.Fatal(err)
		}
	}
	if dups != 100 {
		t.Fatalf("%d duplicates reported, want 100", dups)
	}
	s, _ := env.JS.Stream(ctx, bus.StreamChunks)
	info, _ := s.Info(ctx)
	if info.State.Msgs != 100 {
		t.Fatalf("stream holds %d messages, want 100", info.State.Msgs)
	}
	// A full publisher blocks until ctx ends.
	stuck, _ := bus.NewPublisher(env.NC, bus.WithMaxPending(1))
	m := nats.NewMsg("ms.nowhere") // no stream: the ack never comes before the timeout
	if _, err := stuck.Publish(ctx, m, ""); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := stuck.Publish(short, nats.NewMsg("ms.nowhere"), ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("full publisher: %v", err)
	}
}

func TestConsumeOrderAndDeadLetter(t *testing.T) {
	env := bustest.Start(t, bus.Topology{Partitions: 4})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const streams, perStream = 20, 25
	for seq := range perStream {
		for i := range streams {
			msg := nats.NewMsg(wire.InSubject("s" + strconv.Itoa(i)))
			msg.Data = []byte(strconv.Itoa(seq))
			if _, err := env.JS.PublishMsg(ctx, msg); err != nil {
				t.Fatal(err)
			}
		}
	}
	poison := nats.NewMsg(wire.InSubject("poison"))
	poison.Data = []byte("bad")
	if _, err := env.JS.PublishMsg(ctx, poison); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	next := map[string]int{}
	var orderErr error
	done := make(chan error, 1)
	go func() {
		done <- bus.Consume(ctx, env.JS, bus.ConsumeConfig{Service: "test", Stream: bus.StreamChunks, Partitions: 4, MaxDeliver: 2},
			func(_ context.Context, p int, m jetstream.Msg) error {
				si, err := wire.ParseSubject(m.Subject())
				if err != nil {
					return err
				}
				if si.Partition != p {
					return fmt.Errorf("partition %d delivered on %d", si.Partition, p)
				}
				if si.Stream == "poison" {
					return errors.New("cannot digest")
				}
				mu.Lock()
				defer mu.Unlock()
				if want := strconv.Itoa(next[si.Stream]); string(m.Data()) != want && orderErr == nil {
					orderErr = fmt.Errorf("%s: got %s want %s", si.Stream, m.Data(), want)
				}
				next[si.Stream]++
				return nil
			})
	}()
	bustest.Eventually(t, 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		total := 0
		for _, n := range next {
			total += n
		}
		return total == streams*perStream
	}, "not every message consumed")
	dlq, _ := env.JS.Stream(ctx, bus.StreamDLQ)
	bustest.Eventually(t, 10*time.Second, func() bool {
		info, _ := dlq.Info(ctx)
		return info != nil && info.State.Msgs == 1
	}, "poison message not dead-lettered")
	m, err := dlq.GetLastMsgForSubject(ctx, wire.DeadLetterSubject("test"))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get(wire.HeaderReason); got != "cannot digest" {
		t.Fatalf("dead-letter reason %q", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if orderErr != nil {
		t.Fatal(orderErr)
	}
}
