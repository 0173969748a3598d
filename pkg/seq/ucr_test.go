package seq

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

const tsSample = `# comment
@problemName Tiny
@univariate true
@seriesLength 3
@classLabel true a b
@data

1,2,3:a
-1.5, 0.25 ,1e2:b
`

func TestReadTS(t *testing.T) {
	ds, err := ReadTS(strings.NewReader(tsSample), "tiny.ts", TSLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Name != "Tiny" || len(ds.Series) != 2 || ds.Labels[1] != "b" || ds.Series[1][2] != 100 || ds.Series[1][0] != -1.5 {
		t.Fatalf("got %+v", ds)
	}
}

func TestReadTSErrors(t *testing.T) {
	cases := []struct {
		name, in string
		line     int
		want     error
		lim      TSLimits
	}{
		{"no data marker", "1,2:a\n", 1, ErrSyntax, TSLimits{}},
		{"no label", "@data\n1,2,3\n", 2, ErrSyntax, TSLimits{}},
		{"bad number", "@data\n1,x,3:a\n", 2, ErrSyntax, TSLimits{}},
		{"NaN", "@data\n1,NaN,3:a\n", 2, ErrNaN, TSLimits{}},
		{"missing", "@data\n1,?,3:a\n", 2, ErrNaN, TSLimits{}},
		{"inf", "@data\n1,+Inf:a\n", 2, ErrNaN, TSLimits{}},
		{"empty series", "@data\n:a\n", 2, ErrEmpty, TSLimits{}},
		{"trailing comma", "@data\n1,:a\n", 2, ErrSyntax, TSLimits{}},
		{"length", "@seriesLength 2\n@data\n1,2:a\n1,2,3:a\n", 4, ErrLength, TSLimits{}},
		{"label", "@classLabel true x\n@data\n1:y\n", 3, ErrSyntax, TSLimits{}},
		{"multivariate", "@data\n1,2:3,4:a\n", 2, ErrSyntax, TSLimits{}},
		{"header after data", "@data\n1:a\n@data\n", 3, ErrSyntax, TSLimits{}},
		{"no series", "@data\n\n", 0, ErrEmpty, TSLimits{}},
		{"too many", "@data\n1:a\n2:a\n", 3, ErrTooLarge, TSLimits{MaxSeries: 1}},
		{"too long", "@data\n1,2,3:a\n", 2, ErrTooLarge, TSLimits{MaxLength: 2}},
		{"line too long", "@data\n1,2,3,4,5,6,7,8:a\n", 2, ErrTooLarge, TSLimits{MaxLineBytes: 8}},
	}
	for _, c := range cases {
		_, err := ReadTS(strings.NewReader(c.in), "f.ts", c.lim)
		var pe *ParseError
		if !errors.Is(err, c.want) || !errors.As(err, &pe) || pe.Line != c.line || pe.File != "f.ts" {
			t.Errorf("%s: err %v, want %v at line %d", c.name, err, c.want, c.line)
		}
	}
}

func FuzzReadTS(f *testing.F) {
	f.Add(tsSample)
	f.Add("@data\n1,2,3:a\n")
	f.Add("@data\n:\n")
	f.Add("@data\n1,,2:a\n")
	f.Add("@seriesLength 0\n@data\n")
	f.Add("@classLabel true\n@data\n1:a\n")
	f.Add("@data\n1e400:a\n")
	f.Add("@data\n0x1p-2:a\n")
	f.Fuzz(func(t *testing.T, in string) {
		ds, err := ReadTS(strings.NewReader(in), "fuzz.ts", TSLimits{MaxLineBytes: 1 << 12, MaxSeries: 64, MaxLength: 256})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		if len(ds.Series) == 0 || len(ds.Series) != len(ds.Labels) {
			t.Fatalf("accepted %d series, %d labels", len(ds.Series), len(ds.Labels))
		}
		for _, s := range ds.Series {
			if err := CheckFinite(s); err != nil {
				t.Fatalf("accepted bad series: %v", err)
			}
		}
		// Round trip: writing the series back out and reading it gives the same data.
		var b strings.Builder
		b.WriteString("@data\n")
		for i, s := range ds.Series {
			for k, v := range s {
				if k > 0 {
					b.WriteByte(',')
				}
				b.WriteString(strconvFloat(v))
			}
			b.WriteString(":" + ds.Labels[i] + "\n")
		}
		ds2, err := ReadTS(strings.NewReader(b.String()), "rt.ts", TSLimits{MaxLineBytes: 1 << 20, MaxSeries: 64, MaxLength: 256})
		if err != nil {
			t.Fatalf("round trip: %v\n%s", err, b.String())
		}
		for i := range ds.Series {
			if ds2.Labels[i] != ds.Labels[i] || len(ds2.Series[i]) != len(ds.Series[i]) {
				t.Fatalf("round trip changed series %d", i)
			}
			for k := range ds.Series[i] {
				if ds2.Series[i][k] != ds.Series[i][k] {
					t.Fatalf("round trip changed value")
				}
			}
		}
	})
}

func strconvFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
