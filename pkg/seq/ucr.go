package seq

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Dataset is a labelled set of univariate series, as read from a UCR/sktime .ts file.
type Dataset struct {
	Name   string // @problemName, if given
	Series [][]float64
	Labels []string
}

// TSLimits bounds what ReadTS accepts; zero fields take the defaults below.
type TSLimits struct {
	MaxLineBytes int // longest line (default 4 MiB)
	MaxSeries    int // most series (default 100 000)
	MaxLength    int // longest series (default 100 000 values)
}

func (l TSLimits) withDefaults() TSLimits {
	if l.MaxLineBytes <= 0 {
		l.MaxLineBytes = 4 << 20
	}
	if l.MaxSeries <= 0 {
		l.MaxSeries = 100_000
	}
	if l.MaxLength <= 0 {
		l.MaxLength = 100_000
	}
	return l
}

// ReadTS reads a univariate sktime .ts file (the UCR archive's text format): comment lines
// starting with '#', header lines starting with '@' up to "@data", then one series per line as
// comma-separated numbers followed by ":label". Blank lines are skipped. It checks
// @seriesLength and the @classLabel list when the header gives them. name is used only in
// errors, which are *ParseError values naming the line and wrapping ErrSyntax, ErrNaN (missing
// "?" or non-finite values), ErrTooLarge (limits) or ErrEmpty (no series).
func ReadTS(r io.Reader, name string, lim TSLimits) (*Dataset, error) {
	lim = lim.withDefaults()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(64<<10, lim.MaxLineBytes)), lim.MaxLineBytes)
	ds := &Dataset{}
	fail := func(line int, err error) (*Dataset, error) {
		return nil, &ParseError{File: name, Line: line, Err: err}
	}
	inData := false
	seriesLen := -1
	var labels map[string]bool
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		if b[0] == '@' {
			if inData {
				return fail(line, fmt.Errorf("%w: header line after @data", ErrSyntax))
			}
			key, val, _ := bytes.Cut(b[1:], []byte(" "))
			val = bytes.TrimSpace(val)
			switch string(bytes.ToLower(key)) {
			case "data":
				inData = true
			case "problemname":
				ds.Name = string(val)
			case "univariate":
				if string(val) != "true" {
					return fail(line, fmt.Errorf("%w: only univariate data is supported", ErrSyntax))
				}
			case "serieslength":
				n, err := strconv.Atoi(string(val))
				if err != nil || n <= 0 {
					return fail(line, fmt.Errorf("%w: bad @seriesLength %q", ErrSyntax, val))
				}
				seriesLen = n
			case "classlabel":
				f := bytes.Fields(val)
				if len(f) > 0 && string(f[0]) == "true" {
					labels = make(map[string]bool, len(f)-1)
					for _, l := range f[1:] {
						labels[string(l)] = true
					}
				}
			}
			continue
		}
		if !inData {
			return fail(line, fmt.Errorf("%w: data before @data", ErrSyntax))
		}
		if len(ds.Series) >= lim.MaxSeries {
			return fail(line, fmt.Errorf("%w: more than %d series", ErrTooLarge, lim.MaxSeries))
		}
		colon := bytes.LastIndexByte(b, ':')
		if colon < 0 {
			return fail(line, fmt.Errorf("%w: missing \":label\"", ErrSyntax))
		}
		vals, label := b[:colon], string(bytes.TrimSpace(b[colon+1:]))
		if bytes.IndexByte(vals, ':') >= 0 {
			return fail(line, fmt.Errorf("%w: more than one dimension", ErrSyntax))
		}
		if label == "" {
			return fail(line, fmt.Errorf("%w: empty label", ErrSyntax))
		}
		if labels != nil && !labels[label] {
			return fail(line, fmt.Errorf("%w: label %q not in @classLabel", ErrSyntax, label))
		}
		s := make([]float64, 0, max(seriesLen, 0))
		for len(vals) > 0 {
			var f []byte
			if c := bytes.IndexByte(vals, ','); c >= 0 {
				f, vals = vals[:c], vals[c+1:]
				if len(vals) == 0 {
					return fail(line, fmt.Errorf("%w: trailing comma", ErrSyntax))
				}
			} else {
				f, vals = vals, nil
			}
			if len(s) >= lim.MaxLength {
				return fail(line, fmt.Errorf("%w: series longer than %d", ErrTooLarge, lim.MaxLength))
			}
			f = bytes.TrimSpace(f)
			if string(f) == "?" {
				return fail(line, fmt.Errorf("%w: missing value at position %d", ErrNaN, len(s)+1))
			}
			v, err := strconv.ParseFloat(string(f), 64)
			if err != nil {
				return fail(line, fmt.Errorf("%w: value %d: %q is not a number", ErrSyntax, len(s)+1, f))
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fail(line, fmt.Errorf("%w: value %d is %v", ErrNaN, len(s)+1, v))
			}
			s = append(s, v)
		}
		if len(s) == 0 {
			return fail(line, fmt.Errorf("%w: series has no values", ErrEmpty))
		}
		if seriesLen > 0 && len(s) != seriesLen {
			return fail(line, fmt.Errorf("%w: series has %d values, @seriesLength is %d", ErrLength, len(s), seriesLen))
		}
		ds.Series = append(ds.Series, s)
		ds.Labels = append(ds.Labels, label)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fail(line+1, fmt.Errorf("%w: line longer than %d bytes", ErrTooLarge, lim.MaxLineBytes))
		}
		return fail(line, err)
	}
	if len(ds.Series) == 0 {
		return fail(0, fmt.Errorf("%w: no series", ErrEmpty))
	}
	return ds, nil
}

// ClassifyResult is the outcome of 1-NN classification of a test set.
type ClassifyResult struct {
	Correct   int
	Total     int
	ErrorRate float64 // (Total-Correct)/Total
	Stats     SearchStats
}

// Classify labels each test series with the label of its nearest training series (exact 1-NN
// under metric with options WithWindow and WithCost) and returns the error rate, the measure
// of the UCR archive. Errors are those of NewIndex.
func Classify(train, test *Dataset, metric Metric, opts ...Option) (ClassifyResult, error) {
	if len(train.Labels) != len(train.Series) || len(test.Labels) != len(test.Series) {
		return ClassifyResult{}, fmt.Errorf("%w: labels and series differ in number", ErrLength)
	}
	ix, err := NewIndex(train.Series, metric, opts...)
	if err != nil {
		return ClassifyResult{}, fmt.Errorf("training set: %w", err)
	}
	if len(test.Series) == 0 {
		return ClassifyResult{}, fmt.Errorf("test set: %w", ErrEmpty)
	}
	s := ix.NewSearcher()
	res := ClassifyResult{Total: len(test.Series)}
	for i, q := range test.Series {
		if err := CheckFinite(q); err != nil {
			return ClassifyResult{}, fmt.Errorf("test set: %w", &IndexError{Index: i, Err: err})
		}
		if metric == MetricEuclidean && len(q) != len(train.Series[0]) {
			return ClassifyResult{}, fmt.Errorf("test set: %w", &IndexError{Index: i, Err: ErrLength})
		}
		nn, _ := s.Nearest(q)
		if train.Labels[nn] == test.Labels[i] {
			res.Correct++
		}
	}
	res.ErrorRate = float64(res.Total-res.Correct) / float64(res.Total)
	res.Stats = s.Stats()
	return res, nil
}
