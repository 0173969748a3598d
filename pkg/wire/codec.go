package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// Header names midstream sets on NATS messages (and carries in QUIC frames).
const (
	// HeaderSchema names the message's schema and version, e.g. "chunk/1". A message without it
	// is read as the current version, so `nats pub` works without headers.
	HeaderSchema = "Ms-Schema"
	// HeaderReceived is the time ingest received the chunk, in Unix nanoseconds; inflight
	// latency is measured from it.
	HeaderReceived = "Ms-Received"
	// HeaderMsgID is JetStream's deduplication header.
	HeaderMsgID = "Nats-Msg-Id"
	// HeaderReason carries the rejection reason on dead-letter records.
	HeaderReason = "Ms-Reason"
)

// Schema versions this build speaks.
const (
	SchemaChunk      = "chunk/1"
	SchemaVerdict    = "verdict/1"
	SchemaAction     = "action/1"
	SchemaFeedback   = "feedback/1"
	SchemaDeadLetter = "dlq/1"
)

// MsgID is the JetStream deduplication id of a chunk: "<stream>:<seq>". A gateway that
// resends a chunk after a reconnect produces the same id, so JetStream stores it once.
func MsgID(stream string, seq uint64) string { return stream + ":" + strconv.FormatUint(seq, 10) }

// CheckSchema accepts got if it is want or empty.
func CheckSchema(got, want string) error {
	if got == "" || got == want {
		return nil
	}
	return &SchemaError{Got: got, Want: want}
}

// DecodeChunk parses and validates a chunk. schema is the message's HeaderSchema value.
// Unknown fields, trailing data, oversize input and every validation failure are errors.
// It accepts exactly what encoding/json (with DisallowUnknownFields) accepts and yields the
// same Chunk, with a hand-written decoder (chunkjson.go) that is several times cheaper. The
// Chunk does not refer to data, which the caller may reuse.
func DecodeChunk(schema string, data []byte) (*Chunk, error) {
	if err := checkInput(schema, SchemaChunk, "chunk", MaxChunkBytes, data); err != nil {
		return nil, err
	}
	c := new(Chunk)
	if err := decodeChunkJSON(data, c); err != nil {
		return nil, err
	}
	return c, c.Validate()
}

// DecodeVerdict parses and validates a verdict.
func DecodeVerdict(schema string, data []byte) (*Verdict, error) {
	v := new(Verdict)
	if err := decode(schema, SchemaVerdict, "verdict", MaxMessageBytes, data, v); err != nil {
		return nil, err
	}
	return v, v.Validate()
}

// DecodeAction parses and validates an action.
func DecodeAction(schema string, data []byte) (*Action, error) {
	a := new(Action)
	if err := decode(schema, SchemaAction, "action", MaxMessageBytes, data, a); err != nil {
		return nil, err
	}
	return a, a.Validate()
}

// DecodeFeedback parses and validates feedback.
func DecodeFeedback(schema string, data []byte) (*Feedback, error) {
	f := new(Feedback)
	if err := decode(schema, SchemaFeedback, "feedback", MaxMessageBytes, data, f); err != nil {
		return nil, err
	}
	return f, f.Validate()
}

// checkInput checks what every decoder checks before parsing: the schema header, the size cap
// and UTF-8.
func checkInput(schema, want, what string, limit int, data []byte) error {
	if err := CheckSchema(schema, want); err != nil {
		return err
	}
	if len(data) > limit {
		return &SizeError{What: what, Size: len(data), Limit: limit}
	}
	// encoding/json replaces invalid UTF-8 with U+FFFD while the original bytes are what gets
	// stored and forwarded: refuse them before decoding.
	if !utf8.Valid(data) {
		return &ValidationError{Field: what, Reason: "not valid UTF-8"}
	}
	return nil
}

func decode(schema, want, what string, limit int, data []byte, v any) error {
	if err := checkInput(schema, want, what, limit, data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &ValidationError{Field: what, Reason: "malformed JSON: " + jsonReason(err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &ValidationError{Field: what, Reason: "trailing data after the JSON object"}
	}
	return nil
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return err.Error() + " at byte " + strconv.FormatInt(se.Offset, 10)
	}
	return err.Error()
}
