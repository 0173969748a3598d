package rules

import (
	"fmt"
	"testing"
	"time"

	"github.com/midstream/midstream/pkg/wire"
)

// benchChunks is a realistic response: prose with an e-mail address, a phone number and a
// card number in it, cut into chunks of about size bytes, with tokens and alternatives.
func benchChunks(size int) []wire.Chunk {
	text := "Sure, here is the summary you asked for. The customer can be reached at jane.doe@example.com or " +
		"on +1 (555) 123-4567; their card 4111 1111 1111 1111 was charged twice on the 3rd. I cannot help with " +
		"refunds directly, but the billing team can. This is not financial advice. Let me know if you need more. "
	for len(text) < 8<<10 {
		text += text
	}
	var out []wire.Chunk
	t0 := time.Unix(1700000000, 0)
	for i, seq := 0, 0; i < len(text); seq++ {
		j := min(len(text), i+size)
		c := wire.Chunk{Seq: uint64(seq), Text: text[i:j], Time: t0.Add(time.Duration(seq) * 30 * time.Millisecond)}
		for k := i; k < j; k += 4 {
			c.Tokens = append(c.Tokens, wire.Token{Text: text[k:min(j, k+4)], Logprob: -0.3,
				Top: []wire.TopLogprob{{Text: "a", Logprob: -0.3}, {Text: "b", Logprob: -1.5}, {Text: "c", Logprob: -2.5}}})
		}
		out = append(out, c)
		i = j
	}
	return out
}

// BenchmarkDefaultSet measures proposition extraction per chunk for the default rule set.
func BenchmarkDefaultSet(b *testing.B) {
	for _, size := range []int{20, 40, 60, 200} {
		b.Run(fmt.Sprintf("chunk=%dB", size), func(b *testing.B) {
			s := Default()
			chunks := benchChunks(size)
			st := s.NewStream()
			var v Valuation
			b.ReportAllocs()
			b.ResetTimer()
			k := 0
			for i := 0; i < b.N; i++ {
				if k == len(chunks) {
					st.Reset()
					k = 0
				}
				var err error
				if v, err = st.Next(v, &chunks[k]); err != nil {
					b.Fatal(err)
				}
				k++
			}
		})
	}
}

// BenchmarkDetector isolates each detector on 40-byte chunks.
func BenchmarkDetector(b *testing.B) {
	for _, tc := range []struct{ name, doc string }{
		{"email", `{"props":[{"name":"a","kind":"email"}]}`},
		{"phone+card", `{"props":[{"name":"a","kind":"phone"},{"name":"b","kind":"card"}]}`},
		{"keywords=4", `{"props":[{"name":"a","kind":"keyword","keywords":["I cannot help","not financial advice","foo","bar"],"ignore_case":true}]}`},
		{"regex", `{"props":[{"name":"a","kind":"regex","pattern":"(?:sk|pk|rk)-[A-Za-z0-9]{20}","max_len":64}]}`},
		{"json_prefix", `{"props":[{"name":"a","kind":"json_prefix"}]}`},
		{"signals", `{"props":[{"name":"a","kind":"signal","signal":"min_logprob","op":"<","value":-5},{"name":"b","kind":"signal","signal":"entropy","op":">","value":2}]}`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := mustParse(b, tc.doc)
			chunks := benchChunks(40)
			st := s.NewStream()
			var v Valuation
			b.ReportAllocs()
			b.ResetTimer()
			k := 0
			for i := 0; i < b.N; i++ {
				if k == len(chunks) {
					st.Reset()
					k = 0
				}
				v, _ = st.Next(v, &chunks[k])
				k++
			}
		})
	}
}

// BenchmarkProject measures projecting a valuation onto a rule's atoms, done once per rule
// per chunk.
func BenchmarkProject(b *testing.B) {
	s := Default()
	for _, n := range []int{2, 4, 8} {
		b.Run(fmt.Sprintf("atoms=%d", n), func(b *testing.B) {
			idx := make([]int, n)
			for i := range idx {
				idx[i] = (i * 5) % s.Len()
			}
			v := make(Valuation, s.Words())
			v.Set(idx[0])
			var x uint64
			for i := 0; i < b.N; i++ {
				x += v.Project(idx)
			}
			_ = x
		})
	}
}
