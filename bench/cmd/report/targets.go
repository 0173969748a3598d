package main

// target is one of the Rust midstream's 18 published performance targets, mapped to the Go
// benchmark that measures the same operation here.
type target struct {
	crate, what string
	goal        string
	limit       float64 // in the metric's unit: ns for times, MB/s for throughput
	atLeast     bool    // a throughput floor rather than a time ceiling
	bench       string  // benchmark name
	metric      string  // unit of the go test metric read
	note        string
}

var targets = []target{
	{"temporal-compare", "DTW n=100", "< 10 ms", 10e6, false, "BenchmarkDTW/n=100/full", "ns/op", "pkg/seq, unconstrained, float64"},
	{"temporal-compare", "LCS n=100", "< 5 ms", 5e6, false, "BenchmarkLCS/n=100", "ns/op", "pkg/seq"},
	{"temporal-compare", "edit distance n=100", "< 3 ms", 3e6, false, "BenchmarkEditDistance/n=100", "ns/op", "pkg/seq"},
	{"temporal-compare", "cache hit", "< 1 µs", 1e3, false, "BenchmarkCacheHit/n=100", "ns/op", "pkg/seq, two 100-point series"},
	{"nanosecond-scheduler", "scheduling overhead", "< 100 ns", 100, false, "BenchmarkScheduleDispatch/clock=batch/policy=edf/queued=1000", "ns/submit", "pkg/sched, submit with 1k queued"},
	{"nanosecond-scheduler", "task dispatch", "< 1 µs", 1e3, false, "BenchmarkScheduleDispatch/clock=batch/policy=edf/queued=100000", "ns/dispatch", "pkg/sched, dispatch with 100k queued"},
	{"nanosecond-scheduler", "statistics", "< 10 µs", 10e3, false, "BenchmarkSnapshot", "ns/op", "pkg/sched, snapshot with 100k queued"},
	{"temporal-attractor-studio", "phase space n=1000", "< 20 ms", 20e6, false, "BenchmarkEmbedding/n=1000", "ns/op", "pkg/dynamics, delay embedding"},
	{"temporal-attractor-studio", "Lyapunov", "< 500 ms", 500e6, false, "BenchmarkRosenstein/n=10000", "ns/op", "pkg/dynamics, Rosenstein, Lorenz n=10 000"},
	{"temporal-attractor-studio", "detection", "< 100 ms", 100e6, false, "BenchmarkAnalyze/lorenz/n=1000", "ns/op", "pkg/dynamics, full classification with surrogates"},
	{"temporal-neural-solver", "parse", "< 5 ms", 5e6, false, "BenchmarkParseCompile/len=68", "ns/op", "pkg/ltl, parse + compile, 14-operator formula"},
	{"temporal-neural-solver", "encode", "< 10 ms", 10e6, false, "BenchmarkParseCompile/len=68", "ns/op", "pkg/ltl: encoding = compiling to the monitor's automaton, measured with parsing"},
	{"temporal-neural-solver", "verify", "< 100 ms", 100e6, false, "BenchmarkManyRules/rules=1000", "ns/op", "pkg/ltl, one event against 1 000 rules"},
	{"temporal-neural-solver", "state check", "< 1 µs", 1e3, false, "BenchmarkMonitorStep/ops=10", "ns/op", "pkg/ltl, monitor step, 10-operator formula"},
	{"strange-loop", "iteration", "< 50 ms", 50e6, false, "BenchmarkObserve/feedback=true", "ns/op", "pkg/learn, one observation through every level"},
	{"strange-loop", "pattern extraction", "< 20 ms", 20e6, false, "BenchmarkMine/responses=10000", "ns/op", "pkg/learn, mining 10 000 responses"},
	{"strange-loop", "integration", "< 100 ms", 100e6, false, "BenchmarkShadow/responses=1000", "ns/op", "pkg/learn, shadow evaluation of a change on 1 000 responses"},
	{"quic-multistream", "QUIC throughput", "> 1 GB/s", 1000, true, "BenchmarkQUICThroughput/streams=4", "MB/s", "bench, raw quic-go on loopback, 4 streams"},
}
