// Package frame is the length-prefixed frame format spoken on midstream's QUIC connections
// between a gateway (pkg/client) and the ingest service. Each frame is one type byte, a uvarint
// payload length and the payload; encoders append into a caller's buffer and the Reader reuses
// one buffer, so the per-chunk path allocates nothing. docs/ingest.md describes it byte by byte.
package frame
