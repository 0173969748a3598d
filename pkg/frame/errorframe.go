package frame

import (
	"encoding/binary"
	"strconv"
)

// Code classifies an ERROR frame. Codes below 64 concern one chunk or frame and leave the
// stream open; Fatal is set on the frame when the server gives up on the stream.
type Code uint16

// Error codes. docs/ingest.md lists what the gateway should do with each.
const (
	CodeMalformedFrame  Code = 1  // a frame's payload could not be parsed
	CodeFrameTooLarge   Code = 2  // a frame exceeded the server's size cap
	CodeUnknownType     Code = 3  // the type byte is not a client-to-server frame type
	CodeInvalidChunk    Code = 4  // the chunk JSON failed wire validation
	CodeSchemaVersion   Code = 5  // Ms-Schema names a version this server does not speak
	CodeSeqGap          Code = 6  // the chunk's seq skips ahead of the next expected seq
	CodeSeqDuplicate    Code = 7  // the chunk's seq was already received on this stream
	CodeStreamMismatch  Code = 8  // the chunk's stream id differs from the stream's first chunk
	CodePublishFailed   Code = 9  // JetStream did not store the chunk; resend it
	CodeIdleTimeout     Code = 10 // nothing arrived for the idle timeout; the stream is closed
	CodeShuttingDown    Code = 11 // the server is draining; reconnect elsewhere and resend
	CodeAfterFinal      Code = 12 // a chunk arrived after the final chunk
	CodeProtocolFailure Code = 14 // a frame out of place (e.g. AUTH on a response stream)
)

var codeNames = map[Code]string{
	CodeMalformedFrame: "malformed frame", CodeFrameTooLarge: "frame too large",
	CodeUnknownType: "unknown frame type", CodeInvalidChunk: "invalid chunk",
	CodeSchemaVersion: "unsupported schema version", CodeSeqGap: "seq gap",
	CodeSeqDuplicate: "duplicate seq", CodeStreamMismatch: "stream id mismatch",
	CodePublishFailed: "publish failed", CodeIdleTimeout: "idle timeout",
	CodeShuttingDown: "shutting down", CodeAfterFinal: "chunk after final",
	CodeProtocolFailure: "protocol violation",
}

func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return "code " + strconv.Itoa(int(c))
}

// ErrorFrame is the payload of an ERROR frame.
type ErrorFrame struct {
	Code    Code
	HasSeq  bool   // Seq names the rejected chunk; false when the seq could not be read
	Seq     uint64 // the rejected chunk
	Fatal   bool   // the server closes the stream after this frame
	Message string // human-readable, names the field and the reason
}

const (
	errFlagSeq   = 1 << 0
	errFlagFatal = 1 << 1
)

// Error makes an ErrorFrame usable as an error on the client side.
func (e *ErrorFrame) Error() string {
	s := "ingest: " + e.Code.String()
	if e.HasSeq {
		s += " (seq " + strconv.FormatUint(e.Seq, 10) + ")"
	}
	if e.Fatal {
		s += " [fatal]"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// AppendError appends an ERROR frame: a uvarint code, a flags byte (bit 0: seq present,
// bit 1: fatal), a uvarint seq and the message as a string. Messages longer than
// MaxStringLen are cut to fit.
func AppendError(dst []byte, e ErrorFrame) []byte {
	msg := e.Message
	if len(msg) > MaxStringLen {
		msg = msg[:MaxStringLen]
	}
	var flags byte
	if e.HasSeq {
		flags |= errFlagSeq
	}
	if e.Fatal {
		flags |= errFlagFatal
	}
	dst = appendHeader(dst, TypeError, uvarintLen(uint64(e.Code))+1+uvarintLen(e.Seq)+stringLen(msg))
	dst = binary.AppendUvarint(dst, uint64(e.Code))
	dst = append(dst, flags)
	dst = binary.AppendUvarint(dst, e.Seq)
	return appendString(dst, msg)
}

// ParseError reads an ERROR payload.
func ParseError(p []byte) (ErrorFrame, error) {
	code, k := binary.Uvarint(p)
	if k <= 0 {
		return ErrorFrame{}, badVarint(TypeError, k, "code")
	}
	if code > 0xffff {
		return ErrorFrame{}, malformed(TypeError, "code above 65535")
	}
	p = p[k:]
	if len(p) == 0 {
		return ErrorFrame{}, truncated(TypeError, "flags missing")
	}
	flags := p[0]
	if flags&^(errFlagSeq|errFlagFatal) != 0 {
		return ErrorFrame{}, malformed(TypeError, "unknown flag bits")
	}
	p = p[1:]
	seq, k := binary.Uvarint(p)
	if k <= 0 {
		return ErrorFrame{}, badVarint(TypeError, k, "seq")
	}
	msg, rest, err := readString(TypeError, "message", p[k:])
	if err != nil {
		return ErrorFrame{}, err
	}
	if len(rest) != 0 {
		return ErrorFrame{}, malformed(TypeError, "trailing bytes")
	}
	return ErrorFrame{Code: Code(code), HasSeq: flags&errFlagSeq != 0, Seq: seq,
		Fatal: flags&errFlagFatal != 0, Message: msg}, nil
}
