// Package ingest is midstream's QUIC front door: gateways stream LLM response chunks over one
// QUIC connection each (one bidirectional stream per response, frames from pkg/frame), ingest
// validates them, publishes them to JetStream with deduplication and acknowledges them once they
// are stored, and relays actions published on ms.action.<stream> back on the response's stream.
// JetStream's pace becomes the gateway's pace through QUIC flow control; nothing is dropped.
package ingest
