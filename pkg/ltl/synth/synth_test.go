package synth

import (
	"errors"
	"math/rand"
	"strings"
	"testing"
)

// table is an explicit automaton for tests.
type table struct {
	atoms     []string
	init      int
	next      [][]int // state × valuation
	violated  []bool
	accepting []bool
}

func (t *table) Atoms() []string          { return t.atoms }
func (t *table) Initial() int             { return t.init }
func (t *table) Step(s int, v uint32) int { return t.next[s][v] }
func (t *table) Violated(s int) bool      { return t.violated[s] }
func (t *table) Accepting(s int) bool     { return t.accepting[s] }
func (t *table) nv() int                  { return 1 << uint(len(t.atoms)) }
func build(atoms []string, n int) *table {
	t := &table{atoms: atoms, next: make([][]int, n), violated: make([]bool, n), accepting: make([]bool, n)}
	for s := range t.next {
		t.next[s] = make([]int, t.nv())
	}
	return t
}

// reqGrant is the monitor of G(req -> X grant) over atoms [req grant]: state 0 no obligation,
// 1 a grant is due, 2 violated.
func reqGrant() *table {
	t := build([]string{"req", "grant"}, 3)
	const req, grant = 1, 2
	for v := 0; v < 4; v++ {
		t.next[0][v] = 0
		if v&req != 0 {
			t.next[0][v] = 1
		}
		switch {
		case v&grant == 0:
			t.next[1][v] = 2
		case v&req != 0:
			t.next[1][v] = 1
		default:
			t.next[1][v] = 0
		}
		t.next[2][v] = 2
	}
	t.violated[2] = true
	t.accepting[0] = true
	return t
}

// contradiction is the monitor of G(env_p -> sys_q) & G(env_p -> !sys_q): any env_p violates.
func contradiction() *table {
	t := build([]string{"env_p", "sys_q"}, 2)
	for v := 0; v < 4; v++ {
		t.next[0][v] = 0
		if v&1 != 0 {
			t.next[0][v] = 1
		}
		t.next[1][v] = 1
	}
	t.violated[1] = true
	t.accepting[0] = true
	return t
}

func TestRequestGrantRealisable(t *testing.T) {
	res, err := Solve(reqGrant(), []string{"grant"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Realisable || res.Strategy == nil {
		t.Fatalf("G(req -> X grant) with grant controlled should be realisable: %s", res.Reason)
	}
	st := res.Strategy
	// In the "grant due" state the only allowed replies set grant.
	for q := 0; q < st.Len(); q++ {
		if st.MonitorState(q) != 1 {
			continue
		}
		for _, env := range []uint32{0, 1} {
			for _, m := range st.Allowed(q, env) {
				if m.Ctrl&2 == 0 {
					t.Errorf("state %d env %b: allowed reply without grant", q, env)
				}
			}
		}
	}
	// With req controlled instead the system simply never raises a request.
	if res, err = Solve(reqGrant(), []string{"req"}); err != nil || !res.Realisable {
		t.Fatalf("req controlled: %v %v", res, err)
	}
	// With nothing controlled the environment requests and then withholds the grant.
	res, err = Solve(reqGrant(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Realisable || res.Counter.Rank != 2 || res.Counter.Play[0].Env&1 == 0 || res.Counter.Play[1].Env&2 != 0 {
		t.Fatalf("nothing controlled: realisable=%v %s", res.Realisable, res.Reason)
	}
}

func TestContradictionUnrealisable(t *testing.T) {
	res, err := Solve(contradiction(), []string{"sys_q"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Realisable || res.Counter == nil {
		t.Fatal("G(env_p -> sys_q) & G(env_p -> !sys_q) should not be realisable")
	}
	c := res.Counter
	if c.Rank != 1 || len(c.Play) != 1 || c.Play[0].Env != 1 || !c.Play[0].Violated {
		t.Fatalf("counter: rank %d play %+v", c.Rank, c.Play)
	}
	if e, ok := c.EnvMove(0); !ok || e != 1 {
		t.Fatalf("env move in state 0: %v %v", e, ok)
	}
	if !strings.Contains(res.Reason, "env {env_p}") {
		t.Errorf("reason %q should name the forcing move", res.Reason)
	}
}

func TestObjectiveEveryPrefix(t *testing.T) {
	// Under EveryPrefix a req leaves the prefix unsatisfied (the grant is still due), and the
	// environment raises req: no strategy.
	res, err := Solve(reqGrant(), []string{"grant"}, WithObjective(EveryPrefix))
	if err != nil {
		t.Fatal(err)
	}
	if res.Realisable || res.Counter.Rank != 1 {
		t.Fatalf("EveryPrefix: realisable=%v %s", res.Realisable, res.Reason)
	}
}

func TestErrors(t *testing.T) {
	if _, err := Solve(reqGrant(), []string{"nope"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown atom: %v", err)
	}
	if _, err := Solve(reqGrant(), []string{"grant", "grant"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("repeated atom: %v", err)
	}
	big := &table{atoms: make([]string, MaxAtoms+1)}
	for i := range big.atoms {
		big.atoms[i] = string(rune('a' + i))
	}
	if _, err := Solve(big, nil); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too many atoms: %v", err)
	}
}

// randomTable builds a random automaton with a few absorbing violated states.
func randomTable(r *rand.Rand) *table {
	k := 1 + r.Intn(3)
	n := 2 + r.Intn(7)
	atoms := make([]string, k)
	for i := range atoms {
		atoms[i] = string(rune('a' + i))
	}
	t := build(atoms, n)
	for s := 0; s < n; s++ {
		t.violated[s] = s > 0 && r.Intn(4) == 0
		t.accepting[s] = !t.violated[s] && r.Intn(3) > 0
		for v := range t.next[s] {
			if t.violated[s] {
				t.next[s][v] = s
			} else {
				t.next[s][v] = r.Intn(n)
			}
		}
	}
	return t
}

// naiveSafe decides the game by minimax to a depth of the number of states: a safety game on
// n states is won forever iff it is won for n steps.
func naiveSafe(t *table, ctrl uint32) bool {
	n := len(t.next)
	all := uint32(t.nv() - 1)
	env := all &^ ctrl
	memo := map[[2]int]bool{}
	var safe func(s, d int) bool
	safe = func(s, d int) bool {
		if t.violated[s] {
			return false
		}
		if d == 0 {
			return true
		}
		key := [2]int{s, d}
		if v, ok := memo[key]; ok {
			return v
		}
		ok := true
		for e := uint32(0); e <= all && ok; e++ {
			if e&^env != 0 {
				continue
			}
			some := false
			for c := uint32(0); c <= all && !some; c++ {
				if c&^ctrl != 0 {
					continue
				}
				some = safe(t.next[s][e|c], d-1)
			}
			ok = some
		}
		memo[key] = ok
		return ok
	}
	return safe(t.init, n)
}

// naiveRank returns the least d such that the environment forces a violation within d
// events, by minimax (the game is lost, so d < number of states).
func naiveRank(t *table, ctrl uint32) int {
	all := uint32(t.nv() - 1)
	env := all &^ ctrl
	var force func(s, d int) bool
	force = func(s, d int) bool {
		if t.violated[s] {
			return true
		}
		if d == 0 {
			return false
		}
		for e := uint32(0); e <= all; e++ {
			if e&^env != 0 {
				continue
			}
			forced := true
			for c := uint32(0); c <= all && forced; c++ {
				if c&^ctrl != 0 {
					continue
				}
				forced = force(t.next[s][e|c], d-1)
			}
			if forced {
				return true
			}
		}
		return false
	}
	for d := 0; ; d++ {
		if force(t.init, d) {
			return d
		}
	}
}

func TestRandomGamesAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	for iter := 0; iter < 400; iter++ {
		a := randomTable(r)
		ctrl := uint32(r.Intn(a.nv()))
		var names []string
		for i, n := range a.atoms {
			if ctrl&(1<<uint(i)) != 0 {
				names = append(names, n)
			}
		}
		res, err := Solve(a, names)
		if err != nil {
			t.Fatal(err)
		}
		if want := naiveSafe(a, ctrl); res.Realisable != want {
			t.Fatalf("iter %d: realisable %v, naive minimax %v", iter, res.Realisable, want)
		}
		if !res.Realisable {
			if want := naiveRank(a, ctrl); res.Counter.Rank != want {
				t.Fatalf("iter %d: rank %d, naive minimax %d", iter, res.Counter.Rank, want)
			}
		}
		if res.Realisable {
			checkStrategy(t, r, a, res.Strategy)
		} else {
			checkCounter(t, r, a, ctrl, res.Counter)
		}
	}
}

// checkStrategy plays the strategy against random environment traces, choosing among the
// allowed replies at random, and checks the monitor never reaches a violation and the
// strategy tracks the monitor.
func checkStrategy(t *testing.T, r *rand.Rand, a *table, st *Strategy) {
	t.Helper()
	env := st.Environment()
	for trial := 0; trial < 20; trial++ {
		q, s := st.Initial(), a.Initial()
		for step := 0; step < 40; step++ {
			e := uint32(r.Intn(a.nv())) & env
			moves := st.Allowed(q, e)
			if len(moves) == 0 {
				t.Fatalf("no allowed reply in strategy state %d to env %b", q, e)
			}
			m := moves[r.Intn(len(moves))]
			if m.Ctrl&^st.Controlled() != 0 {
				t.Fatalf("reply %b sets environment bits", m.Ctrl)
			}
			s = a.Step(s, e|m.Ctrl)
			q = m.Next
			if a.Violated(s) {
				t.Fatalf("strategy reached a violation at step %d", step)
			}
			if st.MonitorState(q) != s {
				t.Fatalf("strategy state %d tracks monitor state %d, monitor is in %d", q, st.MonitorState(q), s)
			}
		}
	}
}

// checkCounter lets a random system play against the environment's forcing moves and checks
// the violation comes within Rank events.
func checkCounter(t *testing.T, r *rand.Rand, a *table, ctrl uint32, c *Counter) {
	t.Helper()
	if len(c.Play) != c.Rank || c.Rank > 0 && !c.Play[len(c.Play)-1].Violated {
		t.Fatalf("play of %d steps for rank %d", len(c.Play), c.Rank)
	}
	for trial := 0; trial < 20; trial++ {
		s := a.Initial()
		for step := 0; ; step++ {
			if a.Violated(s) {
				if step > c.Rank {
					t.Fatalf("violation after %d events, rank %d", step, c.Rank)
				}
				break
			}
			e, ok := c.EnvMove(s)
			if !ok || step >= c.Rank {
				t.Fatalf("no forcing move in state %d at step %d (rank %d)", s, step, c.Rank)
			}
			s = a.Step(s, e|uint32(r.Intn(a.nv()))&ctrl)
		}
	}
}

func TestStrategyString(t *testing.T) {
	res, err := Solve(reqGrant(), []string{"grant"})
	if err != nil {
		t.Fatal(err)
	}
	want := `strategy: 2 states, initial 0, system controls {grant}
q0 (monitor 0) env {}: {}→q0 {grant}→q0
q0 (monitor 0) env {req}: {}→q1 {grant}→q1
q1 (monitor 1) env {}: {grant}→q0
q1 (monitor 1) env {req}: {grant}→q1
`
	if got := res.Strategy.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// sparseIDs renumbers a table's states with large ids, exercising the map index.
type sparseIDs struct{ *table }

const sparseMul = 1_000_003

func (s sparseIDs) Initial() int { return s.table.Initial()*sparseMul + 7 }
func (s sparseIDs) Step(q int, v uint32) int {
	return s.table.Step((q-7)/sparseMul, v)*sparseMul + 7
}
func (s sparseIDs) Violated(q int) bool  { return s.table.Violated((q - 7) / sparseMul) }
func (s sparseIDs) Accepting(q int) bool { return s.table.Accepting((q - 7) / sparseMul) }

func TestSparseStateIDs(t *testing.T) {
	r := rand.New(rand.NewSource(12))
	for iter := 0; iter < 100; iter++ {
		a := randomTable(r)
		ctrl := []string{a.atoms[0]}
		dense, err := Solve(a, ctrl)
		if err != nil {
			t.Fatal(err)
		}
		sparse, err := Solve(sparseIDs{a}, ctrl)
		if err != nil {
			t.Fatal(err)
		}
		if dense.Realisable != sparse.Realisable {
			t.Fatalf("iter %d: dense %v, sparse %v", iter, dense.Realisable, sparse.Realisable)
		}
		if dense.Realisable {
			if dense.Strategy.Len() != sparse.Strategy.Len() ||
				sparse.Strategy.MonitorState(sparse.Strategy.Initial()) != (sparseIDs{a}).Initial() {
				t.Fatalf("iter %d: strategies differ", iter)
			}
		} else if dense.Counter.Rank != sparse.Counter.Rank {
			t.Fatalf("iter %d: ranks %d and %d", iter, dense.Counter.Rank, sparse.Counter.Rank)
		}
	}
}
