package ingest

import (
	"errors"

	"github.com/quic-go/quic-go"
)

// Sentinel errors.
var (
	// ErrConfig is matched by every configuration error from Config.Validate and New.
	ErrConfig = errors.New("ingest: bad config")
)

// QUIC application error codes ingest closes connections with. Gateways see them as a
// *quic.ApplicationError with the code and a message saying why.
const (
	// CodeConnOK closes a connection without error (the gateway closed, or ingest drained it).
	CodeConnOK quic.ApplicationErrorCode = 0x0
	// CodeAuthFailed: the token was missing or unknown.
	CodeAuthFailed quic.ApplicationErrorCode = 0x101
	// CodeAuthProtocol: the control stream did not start with an AUTH frame in time.
	CodeAuthProtocol quic.ApplicationErrorCode = 0x102
	// CodeShuttingDown: ingest is stopping; reconnect (to another replica) and resend unacked chunks.
	CodeShuttingDown quic.ApplicationErrorCode = 0x103
)

// QUIC stream error codes ingest resets or stops response streams with.
const (
	// StreamCodeIdle: nothing arrived on the stream for Config.IdleTimeout.
	StreamCodeIdle quic.StreamErrorCode = 0x201
	// StreamCodeFatal: the stream hit a fatal ERROR (see the ERROR frame sent before).
	StreamCodeFatal quic.StreamErrorCode = 0x202
	// StreamCodeShuttingDown: ingest stops reading because it is draining.
	StreamCodeShuttingDown quic.StreamErrorCode = 0x203
)

// configError wraps ErrConfig with the reason.
type configError struct{ reason string }

func (e *configError) Error() string   { return "ingest: bad config: " + e.reason }
func (e *configError) Is(t error) bool { return t == ErrConfig }
