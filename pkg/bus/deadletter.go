package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// maxDeadLetterData caps the original bytes kept in one record; longer data is cut and the
// record says so in its reason.
const maxDeadLetterData = 512 << 10

// DeadLetter records a message that source could not accept: the original bytes and the
// reason, published to ms.dlq.<source> and stored in the DLQ stream, so nothing is lost.
func DeadLetter(ctx context.Context, js jetstream.JetStream, source, subject, stream string, data []byte, reason error) error {
	ctx, cancel := withDefaultTimeout(ctx, 5*time.Second)
	defer cancel()
	why := "unknown"
	if reason != nil {
		why = reason.Error()
	}
	if len(data) > maxDeadLetterData {
		why += fmt.Sprintf(" (original was %d bytes; first %d kept)", len(data), maxDeadLetterData)
		data = data[:maxDeadLetterData]
	}
	rec := wire.DeadLetter{Source: source, Subject: subject, Stream: stream, Reason: why, Data: data, Time: time.Now().UTC()}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("bus: dead letter: %w", err)
	}
	msg := nats.NewMsg(wire.DeadLetterSubject(source))
	msg.Data = b
	msg.Header.Set(wire.HeaderSchema, wire.SchemaDeadLetter)
	msg.Header.Set(wire.HeaderReason, headerValue(why, 512))
	if _, err := js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("bus: dead letter for %s: %w", subject, err)
	}
	return nil
}

// headerValue makes s safe for a NATS header: one line, at most n bytes.
func headerValue(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "")
	}
	return s
}
