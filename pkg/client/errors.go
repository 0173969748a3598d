package client

import (
	"errors"
	"fmt"

	"github.com/midstream/midstream/pkg/frame"
)

// Sentinel errors.
var (
	// ErrAuthFailed is matched when ingest refuses the bearer token (*AuthError).
	ErrAuthFailed = errors.New("client: authentication failed")
	// ErrClosed is returned by calls on a closed Conn or on a Response after Close.
	ErrClosed = errors.New("client: closed")
	// ErrProtocol is matched when ingest answers with something the protocol does not allow.
	ErrProtocol = errors.New("client: protocol error")
)

// AuthError carries ingest's reason for refusing the connection.
type AuthError struct{ Reason string }

func (e *AuthError) Error() string   { return "client: authentication failed: " + e.Reason }
func (e *AuthError) Is(t error) bool { return t == ErrAuthFailed }

// ChunkError is an ERROR frame from ingest about one chunk or the whole stream. Code says what
// went wrong (frame.CodeInvalidChunk, frame.CodeSeqGap, ...); Fatal means ingest closed the
// stream.
type ChunkError = frame.ErrorFrame

func protocolErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrProtocol}, args...)...)
}
