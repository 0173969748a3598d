// Package bus is midstream's connection to NATS JetStream: an embedded nats-server for the
// all-in-one and tests, connection options for real deployments, idempotent provisioning of the
// streams, consumers and KV buckets every service relies on, a publisher with deduplication and
// bounded asynchronous backpressure, the per-partition consumer that services read with, and
// the dead-letter record for messages that fail validation.
package bus
