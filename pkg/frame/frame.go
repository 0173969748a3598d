package frame

import (
	"encoding/binary"
	"strconv"
)

// Type is a frame's first byte.
type Type uint8

// Frame types. The direction is part of the protocol: a server never sends AUTH or CHUNK, a
// client never sends ACK, ERROR or ACTION.
const (
	// TypeAuth opens the control stream (client to server): bearer token and client name.
	TypeAuth Type = 0x01
	// TypeAuthOK accepts the connection (server to client); payload: the tenant the token maps to.
	TypeAuthOK Type = 0x02
	// TypeAuthFail refuses the connection (server to client); payload: the reason. The server
	// closes the connection right after it.
	TypeAuthFail Type = 0x03
	// TypeHeaders is a string map applying to the following chunks of the same QUIC stream
	// (client to server): W3C traceparent/tracestate, Ms-Schema, Ms-Resume.
	TypeHeaders Type = 0x04
	// TypeChunk carries one chunk's JSON exactly as it is published to NATS (client to server).
	TypeChunk Type = 0x05
	// TypeAck carries the highest seq of the response that is stored in JetStream with every
	// lower seq also stored (server to client).
	TypeAck Type = 0x06
	// TypeError reports a rejected chunk or a protocol fault on the stream (server to client).
	TypeError Type = 0x07
	// TypeAction carries a wire.Action's JSON (server to client).
	TypeAction Type = 0x08
)

var typeNames = [...]string{
	TypeAuth: "AUTH", TypeAuthOK: "AUTH_OK", TypeAuthFail: "AUTH_FAIL", TypeHeaders: "HEADERS",
	TypeChunk: "CHUNK", TypeAck: "ACK", TypeError: "ERROR", TypeAction: "ACTION",
}

// Known reports whether t is a frame type this build understands.
func (t Type) Known() bool { return t >= TypeAuth && t <= TypeAction }

func (t Type) String() string {
	if t.Known() {
		return typeNames[t]
	}
	return "type(0x" + strconv.FormatUint(uint64(t), 16) + ")"
}

// Size limits.
const (
	// DefaultMaxSize is the default cap on a frame's payload: 1 MiB, four times the largest chunk
	// wire accepts, so a chunk is never refused by the frame layer before the schema can say why.
	DefaultMaxSize = 1 << 20
	// MaxHeaderLen is the longest frame header: the type byte and a uvarint length.
	MaxHeaderLen = 1 + binary.MaxVarintLen64
	// MaxHeaders caps the entries of a HEADERS frame.
	MaxHeaders = 64
	// MaxStringLen caps each string field inside AUTH, AUTH_OK, AUTH_FAIL, HEADERS and ERROR.
	MaxStringLen = 8 << 10
)

// Frame is one decoded frame. Payload aliases the Reader's buffer: it is valid until the next
// call to Next.
type Frame struct {
	Type    Type
	Payload []byte
}

// Append appends a frame of type t with payload p to dst and returns the extended slice. It
// allocates only when dst lacks capacity. It does not check the size cap; the receiver does.
func Append(dst []byte, t Type, p []byte) []byte {
	dst = append(dst, byte(t))
	dst = binary.AppendUvarint(dst, uint64(len(p)))
	return append(dst, p...)
}

// appendHeader appends a frame header for a payload of n bytes.
func appendHeader(dst []byte, t Type, n int) []byte {
	dst = append(dst, byte(t))
	return binary.AppendUvarint(dst, uint64(n))
}

// AppendChunk appends a CHUNK frame carrying the chunk's JSON.
func AppendChunk(dst, chunkJSON []byte) []byte { return Append(dst, TypeChunk, chunkJSON) }

// AppendAction appends an ACTION frame carrying an action's JSON.
func AppendAction(dst, actionJSON []byte) []byte { return Append(dst, TypeAction, actionJSON) }

// AppendAck appends an ACK frame: the payload is seq as a uvarint.
func AppendAck(dst []byte, seq uint64) []byte {
	dst = appendHeader(dst, TypeAck, uvarintLen(seq))
	return binary.AppendUvarint(dst, seq)
}

// ParseAck reads an ACK payload.
func ParseAck(p []byte) (uint64, error) {
	seq, n := binary.Uvarint(p)
	if n <= 0 {
		return 0, badVarint(TypeAck, n, "seq")
	}
	if n != len(p) {
		return 0, malformed(TypeAck, "trailing bytes")
	}
	return seq, nil
}

// appendString appends a uvarint length and the bytes of s.
func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func stringLen(s string) int { return uvarintLen(uint64(len(s))) + len(s) }

// readString reads a string field from p, returning it and the rest. Converting to string
// copies the bytes, so results outlive the Reader's buffer.
func readString(t Type, field string, p []byte) (string, []byte, error) {
	n, k := binary.Uvarint(p)
	if k <= 0 {
		return "", nil, badVarint(t, k, field+" length")
	}
	p = p[k:]
	if n > MaxStringLen {
		return "", nil, malformed(t, field+" is "+strconv.FormatUint(n, 10)+" bytes, limit "+strconv.Itoa(MaxStringLen))
	}
	if uint64(len(p)) < n {
		return "", nil, truncated(t, field+" ends early")
	}
	return string(p[:n]), p[n:], nil
}

func badVarint(t Type, n int, field string) error {
	if n == 0 {
		return truncated(t, field+" ends early")
	}
	return malformed(t, field+" overflows 64 bits")
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}
