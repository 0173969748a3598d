package rules

import "fmt"

// maxACCells bounds the transition table of one keyword automaton (4 bytes per cell).
const maxACCells = 4 << 20

// acMachine is an Aho–Corasick automaton compiled to a full DFA over byte classes, so the
// stream is scanned once, one table lookup per byte, and its state carries across chunks.
type acMachine struct {
	class    [256]uint16 // byte → class; ASCII case folding is built into this table
	nclass   int
	delta    []int32  // state*nclass + class → next state
	outStart []int32  // outputs of state s: outProps[outStart[s]:outStart[s+1]]
	outProps []uint16 // proposition indices
}

type acKeyword struct {
	text string
	prop int
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func buildAC(kws []acKeyword, fold bool) (*acMachine, error) {
	m := &acMachine{}
	norm := func(c byte) byte {
		if fold {
			return lowerASCII(c)
		}
		return c
	}
	// Byte classes: every byte that occurs in a keyword gets its own class; all others share
	// class 0, which only ever leads back towards the root.
	var used [256]bool
	for _, k := range kws {
		for i := 0; i < len(k.text); i++ {
			used[norm(k.text[i])] = true
		}
	}
	m.nclass = 1
	for b := 0; b < 256; b++ {
		if used[b] {
			m.class[b] = uint16(m.nclass)
			m.nclass++
		}
	}
	if fold {
		for b := 'A'; b <= 'Z'; b++ {
			m.class[b] = m.class[b+'a'-'A']
		}
	}
	// Trie.
	type node struct {
		next  map[uint16]int32
		props []uint16
	}
	nodes := []node{{next: map[uint16]int32{}}}
	for _, k := range kws {
		s := int32(0)
		for i := 0; i < len(k.text); i++ {
			c := m.class[norm(k.text[i])]
			nx, ok := nodes[s].next[c]
			if !ok {
				nx = int32(len(nodes))
				nodes = append(nodes, node{next: map[uint16]int32{}})
				nodes[s].next[c] = nx
			}
			s = nx
		}
		nodes[s].props = appendUnique(nodes[s].props, uint16(k.prop))
	}
	if len(nodes)*m.nclass > maxACCells {
		return nil, fmt.Errorf("%w: keyword automaton has %d states × %d byte classes, limit %d cells",
			ErrTooLarge, len(nodes), m.nclass, maxACCells)
	}
	nc := m.nclass
	m.delta = make([]int32, len(nodes)*nc)
	fail := make([]int32, len(nodes))
	order := make([]int32, 0, len(nodes))
	// Breadth-first: a state's failure target is shallower, so its row is complete when used.
	for c := 0; c < nc; c++ {
		if nx, ok := nodes[0].next[uint16(c)]; ok {
			m.delta[c] = nx
			fail[nx] = 0
			order = append(order, nx)
		}
	}
	for q := 0; q < len(order); q++ {
		s := order[q]
		f := fail[s]
		nodes[s].props = appendUniqueAll(nodes[s].props, nodes[f].props)
		for c := 0; c < nc; c++ {
			if nx, ok := nodes[s].next[uint16(c)]; ok {
				m.delta[int(s)*nc+c] = nx
				fail[nx] = m.delta[int(f)*nc+c]
				order = append(order, nx)
			} else {
				m.delta[int(s)*nc+c] = m.delta[int(f)*nc+c]
			}
		}
	}
	m.outStart = make([]int32, len(nodes)+1)
	for s := range nodes {
		m.outStart[s] = int32(len(m.outProps))
		m.outProps = append(m.outProps, nodes[s].props...)
	}
	m.outStart[len(nodes)] = int32(len(m.outProps))
	return m, nil
}

func appendUnique(dst []uint16, p uint16) []uint16 {
	for _, q := range dst {
		if q == p {
			return dst
		}
	}
	return append(dst, p)
}

func appendUniqueAll(dst, src []uint16) []uint16 {
	for _, p := range src {
		dst = appendUnique(dst, p)
	}
	return dst
}

// scan advances the automaton from state s over text, setting the bit of every proposition
// whose keyword ends inside text, and returns the new state.
func (m *acMachine) scan(v Valuation, s int32, text string) int32 {
	nc := m.nclass
	for i := 0; i < len(text); i++ {
		s = m.delta[int(s)*nc+int(m.class[text[i]])]
		if a, b := m.outStart[s], m.outStart[s+1]; a != b {
			for _, p := range m.outProps[a:b] {
				v.Set(int(p))
			}
		}
	}
	return s
}
