package main

import (
	"os"
	"path/filepath"
	"testing"
)

const raw = "goos: linux\npkg: example.com/a\n" +
	"BenchmarkDTW/n=100/full-2   \t 1000\t 100.0 ns/op\t 0 B/op\t 0 allocs/op\n" +
	"BenchmarkDTW/n=100/full-2   \t 1000\t 300.0 ns/op\t 0 B/op\t 0 allocs/op\n" +
	"BenchmarkDTW/n=100/full-2   \t 1000\t 200.0 ns/op\t 0 B/op\t 0 allocs/op\n" +
	"BenchmarkX-2 \t 10\t 5 ns/op\t 42.5 MB/s\n" +
	"PASS\n" +
	"goos: linux\npkg: example.com/a\n" +
	"BenchmarkX-2 \t 10\t 7 ns/op\t 40 MB/s\n" +
	"BenchmarkX-2 \t 10\t 9 ns/op\t 44 MB/s\n"

func write(t *testing.T, s string) string {
	p := filepath.Join(t.TempDir(), "raw.txt")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseFiles(t *testing.T) {
	all := parseFiles([]string{write(t, raw)})
	d := find(all, "BenchmarkDTW/n=100/full")
	if d == nil || d.pkg != "example.com/a" {
		t.Fatalf("DTW not found: %+v", all)
	}
	if v, ok := d.median("ns/op"); !ok || v != 200 {
		t.Fatalf("DTW median %v %v", v, ok)
	}
	// BenchmarkX ran in two blocks: only the last block's samples count.
	x := find(all, "BenchmarkX")
	if v, _ := x.median("ns/op"); v != 8 || len(x.samples["ns/op"]) != 2 {
		t.Fatalf("X ns/op %v from %v", v, x.samples["ns/op"])
	}
	if v, _ := x.median("MB/s"); v != 42 {
		t.Fatalf("X MB/s %v", v)
	}
	if _, ok := x.median("allocs/op"); ok {
		t.Fatal("median of an absent unit")
	}
}

func FuzzParseFiles(f *testing.F) {
	f.Add(raw)
	f.Add("")
	f.Add("BenchmarkA 1 x ns/op")
	f.Add("BenchmarkA-2 1 1e309 ns/op 3")
	f.Fuzz(func(t *testing.T, s string) {
		for _, b := range parseFiles([]string{write(t, s)}) {
			for u := range b.samples {
				b.median(u)
			}
		}
	})
}
