package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go/jetstream"
)

// Handler processes one message of partition p. Returning nil acknowledges the message; an
// error asks for redelivery after a delay, and after MaxDeliver attempts the message is
// dead-lettered with the last error and terminated, so a poison message cannot block its
// partition forever.
type Handler func(ctx context.Context, p int, msg jetstream.Msg) error

// ConsumeConfig describes a service's partitioned consumption of one stream.
type ConsumeConfig struct {
	// Service names the consumer: durable "<service>-p<N>" per partition. Required.
	Service string
	// Stream is the stream to read, StreamWork for analysers, StreamChunks for the scheduler.
	Stream string
	// Partitions is the partition count of the topology (default 16).
	Partitions int
	// Only limits this replica to some partitions; empty means all (the priority group then
	// decides which replica is active per partition).
	Only []int
	// AckWait is how long a delivered message may stay unacknowledged before redelivery;
	// default 30s.
	AckWait time.Duration
	// MaxAckPending bounds unacknowledged messages per partition; default 1000.
	MaxAckPending int
	// MaxDeliver is how many attempts a message gets before it is dead-lettered; default 5.
	MaxDeliver int
	// PinnedTTL is how long a pinned replica may go without pulling before another replica
	// takes its partition over; default 10s.
	PinnedTTL time.Duration
	// Logger for consumption errors; default slog.Default().
	Logger *slog.Logger
}

func (c ConsumeConfig) withDefaults() ConsumeConfig {
	if c.Partitions == 0 {
		c.Partitions = DefaultPartitions
	}
	if c.AckWait == 0 {
		c.AckWait = 30 * time.Second
	}
	if c.MaxAckPending == 0 {
		c.MaxAckPending = 1000
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = 5
	}
	if c.PinnedTTL == 0 {
		c.PinnedTTL = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// ConsumerName is the durable consumer name of service on partition p.
func ConsumerName(service string, p int) string { return fmt.Sprintf("%s-p%d", service, p) }

// PartitionFilter is the subject filter of partition p of a partitioned stream.
func PartitionFilter(stream string, p int) (string, error) {
	switch stream {
	case StreamChunks:
		return wire.ChunkPartitionFilter(p), nil
	case StreamWork:
		return wire.WorkPartitionFilter(p), nil
	}
	return "", fmt.Errorf("bus: stream %s is not partitioned", stream)
}

// ConsumerConfig is the declared configuration of service's consumer on partition p.
func (c ConsumeConfig) ConsumerConfig(p int) (jetstream.ConsumerConfig, error) {
	c = c.withDefaults()
	filter, err := PartitionFilter(c.Stream, p)
	if err != nil {
		return jetstream.ConsumerConfig{}, err
	}
	return jetstream.ConsumerConfig{
		Durable:        ConsumerName(c.Service, p),
		Description:    fmt.Sprintf("%s, partition %d of %s", c.Service, p, c.Stream),
		FilterSubject:  filter,
		AckPolicy:      jetstream.AckExplicitPolicy,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckWait:        c.AckWait,
		MaxAckPending:  c.MaxAckPending,
		MaxDeliver:     c.MaxDeliver,
		PriorityPolicy: jetstream.PriorityPolicyPinned,
		PriorityGroups: []string{PriorityGroup},
		PinnedTTL:      c.PinnedTTL,
	}, nil
}

// Consume creates or updates the service's durable consumer on every partition it serves and
// delivers their messages to h until ctx ends. Messages of one partition are handled one at a
// time in stream order, so the chunks of one response arrive in order; partitions run
// concurrently. Consume returns after ctx ends and in-flight handlers have finished, or early
// with an error if a consumer cannot be set up.
func Consume(ctx context.Context, js jetstream.JetStream, cfg ConsumeConfig, h Handler) error {
	if cfg.Service == "" || strings.ContainsAny(cfg.Service, ".*> ") {
		return fmt.Errorf("bus: consume: bad service name %q", cfg.Service)
	}
	cfg = cfg.withDefaults()
	parts := cfg.Only
	if len(parts) == 0 {
		for p := range cfg.Partitions {
			parts = append(parts, p)
		}
	}
	var ccs []jetstream.ConsumeContext
	stopAll := func() {
		for _, cc := range ccs {
			cc.Drain()
		}
		for _, cc := range ccs {
			<-cc.Closed()
		}
	}
	var wg sync.WaitGroup
	for _, p := range parts {
		if p < 0 || p >= cfg.Partitions {
			stopAll()
			return fmt.Errorf("bus: consume: partition %d outside 0..%d", p, cfg.Partitions-1)
		}
		cc, err := cfg.ConsumerConfig(p)
		if err != nil {
			stopAll()
			return err
		}
		setup, cancel := withDefaultTimeout(ctx, 30*time.Second)
		cons, err := js.CreateOrUpdateConsumer(setup, cfg.Stream, cc)
		cancel()
		if err != nil {
			stopAll()
			return fmt.Errorf("bus: consumer %s on %s: %w", cc.Durable, cfg.Stream, err)
		}
		part := p
		consCtx, err := cons.Consume(func(m jetstream.Msg) {
			wg.Add(1)
			defer wg.Done()
			handle(ctx, js, cfg, part, m, h)
		}, jetstream.PullPriorityGroup(PriorityGroup), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if !errors.Is(err, jetstream.ErrNoHeartbeat) || ctx.Err() == nil {
				cfg.Logger.Debug("consume", "consumer", cc.Durable, "err", err)
			}
		}))
		if err != nil {
			stopAll()
			return fmt.Errorf("bus: consume %s: %w", cc.Durable, err)
		}
		ccs = append(ccs, consCtx)
	}
	<-ctx.Done()
	stopAll()
	wg.Wait()
	return nil
}

func handle(ctx context.Context, js jetstream.JetStream, cfg ConsumeConfig, p int, m jetstream.Msg, h Handler) {
	err := h(ctx, p, m)
	if err == nil {
		if aerr := m.Ack(); aerr != nil {
			cfg.Logger.Warn("ack failed", "service", cfg.Service, "subject", m.Subject(), "err", aerr)
		}
		return
	}
	md, merr := m.Metadata()
	if merr == nil && int(md.NumDelivered) >= cfg.MaxDeliver {
		cfg.Logger.Error("giving up on message", "service", cfg.Service, "subject", m.Subject(), "attempts", md.NumDelivered, "err", err)
		info, _ := wire.ParseSubject(m.Subject())
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		derr := DeadLetter(dctx, js, cfg.Service, m.Subject(), info.Stream, m.Data(), err)
		cancel()
		if derr != nil {
			// Without a dead-letter record we must not drop the message: let it be redelivered.
			cfg.Logger.Error("dead letter failed; message stays for redelivery", "subject", m.Subject(), "err", derr)
			_ = m.NakWithDelay(cfg.AckWait)
			return
		}
		_ = m.TermWithReason("dead-lettered: " + headerValue(err.Error(), 200))
		return
	}
	cfg.Logger.Warn("handler failed, will retry", "service", cfg.Service, "subject", m.Subject(), "err", err)
	_ = m.NakWithDelay(backoff(md))
}

func backoff(md *jetstream.MsgMetadata) time.Duration {
	if md == nil {
		return time.Second
	}
	return min(time.Duration(md.NumDelivered)*250*time.Millisecond, 5*time.Second)
}
