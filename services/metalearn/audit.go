package metalearn

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"sort"
	"strings"

	"github.com/midstream/midstream/pkg/learn"
	"github.com/nats-io/nats.go/jetstream"
)

// AuditBucket is the KV bucket of the audit trail. Key "initial" holds the learner's revision-0
// configuration; key "e.<seq, 20 digits>" one audit entry with the ms_config key and KV revision
// it produced. Values are gob-encoded (non-finite floats survive, unlike JSON).
const AuditBucket = "ms_audit"

const auditInitialKey = "initial"

// AuditRecord is one persisted audit entry.
type AuditRecord struct {
	Entry learn.AuditEntry
	// KVKey is the ms_config key of the entry's modification.
	KVKey string
	// KVRevision is the ms_config revision an applied change wrote (0 for other kinds, or when
	// the write failed and is being retried).
	KVRevision uint64
}

func auditKey(seq uint64) string { return fmt.Sprintf("e.%020d", seq) }

func provisionAudit(ctx context.Context, js jetstream.JetStream, bucket string) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "metalearn audit trail: every proposal, rejection, application, evaluation and rollback",
		History:     1,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("metalearn: provision %s: %w", bucket, err)
	}
	return kv, nil
}

// loadAudit reads the stored initial configuration (nil if none) and every record, in seq order.
func loadAudit(ctx context.Context, kv jetstream.KeyValue) (map[string]learn.Value, []AuditRecord, error) {
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, nil, fmt.Errorf("metalearn: read audit: %w", err)
	}
	defer func() { _ = w.Stop() }()
	var initial map[string]learn.Value
	var recs []AuditRecord
	for {
		var e jetstream.KeyValueEntry
		select {
		case e = <-w.Updates():
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
		if e == nil {
			break
		}
		switch {
		case e.Key() == auditInitialKey:
			initial = map[string]learn.Value{}
			if err := gob.NewDecoder(bytes.NewReader(e.Value())).Decode(&initial); err != nil {
				return nil, nil, fmt.Errorf("metalearn: audit %s: %w", e.Key(), err)
			}
		case strings.HasPrefix(e.Key(), "e."):
			var r AuditRecord
			if err := gob.NewDecoder(bytes.NewReader(e.Value())).Decode(&r); err != nil {
				return nil, nil, fmt.Errorf("metalearn: audit %s: %w", e.Key(), err)
			}
			recs = append(recs, r)
		}
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Entry.Seq < recs[j].Entry.Seq })
	for i := range recs {
		if recs[i].Entry.Seq != uint64(i+1) {
			return nil, nil, fmt.Errorf("metalearn: audit trail has a gap at entry %d: %w", i+1, learn.ErrStale)
		}
	}
	return initial, recs, nil
}

func encodeGob(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func storeInitial(ctx context.Context, kv jetstream.KeyValue, c learn.Config) error {
	m := make(map[string]learn.Value, c.Len())
	for _, k := range c.Keys() {
		m[k] = c.Get(k)
	}
	b, err := encodeGob(m)
	if err != nil {
		return err
	}
	if _, err := kv.Put(ctx, auditInitialKey, b); err != nil {
		return fmt.Errorf("metalearn: store initial configuration: %w", err)
	}
	return nil
}

// persistAudit writes the learner's audit entries not yet stored. Entries are written in order;
// on a failure the rest wait for the next call.
func (s *Service) persistAudit(ctx context.Context) {
	for _, e := range s.l.Audit(s.persisted + 1) {
		r := AuditRecord{Entry: e}
		if e.Mod.Key != "" {
			r.KVKey, _ = LearnerToKV(e.Mod.Key)
		}
		if e.Kind == learn.AuditApplied {
			r.KVRevision = s.kvRev[e.Revision]
		}
		b, err := encodeGob(&r)
		if err == nil {
			_, err = s.auditKV.Put(ctx, auditKey(e.Seq), b)
		}
		if err != nil {
			s.c.AuditErrors++
			s.o.log.Error("metalearn: persist audit entry", "seq", e.Seq, "err", err)
			return
		}
		s.persisted = e.Seq
	}
}
