package scheduler

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/midstream/midstream/pkg/sched"
	"github.com/midstream/midstream/pkg/wire"
)

// fields are the parts of a chunk the scheduler needs. Everything else (text, tokens, tool
// calls) is the analysers' business: the scheduler forwards the payload bytes unchanged and
// does not validate them (the analysers dead-letter invalid chunks themselves).
type fields struct {
	Stream string     `json:"stream"`
	Seq    *uint64    `json:"seq"`
	Final  bool       `json:"final"`
	Meta   *metaField `json:"meta"`
}

// metaField keeps each metadata value raw so that one malformed value (a numeric priority, a
// string deadline) costs only that value, not the whole chunk.
type metaField struct {
	Tenant     json.RawMessage `json:"tenant"`
	Priority   json.RawMessage `json:"priority"`
	DeadlineMS json.RawMessage `json:"deadline_ms"`
}

// meta is the scheduling metadata of a response after defaults were applied.
type meta struct {
	tenant   string
	class    sched.Class
	deadline time.Duration // 0: the class's budget
}

// problem is a metadata defect: the chunk still flows, at the documented default.
type problem struct {
	kind   string // counter label: unknown_class, bad_deadline, bad_tenant, missing_meta
	detail string
}

// decodeFields extracts the scheduling fields. A message that is not a JSON object, or has no
// valid stream id or sequence number, cannot be scheduled (*ChunkError).
func decodeFields(subject string, data []byte, subjStream string) (fields, error) {
	var f fields
	if len(data) > wire.MaxChunkBytes {
		return f, &ChunkError{Subject: subject, Reason: "larger than " + strconv.Itoa(wire.MaxChunkBytes) + " bytes"}
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, &ChunkError{Subject: subject, Reason: "not a chunk object: " + err.Error()}
	}
	if err := wire.ValidateStreamID(f.Stream); err != nil {
		return f, &ChunkError{Subject: subject, Reason: "stream: " + err.Error()}
	}
	if subjStream != "" && f.Stream != subjStream {
		return f, &ChunkError{Subject: subject, Reason: "stream " + strconv.Quote(f.Stream) + " does not match the subject"}
	}
	if f.Seq == nil {
		return f, &ChunkError{Subject: subject, Reason: "seq missing"}
	}
	if *f.Seq > wire.MaxSeq {
		return f, &ChunkError{Subject: subject, Reason: "seq " + strconv.FormatUint(*f.Seq, 10) + " out of range"}
	}
	return f, nil
}

// parseMeta turns chunk-0 metadata into scheduling metadata, reporting every defect and
// falling back to the defaults: tenant "" (the default tenant), class normal, the class's
// deadline budget.
func parseMeta(m *metaField, dst []problem) (meta, []problem) {
	out := meta{class: sched.Normal}
	if m == nil {
		return out, append(dst, problem{"missing_meta", "chunk 0 carries no metadata; class normal, default tenant"})
	}
	if raw := bytes.TrimSpace(m.Tenant); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		var t string
		switch err := json.Unmarshal(raw, &t); {
		case err != nil:
			dst = append(dst, problem{"bad_tenant", "tenant is not a string; default tenant used"})
		case len(t) > wire.MaxNameLen || len(t) > sched.MaxNameLen:
			dst = append(dst, problem{"bad_tenant", "tenant longer than " + strconv.Itoa(sched.MaxNameLen) + " bytes; default tenant used"})
		default:
			out.tenant = t
		}
	}
	if raw := bytes.TrimSpace(m.Priority); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		var p string
		if err := json.Unmarshal(raw, &p); err != nil {
			dst = append(dst, problem{"unknown_class", "priority is not a string; class normal used"})
		} else {
			c, err := sched.ParseClass(p)
			if err != nil {
				dst = append(dst, problem{"unknown_class", "priority " + strconv.Quote(truncate(p, 64)) + " is not critical, high, normal or low; class normal used"})
			}
			out.class = c
		}
	}
	if raw := bytes.TrimSpace(m.DeadlineMS); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		var ms float64
		switch err := json.Unmarshal(raw, &ms); {
		case err != nil:
			dst = append(dst, problem{"bad_deadline", "deadline_ms is not a number; class budget used"})
		case ms < 0 || ms > wire.MaxDeadline || ms != ms:
			dst = append(dst, problem{"bad_deadline", "deadline_ms " + strconv.FormatFloat(ms, 'g', 6, 64) + " outside 0.." + strconv.Itoa(wire.MaxDeadline) + "; class budget used"})
		default:
			out.deadline = time.Duration(ms * float64(time.Millisecond))
		}
	}
	return out, dst
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// receivedAt reads the ingest time header (Unix nanoseconds); it returns now when the header
// is missing, malformed or in the future (a skewed clock must not extend a deadline).
func receivedAt(h string, now time.Time) time.Time {
	if h == "" {
		return now
	}
	n, err := strconv.ParseInt(h, 10, 64)
	if err != nil || n <= 0 {
		return now
	}
	t := time.Unix(0, n)
	if t.After(now) {
		return now
	}
	return t
}
