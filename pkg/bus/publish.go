package bus

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrPublisherClosed is returned by Publish after Close.
var ErrPublisherClosed = errors.New("bus: publisher closed")

// PublisherOption configures a Publisher.
type PublisherOption func(*publisherConfig)

type publisherConfig struct {
	maxPending int
	ackTimeout time.Duration
}

// WithMaxPending bounds the publishes awaiting a JetStream acknowledgement; Publish blocks
// beyond it. Default 4096.
func WithMaxPending(n int) PublisherOption {
	return func(c *publisherConfig) { c.maxPending = n }
}

// WithAckTimeout bounds the wait for one acknowledgement; the future then fails with a timeout
// and the slot is freed. Default 10s.
func WithAckTimeout(d time.Duration) PublisherOption {
	return func(c *publisherConfig) { c.ackTimeout = d }
}

// Publisher publishes to JetStream asynchronously with a bounded number of unacknowledged
// messages. When the bound is reached, Publish blocks until acknowledgements free a slot or
// ctx ends: JetStream's pace becomes the publisher's pace, and nothing is dropped.
type Publisher struct {
	js      jetstream.JetStream
	slots   chan struct{}
	closed  atomic.Bool
	pending atomic.Int64
}

// NewPublisher creates a publisher on nc with its own JetStream context.
func NewPublisher(nc *nats.Conn, opts ...PublisherOption) (*Publisher, error) {
	cfg := publisherConfig{maxPending: 4096, ackTimeout: 10 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.maxPending < 1 {
		return nil, fmt.Errorf("bus: max pending %d < 1", cfg.maxPending)
	}
	p := &Publisher{slots: make(chan struct{}, cfg.maxPending)}
	release := func() {
		p.pending.Add(-1)
		<-p.slots
	}
	js, err := jetstream.New(nc,
		// The client's own bound sits above ours so that it never stalls first.
		jetstream.WithPublishAsyncMaxPending(cfg.maxPending+1),
		jetstream.WithPublishAsyncTimeout(cfg.ackTimeout),
		jetstream.WithPublishAsyncAckHandler(func(jetstream.JetStream, *nats.Msg, *jetstream.PubAck) { release() }),
		jetstream.WithPublishAsyncErrHandler(func(jetstream.JetStream, *nats.Msg, error) { release() }),
	)
	if err != nil {
		return nil, fmt.Errorf("bus: publisher: %w", err)
	}
	p.js = js
	return p, nil
}

// Publish sends msg asynchronously and returns the future of its acknowledgement. msgID, when
// not empty, is set as Nats-Msg-Id so that JetStream stores a resent message once. Publish
// blocks while the publisher is full, until a slot frees or ctx ends.
func (p *Publisher) Publish(ctx context.Context, msg *nats.Msg, msgID string) (jetstream.PubAckFuture, error) {
	if p.closed.Load() {
		return nil, ErrPublisherClosed
	}
	select {
	case p.slots <- struct{}{}:
	default:
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("bus: publish %s: waiting for JetStream: %w", msg.Subject, ctx.Err())
		}
	}
	p.pending.Add(1)
	var opts []jetstream.PublishOpt
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	f, err := p.js.PublishMsgAsync(msg, opts...)
	if err != nil {
		p.pending.Add(-1)
		<-p.slots
		return nil, fmt.Errorf("bus: publish %s: %w", msg.Subject, err)
	}
	return f, nil
}

// Pending is the number of publishes awaiting acknowledgement.
func (p *Publisher) Pending() int { return int(p.pending.Load()) }

// JetStream is the publisher's JetStream context.
func (p *Publisher) JetStream() jetstream.JetStream { return p.js }

// Flush waits until every pending publish is acknowledged or failed, or ctx ends.
func (p *Publisher) Flush(ctx context.Context) error {
	select {
	case <-p.js.PublishAsyncComplete():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("bus: flush with %d publishes pending: %w", p.Pending(), ctx.Err())
	}
}

// Close refuses further publishes and waits for pending ones like Flush.
func (p *Publisher) Close(ctx context.Context) error {
	p.closed.Store(true)
	return p.Flush(ctx)
}
