package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/midstream/midstream/pkg/seq"
)

func init() {
	register(command{name: "analyze compare", summary: "distance between two sequences (dtw, euclidean, lcs, edit)", run: analyzeCompareCmd})
	register(command{name: "analyze classify", summary: "1-NN classification of UCR .ts files (dtw, euclidean)", run: analyzeClassifyCmd})
}

// Input limits of the offline commands: they read user files whole.
const (
	maxInputBytes = 64 << 20 // per file
	maxLineBytes  = 1 << 20  // per line
	maxPathCells  = 1 << 26  // --path keeps a full DTW matrix of this many cells at most (512 MiB)
)

// inputError names the file and line of a bad input.
type inputError struct {
	file string
	line int
	msg  string
}

func (e *inputError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg)
	}
	return fmt.Sprintf("%s: %s", e.file, e.msg)
}

// readLines returns the non-blank lines of a file ("-" is stdin) with their line numbers.
func readLines(name string, stdin io.Reader) (lines []string, nums []int, err error) {
	var r io.Reader
	if name == "-" {
		r = stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, nil, err
		}
		defer f.Close()
		r = f
	}
	lr := &io.LimitedReader{R: r, N: maxInputBytes + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineBytes)
	n := 0
	for sc.Scan() {
		n++
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		lines = append(lines, s)
		nums = append(nums, n)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, nil, &inputError{name, n + 1, fmt.Sprintf("line longer than %d bytes", maxLineBytes)}
		}
		return nil, nil, &inputError{name, 0, err.Error()}
	}
	if lr.N <= 0 {
		return nil, nil, &inputError{name, 0, fmt.Sprintf("file larger than %d bytes", maxInputBytes)}
	}
	if len(lines) == 0 {
		return nil, nil, &inputError{name, 0, "empty input: no values"}
	}
	return lines, nums, nil
}

func readNumbers(name string, stdin io.Reader) ([]float64, error) {
	lines, nums, err := readLines(name, stdin)
	if err != nil {
		return nil, err
	}
	x := make([]float64, len(lines))
	for i, s := range lines {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, &inputError{name, nums[i], fmt.Sprintf("%q is not a number", s)}
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, &inputError{name, nums[i], fmt.Sprintf("value %q is not finite", s)}
		}
		x[i] = v
	}
	return x, nil
}

type compareOutput struct {
	Algorithm   string   `json:"algorithm"`
	Distance    float64  `json:"distance"`
	LCSLength   *int     `json:"lcs_length,omitempty"`
	Window      *int     `json:"window,omitempty"`
	Cost        string   `json:"cost,omitempty"`
	LenA        int      `json:"len_a"`
	LenB        int      `json:"len_b"`
	Path        [][2]int `json:"path,omitempty"`
	Subsequence []string `json:"subsequence,omitempty"`
}

func analyzeCompareCmd(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("midstream analyze compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	algo := fs.String("algo", "dtw", "dtw, euclidean, lcs or edit")
	window := fs.Int("window", -1, "Sakoe-Chiba half-width for dtw (negative: unconstrained)")
	costName := fs.String("cost", "sq", "cell cost for dtw/euclidean: sq (squared, reported as its square root) or abs")
	path := fs.Bool("path", false, "add the warping path (dtw) or a longest common subsequence (lcs)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: midstream analyze compare --algo dtw|euclidean|lcs|edit [--window W] [--cost sq|abs] [--path] A B")
		fmt.Fprintln(stderr, "A and B are files (or - for stdin) with one value per line: numbers for dtw/euclidean, tokens for lcs/edit.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "midstream analyze compare: "+format+"\n", a...)
		return code
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return 2
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	fa, fb := fs.Arg(0), fs.Arg(1)
	if fa == "-" && fb == "-" {
		return fail(2, "only one of A and B can be - (stdin)")
	}
	var cost seq.Cost
	switch *costName {
	case "sq":
		cost = seq.Squared
	case "abs":
		cost = seq.Absolute
	default:
		return fail(2, "--cost must be sq or abs, not %q", *costName)
	}
	out := compareOutput{Algorithm: *algo}
	switch *algo {
	case "dtw", "euclidean":
		if *algo == "euclidean" && (set["window"] || set["path"]) {
			return fail(2, "--window and --path apply to dtw only")
		}
		a, err := readNumbers(fa, stdin)
		if err != nil {
			return fail(1, "%v", err)
		}
		b, err := readNumbers(fb, stdin)
		if err != nil {
			return fail(1, "%v", err)
		}
		out.LenA, out.LenB, out.Cost = len(a), len(b), cost.String()
		if *algo == "euclidean" {
			if len(a) != len(b) {
				return fail(1, "euclidean needs equal lengths: %s has %d values, %s has %d", fa, len(a), fb, len(b))
			}
			out.Distance = seq.Euclidean(a, b, cost)
			break
		}
		out.Window = window
		d := seq.NewDTW(seq.WithWindow(*window), seq.WithCost(cost))
		if *path {
			if len(a)*len(b) > maxPathCells {
				return fail(1, "--path needs a %d×%d matrix, more than %d cells", len(a), len(b), maxPathCells)
			}
			dist, steps := d.Path(nil, a, b)
			out.Distance = dist
			out.Path = make([][2]int, len(steps))
			for i, s := range steps {
				out.Path[i] = [2]int{s.I, s.J}
			}
		} else {
			out.Distance = d.Distance(a, b)
		}
	case "lcs", "edit":
		if set["window"] || set["cost"] || (*algo == "edit" && set["path"]) {
			return fail(2, "--window and --cost apply to dtw/euclidean, --path to dtw/lcs")
		}
		a, _, err := readLines(fa, stdin)
		if err != nil {
			return fail(1, "%v", err)
		}
		b, _, err := readLines(fb, stdin)
		if err != nil {
			return fail(1, "%v", err)
		}
		out.LenA, out.LenB = len(a), len(b)
		if *algo == "edit" {
			out.Distance = float64(seq.EditDistance(a, b))
			break
		}
		var l int
		if *path {
			sub, err := seq.LCS(a, b)
			if err != nil {
				return fail(1, "%v", err)
			}
			l, out.Subsequence = len(sub), sub
			if out.Subsequence == nil {
				out.Subsequence = []string{}
			}
		} else {
			l = seq.LCSLength(a, b)
		}
		out.LCSLength = &l
		// The LCS distance is the number of insertions and deletions that turn A into B.
		out.Distance = float64(len(a) + len(b) - 2*l)
	default:
		return fail(2, "--algo must be dtw, euclidean, lcs or edit, not %q", *algo)
	}
	return writeJSON(stdout, stderr, out)
}

func writeJSON(stdout, stderr io.Writer, v any) int {
	enc := json.NewEncoder(stdout)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(stderr, "midstream analyze:", err)
		return 1
	}
	return 0
}

type classifyOutput struct {
	Algorithm string  `json:"algorithm"`
	Window    *int    `json:"window,omitempty"`
	Cost      string  `json:"cost"`
	ErrorRate float64 `json:"error_rate"`
	Correct   int     `json:"correct"`
	Total     int     `json:"total"`
	Train     int     `json:"train"`
}

func readTS(name string) (*seq.Dataset, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return seq.ReadTS(f, name, seq.TSLimits{})
}

func analyzeClassifyCmd(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("midstream analyze classify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	algo := fs.String("algo", "dtw", "dtw or euclidean")
	window := fs.Int("window", -1, "Sakoe-Chiba half-width for dtw (negative: unconstrained)")
	costName := fs.String("cost", "sq", "cell cost: sq or abs")
	train := fs.String("train", "", "training set, UCR .ts file")
	test := fs.String("test", "", "test set, UCR .ts file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: midstream analyze classify --algo dtw|euclidean [--window W] --train T --test S")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "midstream analyze classify: "+format+"\n", a...)
		return code
	}
	if *train == "" || *test == "" || fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	var metric seq.Metric
	switch *algo {
	case "dtw":
		metric = seq.MetricDTW
	case "euclidean":
		metric = seq.MetricEuclidean
		set := false
		fs.Visit(func(f *flag.Flag) { set = set || f.Name == "window" })
		if set {
			return fail(2, "--window applies to dtw only")
		}
	default:
		return fail(2, "--algo must be dtw or euclidean, not %q", *algo)
	}
	var cost seq.Cost
	switch *costName {
	case "sq":
		cost = seq.Squared
	case "abs":
		cost = seq.Absolute
	default:
		return fail(2, "--cost must be sq or abs, not %q", *costName)
	}
	tr, err := readTS(*train)
	if err != nil {
		return fail(1, "%v", err)
	}
	te, err := readTS(*test)
	if err != nil {
		return fail(1, "%v", err)
	}
	if metric == seq.MetricEuclidean {
		for i, s := range te.Series {
			if len(s) != len(tr.Series[0]) {
				return fail(1, "%s: series %d has length %d, %s has length %d: euclidean needs equal lengths", *test, i+1, len(s), *train, len(tr.Series[0]))
			}
		}
	}
	res, err := seq.Classify(tr, te, metric, seq.WithWindow(*window), seq.WithCost(cost))
	if err != nil {
		return fail(1, "%s / %s: %v", *train, *test, err)
	}
	out := classifyOutput{Algorithm: *algo, Cost: cost.String(), ErrorRate: res.ErrorRate, Correct: res.Correct, Total: res.Total, Train: len(tr.Series)}
	if metric == seq.MetricDTW {
		out.Window = window
	}
	return writeJSON(stdout, stderr, out)
}
