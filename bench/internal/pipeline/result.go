// Package pipeline holds the result format shared by the pipeline load generator
// (bench/cmd/loadgen), which writes it, and the report generator (bench/cmd/report), which
// reads it.
package pipeline

// Result is one run of the load generator.
type Result struct {
	Started   string   `json:"started"`
	Machine   string   `json:"machine"`
	Command   string   `json:"command"`
	Services  []string `json:"services"` // analysers seen publishing verdicts or counting chunks
	Bus       Bus      `json:"bus"`
	PerStream float64  `json:"per_stream_chunks_per_s"`
	Steps     []Step   `json:"steps"`
	// Knee is the offered load of the first step that did not keep up (0: none did not).
	Knee float64 `json:"knee_offered"`
	// Sustained is the highest analysed rate (slowest analyser) of a step that kept up.
	Sustained float64 `json:"sustained_chunks_per_s"`
	Memory    *Memory `json:"memory,omitempty"`
}

// Bus is the raw limit of an embedded JetStream on this machine.
type Bus struct {
	Messages       int     `json:"messages"`
	Size           int     `json:"size"`
	PublishPerSec  float64 `json:"publish_per_s"`             // async publish alone, acked by the server
	PubConsPerSec  float64 `json:"publish_consume_per_s"`     // publish plus one acked consumer, same messages
	MemPubConsRate float64 `json:"mem_publish_consume_per_s"` // the same with a memory store
}

// Latency is a set of percentiles in milliseconds.
type Latency struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p999_ms"`
	Max  float64 `json:"max_ms"`
}

// Step is one offered-load level.
type Step struct {
	Offered   float64            `json:"offered_chunks_per_s"`
	Responses int                `json:"responses"`
	Sent      float64            `json:"sent_chunks_per_s"`     // what the gateways managed to send
	Analysed  map[string]float64 `json:"analysed_chunks_per_s"` // per analyser, during the step
	Backlog   map[string]float64 `json:"backlog_chunks"`        // sent − analysed at the end of the step
	Shed      float64            `json:"shed_per_s"`            // scheduler shed verdicts
	Verdict   map[string]Latency `json:"verdict_latency"`       // chunk at ingest → verdict, per analyser
	Action    Latency            `json:"action_latency"`        // chunk sent by the gateway → action received
	RSS       float64            `json:"rss_bytes"`
	CPU       float64            `json:"cpu_cores"` // process CPU seconds per second during the step
	KeptUp    bool               `json:"kept_up"`
	// Load is the machine's 1-minute load average at the end of the step (other processes
	// included): on a shared machine it says how much of the CPU the pipeline could have.
	Load float64 `json:"loadavg"`
	// AnalysisMS is each analyser's mean time in Observe per chunk during the step.
	AnalysisMS map[string]float64 `json:"analysis_ms"`
	// SchedWait is the scheduler's queueing (submission → release to WORK) of the normal
	// class, cumulative since start, from its stats endpoint; zero without a scheduler.
	SchedWait Latency `json:"scheduler_wait"`
}

// Memory is the resident-memory measurement with many open responses.
type Memory struct {
	Open      int              `json:"open"`
	Baseline  float64          `json:"baseline_rss_bytes"`
	RSS       float64          `json:"rss_bytes"`
	Sessions  map[string]int64 `json:"sessions"` // open sessions per analyser when measured
	PerStream float64          `json:"per_response_bytes"`
}
