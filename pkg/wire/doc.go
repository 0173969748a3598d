// Package wire is midstream's message schema: the chunk, verdict, action and feedback messages
// that gateways and services exchange, their validation limits, the schema-version header, and
// the NATS subject names. Subjects are built here and nowhere else, so a reader can find every
// subject midstream uses in one file (subjects.go).
package wire
