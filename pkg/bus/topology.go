package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go/jetstream"
)

// Stream and bucket names.
const (
	StreamChunks   = "CHUNKS"
	StreamWork     = "WORK"
	StreamVerdicts = "VERDICTS"
	StreamFeedback = "FEEDBACK"
	StreamDLQ      = "DLQ"
	BucketConfig   = "ms_config"

	// PriorityGroup is the priority group every partition consumer is bound with; the pinned
	// client of the group is the one active replica of a service for that partition.
	PriorityGroup = "ms"
)

// DefaultPartitions is the partition count used when none is configured. Every chunk of one
// response lands in one partition; a service can run at most this many active replicas.
const DefaultPartitions = 16

// Topology is the declared shape of midstream's JetStream resources. Provision makes the server
// match it.
type Topology struct {
	// Partitions is the number of CHUNKS/WORK partitions; default 16. Changing it remaps
	// responses to partitions: do it with the pipeline drained (docs/operations.md).
	Partitions int
	// Replicas is the stream replication factor: 1 on one machine, 3 on a cluster.
	Replicas int
	// Storage is file (default) or memory.
	Storage jetstream.StorageType
	// ChunkMaxAge bounds how long chunks are kept for replay and shadow evaluation; default 24h.
	ChunkMaxAge time.Duration
	// WorkMaxAge bounds released work items; default 1h.
	WorkMaxAge time.Duration
	// VerdictMaxAge bounds verdicts and actions; default 7 days.
	VerdictMaxAge time.Duration
	// Duplicates is the deduplication window for Nats-Msg-Id; default 2 minutes. A gateway that
	// resends after a reconnect must do so within this window.
	Duplicates time.Duration
	// MaxBytes bounds each stream's size (0: unlimited); old messages go first.
	MaxBytes int64
}

func (t Topology) withDefaults() Topology {
	if t.Partitions == 0 {
		t.Partitions = DefaultPartitions
	}
	if t.Replicas == 0 {
		t.Replicas = 1
	}
	if t.ChunkMaxAge == 0 {
		t.ChunkMaxAge = 24 * time.Hour
	}
	if t.WorkMaxAge == 0 {
		t.WorkMaxAge = time.Hour
	}
	if t.VerdictMaxAge == 0 {
		t.VerdictMaxAge = 7 * 24 * time.Hour
	}
	if t.Duplicates == 0 {
		t.Duplicates = 2 * time.Minute
	}
	return t
}

// Validate reports a topology that cannot be provisioned.
func (t Topology) Validate() error {
	t = t.withDefaults()
	switch {
	case t.Partitions < 1 || t.Partitions > 1024:
		return fmt.Errorf("bus: partitions %d outside 1..1024", t.Partitions)
	case t.Replicas < 1 || t.Replicas > 5:
		return fmt.Errorf("bus: replicas %d outside 1..5", t.Replicas)
	case t.ChunkMaxAge < 0 || t.WorkMaxAge < 0 || t.VerdictMaxAge < 0 || t.Duplicates < 0 || t.MaxBytes < 0:
		return errors.New("bus: negative age, window or size")
	}
	return nil
}

// Streams returns the declared stream configurations, in provisioning order. They are the one
// source for provisioning from code and for the generated NACK resources.
func (t Topology) Streams() []jetstream.StreamConfig {
	t = t.withDefaults()
	base := func(name, desc string, subjects []string, age time.Duration) jetstream.StreamConfig {
		return jetstream.StreamConfig{
			Name: name, Description: desc, Subjects: subjects,
			Retention: jetstream.LimitsPolicy, Discard: jetstream.DiscardOld,
			MaxAge: age, MaxBytes: orUnlimited(t.MaxBytes), MaxMsgs: -1, MaxMsgsPerSubject: -1, MaxConsumers: -1,
			Storage: t.Storage, Replicas: t.Replicas, Duplicates: t.Duplicates,
			MaxMsgSize: 2 << 20,
		}
	}
	chunks := base(StreamChunks, "LLM response chunks from gateways, partitioned by response", []string{wire.InWildcard}, t.ChunkMaxAge)
	chunks.SubjectTransform = &jetstream.SubjectTransformConfig{Source: wire.InWildcard, Destination: wire.PartitionDestination(t.Partitions)}
	return []jetstream.StreamConfig{
		chunks,
		base(StreamWork, "chunks released by the scheduler for analysis", []string{wire.WorkWildcard}, t.WorkMaxAge),
		base(StreamVerdicts, "analyser verdicts and actions", []string{wire.VerdictWildcard, wire.ActionWildcard}, t.VerdictMaxAge),
		base(StreamFeedback, "labels on verdicts", []string{wire.FeedbackWildcard}, t.VerdictMaxAge),
		base(StreamDLQ, "messages that failed validation, with the reason", []string{wire.DeadLetterWildcard}, t.VerdictMaxAge),
	}
}

// KeyValues returns the declared KV bucket configurations.
func (t Topology) KeyValues() []jetstream.KeyValueConfig {
	t = t.withDefaults()
	return []jetstream.KeyValueConfig{{
		Bucket:      BucketConfig,
		Description: "live analyser configuration; history allows rollback by revision",
		History:     64,
		Storage:     t.Storage,
		Replicas:    t.Replicas,
	}}
}

func orUnlimited(n int64) int64 {
	if n == 0 {
		return -1
	}
	return n
}

// Provision creates or updates every stream and KV bucket to the declared configuration. It is
// idempotent: running it again with the same topology changes nothing.
func Provision(ctx context.Context, js jetstream.JetStream, t Topology) error {
	if err := t.Validate(); err != nil {
		return err
	}
	ctx, cancel := withDefaultTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, sc := range t.Streams() {
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("bus: provision stream %s: %w", sc.Name, err)
		}
	}
	for _, kc := range t.KeyValues() {
		if _, err := js.CreateOrUpdateKeyValue(ctx, kc); err != nil {
			return fmt.Errorf("bus: provision KV bucket %s: %w", kc.Bucket, err)
		}
	}
	return nil
}

// withDefaultTimeout applies d when ctx has no deadline of its own; it never replaces the
// caller's ctx.
func withDefaultTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}
