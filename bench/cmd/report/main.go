// Command report writes bench/out/report.md: the machine, the pipeline load test
// (bench/cmd/loadgen's JSON) with PNG plots of latency percentiles against offered load, the
// figures of every component's Go benchmarks (raw `go test -bench` outputs), and the table of
// the Rust midstream's 18 published targets with midstream's measured value for each.
//
// Usage: report -out bench/out/report.md -pipeline bench/out/pipeline.json -machine bench/out/machine.txt bench/out/*.txt
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/midstream/midstream/bench/internal/pipeline"
)

func main() {
	out := flag.String("out", "bench/out/report.md", "report to write; plots go next to it")
	pipe := flag.String("pipeline", "bench/out/pipeline.json", "the load generator's results (skipped if absent)")
	mach := flag.String("machine", "bench/out/machine.txt", "the machine description written by make bench")
	flag.Parse()
	if err := run(*out, *pipe, *mach, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	fmt.Println("report in", *out)
}

func run(out, pipePath, machPath string, files []string) error {
	var raw []string
	for _, f := range files {
		if base := filepath.Base(f); base != "machine.txt" && !strings.HasSuffix(base, ".json") {
			raw = append(raw, f)
		}
	}
	benches := parseFiles(raw)
	var res *pipeline.Result
	if b, err := os.ReadFile(pipePath); err == nil {
		res = &pipeline.Result{}
		if err := json.Unmarshal(b, res); err != nil {
			return fmt.Errorf("%s: %w", pipePath, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	w := f
	fmt.Fprintln(w, "# midstream benchmark report")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Written by `make bench` (bench/cmd/report). Figures are medians of the runs in the raw files unless said otherwise.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Machine")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "```")
	if b, err := os.ReadFile(machPath); err == nil {
		fmt.Fprint(w, string(b))
	} else if res != nil {
		fmt.Fprintln(w, res.Machine)
	}
	fmt.Fprintln(w, "```")
	if res != nil {
		if err := writePipeline(w, res, filepath.Dir(out)); err != nil {
			return err
		}
	}
	writeTargets(w, benches)
	writeComponents(w, benches)
	return nil
}

func ms(v float64) string {
	switch {
	case v == 0:
		return "–"
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

func lat(l pipeline.Latency) string {
	if l.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%s / %s / %s (n=%d)", ms(l.P50), ms(l.P99), ms(l.P999), l.N)
}

func analysers(res *pipeline.Result) []string {
	seen := map[string]bool{}
	for _, s := range res.Steps {
		for k := range s.Analysed {
			seen[k] = true
		}
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func writePipeline(w io.Writer, res *pipeline.Result, dir string) error {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Pipeline load test")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Run %s: `%s`. Synthetic responses stream through QUIC into `midstream run` (child process, "+
		"embedded nats-server, every registered service) at %.0f chunks/s each, one token per chunk; 5%% of the "+
		"responses leak an e-mail address, 5%% the system prompt, 5%% loop. Verdict latency is chunk received at "+
		"ingest → verdict received on NATS (Ms-Received header); action latency is chunk sent by the gateway → "+
		"action received by the gateway. Percentiles are p50 / p99 / p99.9 in ms over the findings of the step "+
		"(few findings make p99.9 the maximum).\n\n", res.Started, res.Command, res.PerStream)
	b := res.Bus
	fmt.Fprintf(w, "**Raw bus limit in the same run** (embedded JetStream, file store, %d messages of %d bytes): async publish "+
		"%.0f msgs/s; publish plus one acknowledged consumer of the same messages %.0f msgs/s (memory store %.0f msgs/s).\n\n",
		b.Messages, b.Size, b.PublishPerSec, b.PubConsPerSec, b.MemPubConsRate)
	names := analysers(res)
	fmt.Fprint(w, "| offered/s | responses | sent/s | analysed/s (slowest) | backlog | shed/s |")
	for _, n := range names {
		fmt.Fprintf(w, " %s verdict ms |", n)
	}
	fmt.Fprintln(w, " action at gateway ms | scheduler wait p50/p99 ms | mean analysis ms/chunk | CPU cores | RSS MiB | load avg | kept up |")
	fmt.Fprint(w, "|---|---|---|---|---|---|")
	for range names {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w, "---|---|---|---|---|---|---|")
	for _, s := range res.Steps {
		slow, back := math.Inf(1), 0.0
		for _, v := range s.Analysed {
			slow = min(slow, v)
		}
		for _, v := range s.Backlog {
			back = max(back, v)
		}
		if math.IsInf(slow, 1) {
			slow = 0
		}
		fmt.Fprintf(w, "| %.0f | %d | %.0f | %.0f | %.0f | %.0f |", s.Offered, s.Responses, s.Sent, slow, back, s.Shed)
		for _, n := range names {
			fmt.Fprintf(w, " %s |", lat(s.Verdict[n]))
		}
		var an []string
		for _, n := range names {
			an = append(an, fmt.Sprintf("%s %.3f", n, s.AnalysisMS[n]))
		}
		fmt.Fprintf(w, " %s | %s / %s | %s | %.2f | %.0f | %.1f | %v |\n", lat(s.Action), ms(s.SchedWait.P50), ms(s.SchedWait.P99),
			strings.Join(an, ", "), s.CPU, s.RSS/(1<<20), s.Load, s.KeptUp)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Knee (first offered load not kept up: gateways could not send it, an analyser fell >10%% behind, a backlog "+
		"over one second of load, or the scheduler shed): **%s**. Sustained (slowest analyser, highest step kept up): **%.0f chunks/s**, "+
		"%.0f%% of the publish+acked-consume limit measured in the same run (goal ≥ 50%%).\n\n",
		kneeText(res.Knee), res.Sustained, 100*res.Sustained/max(1, b.PubConsPerSec))
	if m := res.Memory; m != nil {
		fmt.Fprintf(w, "**Memory**: %d concurrent open responses (each sent 4 chunks and stays open): resident %.0f MiB "+
			"(process baseline %.0f MiB at start), %.0f KiB per open response across ingest, the bus and every service "+
			"(goal ≤ 1 GiB in total: %s).\n\n", m.Open, m.RSS/(1<<20), m.Baseline/(1<<20), m.PerStream/1024, metText(m.RSS <= 1<<30))
	}
	if err := plotLatency(res, filepath.Join(dir, "pipeline-latency.png")); err != nil {
		return err
	}
	if err := plotThroughput(res, filepath.Join(dir, "pipeline-throughput.png")); err != nil {
		return err
	}
	fmt.Fprintln(w, "![latency percentiles against offered load](pipeline-latency.png)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "![throughput against offered load](pipeline-throughput.png)")
	return nil
}

func kneeText(k float64) string {
	if k == 0 {
		return "not reached in the steps run"
	}
	return fmt.Sprintf("%.0f chunks/s offered", k)
}

func metText(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

func human(ns float64) string {
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%.2f s", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.1f ns", ns)
	}
}

func writeTargets(w io.Writer, benches []*bench) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## The Rust midstream's published targets")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| crate | operation | target | midstream (median) | benchmark | status |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, t := range targets {
		b := find(benches, t.bench)
		val, status := "not measured in this run", "–"
		if b != nil {
			if v, ok := b.median(t.metric); ok {
				if t.atLeast {
					val = fmt.Sprintf("%.0f MB/s", v)
					status = metText(v >= t.limit)
				} else {
					val = human(v)
					status = metText(v <= t.limit)
				}
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | `%s` (%s; %s) | %s |\n", t.crate, t.what, t.goal, val, t.bench, t.metric, t.note, status)
	}
}

func writeComponents(w io.Writer, benches []*bench) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Component benchmarks")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Median over the runs of each benchmark; other columns are the benchmark's own metrics (medians).")
	pkg := "\x00"
	for _, b := range benches {
		if b.pkg != pkg {
			pkg = b.pkg
			fmt.Fprintf(w, "\n### %s\n\n| benchmark | runs | time/op | B/op | allocs/op | other |\n|---|---|---|---|---|---|\n", pkg)
		}
		nsop, _ := b.median("ns/op")
		bop, _ := b.median("B/op")
		aop, _ := b.median("allocs/op")
		var other []string
		var units []string
		for u := range b.samples {
			if u != "ns/op" && u != "B/op" && u != "allocs/op" {
				units = append(units, u)
			}
		}
		slices.Sort(units)
		for _, u := range units {
			v, _ := b.median(u)
			other = append(other, fmt.Sprintf("%.4g %s", v, u))
		}
		fmt.Fprintf(w, "| `%s` | %d | %s | %.0f | %.0f | %s |\n", strings.TrimPrefix(b.name, "Benchmark"), len(b.samples["ns/op"]),
			human(nsop), bop, aop, strings.Join(other, ", "))
	}
}
