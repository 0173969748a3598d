package wire

import "embed"

// Schemas holds the JSON Schema (draft 2020-12) of every message, one file per message and
// version: schema/chunk.v1.json, verdict.v1.json, action.v1.json, feedback.v1.json. Gateways in
// other languages validate against these; a test keeps them in step with the Go types.
//
//go:embed schema/*.json
var Schemas embed.FS
