package main

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// bench is every sample of one benchmark in one package.
type bench struct {
	pkg, name string
	source    string
	block     int
	samples   map[string][]float64 // unit → values
}

// median of the samples of unit, and whether there were any.
func (b *bench) median(unit string) (float64, bool) {
	v := slices.Clone(b.samples[unit])
	if len(v) == 0 {
		return 0, false
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.+)$`)

// parseFiles reads raw `go test -bench` outputs (or Markdown files holding them in code
// blocks). A file can hold several runs of the same benchmark (a results page recording a
// rerun): only the last run (block, counted by "goos:" headers) of each benchmark is kept.
func parseFiles(paths []string) []*bench {
	var out []*bench
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		byKey := map[string]*bench{}
		var order []string
		pkg, block := "", 0
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			switch {
			case strings.HasPrefix(line, "goos:"):
				block++
				continue
			case strings.HasPrefix(line, "pkg:"):
				pkg = strings.TrimSpace(strings.TrimPrefix(line, "pkg:"))
				continue
			}
			m := benchLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			key := pkg + " " + m[1]
			b := byKey[key]
			if b == nil || b.block != block {
				b = &bench{pkg: pkg, name: m[1], source: filepath.Base(p), block: block, samples: map[string][]float64{}}
				if byKey[key] == nil {
					order = append(order, key)
				}
				byKey[key] = b
			}
			f := strings.Fields(m[3])
			for i := 0; i+1 < len(f); i += 2 {
				v, err := strconv.ParseFloat(f[i], 64)
				if err != nil {
					break
				}
				b.samples[f[i+1]] = append(b.samples[f[i+1]], v)
			}
		}
		_ = f.Close()
		for _, k := range order {
			out = append(out, byKey[k])
		}
	}
	return out
}

// find returns the benchmark called name (without the -GOMAXPROCS suffix), the last parsed
// wins.
func find(all []*bench, name string) *bench {
	var got *bench
	for _, b := range all {
		if b.name == name {
			got = b
		}
	}
	return got
}
