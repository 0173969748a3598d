package telemetry

import "go.opentelemetry.io/otel/attribute"

// OpenTelemetry GenAI and guardrail semantic-convention names (development status; see
// docs/telemetry.md). They are spelled here once so every service uses the same keys.
const (
	AttrGenAIRequestModel     = attribute.Key("gen_ai.request.model")
	AttrGenAIProviderName     = attribute.Key("gen_ai.provider.name")
	AttrGenAIRequestStream    = attribute.Key("gen_ai.request.stream")
	AttrGenAITimeToFirstChunk = attribute.Key("gen_ai.response.time_to_first_chunk")
	AttrGenAIFinishReasons    = attribute.Key("gen_ai.response.finish_reasons")

	SpanApplyGuardrail         = "apply_guardrail"
	EventGuardrailResult       = "gen_ai.guardrail.result"
	AttrGuardrailComponentName = attribute.Key("gen_ai.guardrail.component.name")
	AttrGuardrailPolicyID      = attribute.Key("gen_ai.guardrail.policy.id")
	AttrGuardrailResultType    = attribute.Key("gen_ai.guardrail.result.type")
	AttrGuardrailResultValue   = attribute.Key("gen_ai.guardrail.result.value")
	AttrGuardrailResultReason  = attribute.Key("gen_ai.guardrail.result.reason")

	// midstream's own attributes.
	AttrStream    = attribute.Key("midstream.stream")
	AttrSeq       = attribute.Key("midstream.seq")
	AttrTenant    = attribute.Key("midstream.tenant")
	AttrPartition = attribute.Key("midstream.partition")
	AttrPriority  = attribute.Key("midstream.priority")

	// Metric names.
	MetricTimeToFirstChunk   = "gen_ai.client.operation.time_to_first_chunk"
	MetricTimePerOutputChunk = "gen_ai.client.operation.time_per_output_chunk"
	MetricInflightLatency    = "midstream.inflight.latency"
)
