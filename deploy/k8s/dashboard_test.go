package k8s

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// instruments returns the OpenTelemetry instrument names ("midstream.x.y") declared as string
// literals in the non-test Go files under dirs, in their Prometheus form (midstream_x_y).
func instruments(t *testing.T, dirs ...string) map[string]bool {
	t.Helper()
	name := regexp.MustCompile(`^midstream\.[a-z0-9_.]+$`)
	out := map[string]bool{}
	for _, dir := range dirs {
		err := filepath.WalkDir(filepath.Join(repoRoot, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && name.MatchString(s) {
						out[strings.ReplaceAll(s, ".", "_")] = true
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestDashboardMetricsExist checks that every midstream_* series the Grafana dashboard queries
// is an instrument of the code, after the Prometheus exporter's suffixes (unit, _total,
// histogram series) are taken off.
func TestDashboardMetricsExist(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "grafana", "dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	known := instruments(t, "pkg", "services")
	if !known["midstream_inflight_latency"] {
		t.Fatalf("instrument scan found no midstream.inflight.latency among %d names", len(known))
	}
	series := regexp.MustCompile(`midstream_[a-z0-9_]+`)
	var queried int
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, s := range series.FindAllString(tg.Expr, -1) {
				queried++
				if !known[instrumentOf(s, known)] {
					t.Errorf("panel %q queries %s, which no instrument produces", p.Title, s)
				}
			}
		}
	}
	if queried == 0 {
		t.Error("the dashboard queries no midstream series")
	}
}

// instrumentOf takes the exporter's suffixes off a series name, in the order it appends them
// (unit, then _total, then the histogram series), stopping at the first known instrument.
func instrumentOf(series string, known map[string]bool) string {
	for _, suf := range []string{"_bucket", "_sum", "_count", "_total", "_seconds", "_bytes"} {
		if known[series] {
			break
		}
		series = strings.TrimSuffix(series, suf)
	}
	return series
}
