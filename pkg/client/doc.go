// Package client is the Go library an LLM gateway uses to stream responses to midstream over
// QUIC: Dial once, StartResponse per LLM response, Send its chunks, receive actions (stop, flag)
// on a channel or callback while the response is still streaming. The client numbers chunks,
// keeps every chunk until ingest acknowledges it as stored, and after a lost connection redials
// and resends from the first unacknowledged seq; JetStream deduplicates what was stored twice.
package client
