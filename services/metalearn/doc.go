// Package metalearn is midstream's learning service: it feeds the verdicts, chunks and feedback
// labels on the bus into a pkg/learn Learner, writes the configuration changes the learner
// proposes (after safety checks and shadow evaluation, or an operator's approval) to the
// ms_config KV bucket, keeps the audit trail in its own KV bucket (ms_audit) and restores the
// learner from it on start. A NATS micro service ("metalearn") exposes status, proposals,
// approve, reject, rollback and the audit trail.
package metalearn
