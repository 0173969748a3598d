package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/midstream/midstream/pkg/ltl"
)

func init() {
	register(command{name: "analyze ltl", summary: "check an LTL formula on a JSON-lines trace (online verdicts, counterexample)", run: analyzeLTLCmd})
}

// maxTraceEvents bounds the trace length of analyze ltl (lines are bounded by readLines).
const maxTraceEvents = 1 << 20

type ltlEventOut struct {
	Index int             `json:"index"`
	T     *float64        `json:"t,omitempty"`
	Props map[string]bool `json:"props"`
}

type ltlSliceOut struct {
	Index   int           `json:"index"`
	Certain bool          `json:"certain"` // the verdict was definitive at Index (not only at the end)
	Events  []ltlEventOut `json:"events"`
}

type ltlOutput struct {
	Formula        string       `json:"formula"`
	Verdict        bool         `json:"verdict"`
	DecidedAt      *int         `json:"decided_at"`
	Online         []string     `json:"online"`
	Counterexample *ltlSliceOut `json:"counterexample,omitempty"`
	Witness        *ltlSliceOut `json:"witness,omitempty"`
	Events         int          `json:"events"`
	States         int          `json:"states"`
}

func analyzeLTLCmd(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("midstream analyze ltl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	formula := fs.String("formula", "", "LTL formula (Spot syntax plus F[a,b], G[a,b], U[a,b], N; see docs/ltl.md)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: midstream analyze ltl --formula F TRACE|-")
		fmt.Fprintln(stderr, `TRACE has one JSON object per line: proposition -> boolean (absent means false), optionally "t" (seconds) for timed operators.`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "midstream analyze ltl: "+format+"\n", a...)
		return code
	}
	if *formula == "" || fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	f, err := ltl.Parse(*formula)
	if err != nil {
		var se *ltl.SyntaxError
		if errors.As(err, &se) {
			fmt.Fprintf(stderr, "midstream analyze ltl: %v\n  %s\n  %s^\n", err, *formula, strings.Repeat(" ", min(se.Pos-1, len(*formula))))
			return 1
		}
		return fail(1, "%v", err)
	}
	c, err := ltl.Compile(f)
	if err != nil {
		return fail(1, "%v", err)
	}
	events, times, err := readLTLTrace(fs.Arg(0), stdin, c)
	if err != nil {
		return fail(1, "%v", err)
	}
	m := c.NewMonitor()
	out := ltlOutput{Formula: f.String(), Online: make([]string, len(events)), Events: len(events)}
	for i, e := range events {
		out.Online[i] = m.StepAt(e.V, e.T).String()
	}
	out.Verdict = m.Holds()
	if d := m.DecidedAt(); d >= 0 {
		out.DecidedAt = &d
	}
	ex := c.Explain(events)
	slice := &ltlSliceOut{Index: ex.At, Certain: ex.Verdict.Definitive(), Events: []ltlEventOut{}}
	atoms := c.Atoms()
	for _, r := range ex.Slice {
		ev := ltlEventOut{Index: r.Index, Props: map[string]bool{}}
		if times != nil {
			t := times[r.Index]
			ev.T = &t
		}
		for b, a := range atoms {
			if r.Atoms>>uint(b)&1 == 1 {
				ev.Props[a] = r.Values>>uint(b)&1 == 1
			}
		}
		slice.Events = append(slice.Events, ev)
	}
	if ex.Verdict.Holds() {
		out.Witness = slice
	} else {
		out.Counterexample = slice
	}
	out.States = c.NumStates()
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false) // formulas contain -> and <->
	if err := enc.Encode(out); err != nil {
		return fail(1, "%v", err)
	}
	return 0
}

// readLTLTrace reads JSON lines of proposition -> boolean with an optional "t" in seconds.
// Times must not decrease; a line without "t" happens at the previous line's time. times is
// nil when no line has "t".
func readLTLTrace(name string, stdin io.Reader, c *ltl.Compiled) ([]ltl.Event, []float64, error) {
	lines, nums, err := readLines(name, stdin)
	if err != nil {
		return nil, nil, err
	}
	if len(lines) > maxTraceEvents {
		return nil, nil, &inputError{name, nums[maxTraceEvents], fmt.Sprintf("trace longer than %d events", maxTraceEvents)}
	}
	events := make([]ltl.Event, len(lines))
	times := make([]float64, len(lines))
	anyT := false
	prev := 0.0
	for i, s := range lines {
		var obj map[string]json.RawMessage
		d := json.NewDecoder(bytes.NewReader([]byte(s)))
		if err := d.Decode(&obj); err != nil || d.More() {
			if err == nil {
				err = errors.New("trailing data")
			}
			return nil, nil, &inputError{name, nums[i], fmt.Sprintf("not a JSON object: %v", err)}
		}
		if obj == nil {
			return nil, nil, &inputError{name, nums[i], "not a JSON object"}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t := prev
		for _, k := range keys {
			raw := obj[k]
			if k == "t" {
				if err := json.Unmarshal(raw, &t); err != nil || math.IsNaN(t) || math.IsInf(t, 0) || t < 0 || t > 1e9 {
					return nil, nil, &inputError{name, nums[i], fmt.Sprintf(`"t" must be a number of seconds in [0, 1e9], got %s`, raw)}
				}
				if t < prev {
					return nil, nil, &inputError{name, nums[i], fmt.Sprintf(`"t" goes back in time (%g after %g)`, t, prev)}
				}
				anyT = true
				continue
			}
			var b bool
			if err := json.Unmarshal(raw, &b); err != nil {
				return nil, nil, &inputError{name, nums[i], fmt.Sprintf("proposition %q must be a boolean, got %s", k, raw)}
			}
			if idx, ok := c.AtomIndex(k); ok && b {
				events[i].V |= 1 << uint(idx)
			}
		}
		prev = t
		times[i] = t
		events[i].T = time.Duration(math.Round(t * 1e9))
	}
	if !anyT {
		times = nil
	}
	return events, times, nil
}
