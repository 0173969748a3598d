package wire

import (
	"fmt"
	"strconv"
	"strings"
)

// Subject layout. Every subject starts with the "ms" prefix; the last token is always the
// response's stream id, so per-response filtering is a wildcard on the last token.
const (
	// Prefix is the first token of every midstream subject.
	Prefix = "ms"

	// InWildcard matches every chunk published by gateways (ms.in.<stream>).
	InWildcard = "ms.in.*"
	// ChunkWildcard matches every partitioned chunk stored in CHUNKS (ms.chunk.<partition>.<stream>).
	ChunkWildcard = "ms.chunk.*.*"
	// WorkWildcard matches every released work item (ms.work.<partition>.<stream>).
	WorkWildcard = "ms.work.*.*"
	// VerdictWildcard matches every verdict (ms.verdict.<analyser>.<stream>).
	VerdictWildcard = "ms.verdict.*.*"
	// ActionWildcard matches every action (ms.action.<stream>).
	ActionWildcard = "ms.action.*"
	// FeedbackWildcard matches every feedback message (ms.feedback.<stream>).
	FeedbackWildcard = "ms.feedback.*"
	// DeadLetterWildcard matches every dead-letter record (ms.dlq.<source>).
	DeadLetterWildcard = "ms.dlq.*"

	// PartitionTransform is the CHUNKS subject-transform destination for a partition count,
	// formatted with PartitionDestination.
	partitionDestFormat = "ms.chunk.{{partition(%d,1)}}.{{wildcard(1)}}"
)

// InSubject is the subject a gateway publishes a chunk of stream to: ms.in.<stream>.
func InSubject(stream string) string { return "ms.in." + stream }

// ChunkSubject is the CHUNKS subject of stream in partition p: ms.chunk.<p>.<stream>.
func ChunkSubject(p int, stream string) string {
	return "ms.chunk." + strconv.Itoa(p) + "." + stream
}

// ChunkPartitionFilter matches every chunk of partition p: ms.chunk.<p>.*.
func ChunkPartitionFilter(p int) string { return "ms.chunk." + strconv.Itoa(p) + ".*" }

// ChunkStreamFilter matches every chunk of one response, whatever its partition: ms.chunk.*.<stream>.
func ChunkStreamFilter(stream string) string { return "ms.chunk.*." + stream }

// WorkSubject is the WORK subject of stream in partition p: ms.work.<p>.<stream>.
func WorkSubject(p int, stream string) string {
	return "ms.work." + strconv.Itoa(p) + "." + stream
}

// WorkPartitionFilter matches every work item of partition p: ms.work.<p>.*.
func WorkPartitionFilter(p int) string { return "ms.work." + strconv.Itoa(p) + ".*" }

// VerdictSubject is where analyser publishes its verdicts on stream: ms.verdict.<analyser>.<stream>.
func VerdictSubject(analyser, stream string) string {
	return "ms.verdict." + analyser + "." + stream
}

// ActionSubject is where actions for stream are published: ms.action.<stream>.
func ActionSubject(stream string) string { return "ms.action." + stream }

// FeedbackSubject is where feedback on stream is published: ms.feedback.<stream>.
func FeedbackSubject(stream string) string { return "ms.feedback." + stream }

// DeadLetterSubject is where source (a service name) records messages it could not accept.
func DeadLetterSubject(source string) string { return "ms.dlq." + source }

// PartitionDestination is the subject-transform destination that maps ms.in.<stream> to
// ms.chunk.<partition>.<stream> with n partitions, hashing the stream id (NATS partition()).
func PartitionDestination(n int) string { return fmt.Sprintf(partitionDestFormat, n) }

// SubjectInfo is a parsed midstream subject.
type SubjectInfo struct {
	Kind      string // "in", "chunk", "work", "verdict", "action", "feedback", "dlq"
	Partition int    // chunk and work subjects; -1 otherwise
	Analyser  string // verdict subjects
	Stream    string // the response's stream id (dlq: the source)
}

// ParseSubject splits a midstream subject into its parts, validating the stream token.
func ParseSubject(subject string) (SubjectInfo, error) {
	parts := strings.Split(subject, ".")
	bad := func(why string) (SubjectInfo, error) {
		return SubjectInfo{}, &SubjectError{Subject: subject, Reason: why}
	}
	if len(parts) < 3 || parts[0] != Prefix {
		return bad("not a midstream subject")
	}
	info := SubjectInfo{Kind: parts[1], Partition: -1}
	switch parts[1] {
	case "in", "action", "feedback", "dlq":
		if len(parts) != 3 {
			return bad("want 3 tokens")
		}
		info.Stream = parts[2]
	case "chunk", "work":
		if len(parts) != 4 {
			return bad("want 4 tokens")
		}
		p, err := strconv.Atoi(parts[2])
		if err != nil || p < 0 {
			return bad("partition token is not a non-negative integer")
		}
		info.Partition, info.Stream = p, parts[3]
	case "verdict":
		if len(parts) != 4 {
			return bad("want 4 tokens")
		}
		if err := ValidateToken("analyser", parts[2]); err != nil {
			return SubjectInfo{}, err
		}
		info.Analyser, info.Stream = parts[2], parts[3]
	default:
		return bad("unknown kind " + strconv.Quote(parts[1]))
	}
	if err := ValidateStreamID(info.Stream); err != nil {
		return SubjectInfo{}, err
	}
	return info, nil
}
