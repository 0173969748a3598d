package sched

import (
	"strconv"
	"sync"
	"time"
)

// classQ is the per-class state.
type classQ[T any] struct {
	in     iheap[*ctNode[T]] // nodes within their tenant's limit, by best head key
	over   iheap[*ctNode[T]] // nodes over it, by virtual time
	refill iheap[*ctNode[T]] // the same nodes, by when their tenant next has a token
	spare  int64             // virtual time of the last spare release
	bucket *TokenBucket      // nil: unlimited
	depth  int               // items queued, ready or sleeping
	cost   float64           // EWMA of service time, ns

	// admission: utilisation of the class is cost × invSum.
	invSum float64
	nAdm   int

	st classCounters
}

type classCounters struct {
	submitted, released, delayed, late, opened  uint64
	admitted, degradedIn, degradedOut, rejected uint64
	shed                                        [NumReasons]uint64
	wait                                        hist
}

// Scheduler orders and paces work items. Create it with New. All methods are safe for
// concurrent use: one mutex guards the state (see the package documentation).
type Scheduler[T any] struct {
	mu    sync.Mutex
	clock func() time.Time
	epoch time.Time
	cfg   Config
	cls   [NumClasses]classQ[T]

	resp     map[string]*response[T]
	tenants  map[string]*tenant[T]
	sleep    iheap[*response[T]] // responses whose head is not yet released, by release time
	out      []Result[T]         // shed by Submit, waiting for Dispatch
	outHead  int
	depth    int   // queued items
	last     int64 // latest time seen, ns since epoch
	ord      uint64
	openList []*response[T] // every open response, for the idle sweep
	hand     int            // the sweep's position in open
	free     []*response[T]
	admitted []*response[T]
	scratch  []float64
	ready    chan struct{}
	nOpen    int
}

// New returns a scheduler configured by cfg (validated; zero fields get their defaults) and
// opts.
func New[T any](cfg Config, opts ...Option) (*Scheduler[T], error) {
	o := options{clock: time.Now}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Scheduler[T]{
		clock:   o.clock,
		epoch:   o.clock(),
		resp:    make(map[string]*response[T]),
		tenants: make(map[string]*tenant[T]),
		ready:   make(chan struct{}, 1),
	}
	s.sleep.pos = func(r *response[T], i int32) { r.sidx = i }
	for c := range s.cls {
		q := &s.cls[c]
		q.in.pos = func(n *ctNode[T], i int32) { n.inIdx = i }
		q.over.pos = func(n *ctNode[T], i int32) { n.overIdx = i }
		q.refill.pos = func(n *ctNode[T], i int32) { n.refIdx = i }
		q.cost = float64(cfg.Classes[c].Cost)
	}
	s.apply(&cfg)
	return s, nil
}

// now reads the clock; the scheduler's time never goes backwards.
func (s *Scheduler[T]) now() int64 { return s.nowAt(s.clock()) }

// nowAt converts a caller's time, clamped so that the scheduler's time never goes backwards.
func (s *Scheduler[T]) nowAt(t time.Time) int64 {
	n := int64(t.Sub(s.epoch))
	if n < s.last {
		return s.last
	}
	s.last = n
	return n
}

func (s *Scheduler[T]) at(ns int64) time.Time { return s.epoch.Add(time.Duration(ns)) }

// Ready returns a channel that receives a value (without blocking the sender; capacity 1)
// whenever an item is submitted, so a dispatcher can sleep between Dispatch calls.
func (s *Scheduler[T]) Ready() <-chan struct{} { return s.ready }

// Reconfigure validates cfg and applies it without losing queued items: a new policy re-keys
// every queue (O(n)); rates and tenants take effect for the next release, keeping the tokens
// already spent; lower thresholds shed on the next Submit or Dispatch.
func (s *Scheduler[T]) Reconfigure(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	s.apply(&cfg)
	s.mu.Unlock()
	return nil
}

// Config returns the configuration in force (with defaults filled in).
func (s *Scheduler[T]) Config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cfg
	if c.Tenants != nil {
		m := make(map[string]TenantConfig, len(c.Tenants))
		for k, v := range c.Tenants {
			m[k] = v
		}
		c.Tenants = m
	}
	return c
}

// SetPolicy switches the policy at run time.
func (s *Scheduler[T]) SetPolicy(p Policy) error {
	if p >= NumPolicies {
		return &InvalidError{Field: "policy", Reason: p.String() + " is not a policy"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p != s.cfg.Policy {
		s.cfg.Policy = p
		s.rekey()
	}
	return nil
}

// SetClassLimit changes one class's token bucket (nil removes the limit).
func (s *Scheduler[T]) SetClassLimit(c Class, r *Rate) error {
	if !c.Valid() {
		return &InvalidError{Field: "class", Reason: c.String() + " is not a class"}
	}
	if r != nil {
		if err := r.validate("classes." + c.String() + ".limit"); err != nil {
			return err
		}
		rr := *r
		r = &rr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.Classes[c].Limit = r
	s.applyClassLimit(c)
	return nil
}

// SetTenant sets one tenant's configuration.
func (s *Scheduler[T]) SetTenant(name string, tc TenantConfig) error {
	if len(name) > MaxNameLen {
		return &InvalidError{Field: "tenant", Reason: "longer than " + strconv.Itoa(MaxNameLen) + " bytes"}
	}
	if err := tc.validate("tenant"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.Tenants == nil {
		s.cfg.Tenants = make(map[string]TenantConfig)
	} else if _, ok := s.cfg.Tenants[name]; !ok && len(s.cfg.Tenants) >= s.cfg.MaxTenants {
		return &CapacityError{What: "tenant configuration", Limit: s.cfg.MaxTenants}
	}
	s.cfg.Tenants[name] = tc
	if t := s.tenants[name]; t != nil {
		s.applyTenant(t)
	}
	return nil
}

func (s *Scheduler[T]) apply(cfg *Config) {
	old := s.cfg.Policy
	first := s.cfg.Capacity == 0
	s.cfg = *cfg
	for c := range s.cls {
		s.applyClassLimit(Class(c))
	}
	for _, t := range s.tenants {
		s.applyTenant(t)
	}
	if !first && old != cfg.Policy {
		s.rekey()
	}
}

func (s *Scheduler[T]) applyClassLimit(c Class) {
	q := &s.cls[c]
	l := s.cfg.Classes[c].Limit
	switch {
	case l == nil:
		q.bucket = nil
	case q.bucket == nil:
		q.bucket = newBucket(*l, s.epoch)
	default:
		q.bucket.setLimit(*l)
	}
}

func (s *Scheduler[T]) tenantConfig(name string) TenantConfig {
	if tc, ok := s.cfg.Tenants[name]; ok {
		return tc
	}
	return s.cfg.DefaultTenant
}

func (s *Scheduler[T]) applyTenant(t *tenant[T]) {
	tc := s.tenantConfig(t.name)
	switch {
	case tc.Limit == nil:
		t.bucket = nil
	case t.bucket == nil:
		t.bucket = newBucket(*tc.Limit, s.epoch)
	default:
		t.bucket.setLimit(*tc.Limit)
	}
	w := tc.Weight
	if w <= 0 {
		w = 1
	}
	t.step = max(1, int64(1e9/w))
	// A tenant that lost its limit must not stay parked over profile.
	if t.bucket == nil {
		for c := range t.nodes {
			n := &t.nodes[c]
			if n.overIdx >= 0 {
				q := &s.cls[c]
				q.over.remove(int(n.overIdx))
				q.refill.remove(int(n.refIdx))
				q.in.push(n, n.resp.a[0].key, n.resp.a[0].tie)
			}
		}
	} else {
		for c := range t.nodes {
			n := &t.nodes[c]
			if n.refIdx >= 0 {
				s.cls[c].refill.fix(int(n.refIdx), t.bucket.nextAt(0), 0)
			}
		}
	}
}

// getTenant finds or creates a tenant.
func (s *Scheduler[T]) getTenant(name string, now int64) (*tenant[T], error) {
	if t := s.tenants[name]; t != nil {
		return t, nil
	}
	if len(s.tenants) >= s.cfg.MaxTenants {
		// Forget tenants without open responses whose bucket is full again: they carry no
		// state a fresh entry would not have.
		for k, t := range s.tenants {
			if t.refs == 0 && (t.bucket == nil || t.bucket.full(now)) {
				delete(s.tenants, k)
			}
		}
		if len(s.tenants) >= s.cfg.MaxTenants {
			return nil, &CapacityError{What: "tenant", Limit: s.cfg.MaxTenants}
		}
	}
	t := &tenant[T]{name: name}
	for c := range t.nodes {
		n := &t.nodes[c]
		n.class, n.tenant = Class(c), t
		n.inIdx, n.overIdx, n.refIdx = -1, -1, -1
		n.resp.pos = func(r *response[T], i int32) { r.hidx = i }
	}
	s.applyTenant(t)
	s.tenants[name] = t
	return t, nil
}

// key returns a response head's policy key within its class.
func (s *Scheduler[T]) key(r *response[T]) (int64, uint64) {
	h := r.headSlot()
	switch s.cfg.Policy {
	case RateMonotonic:
		return int64(r.period), h.ord
	case EDF, LLF:
		return h.dl, h.ord
	}
	return int64(h.ord), 0
}

// rekey recomputes every key after a policy change.
func (s *Scheduler[T]) rekey() {
	for _, t := range s.tenants {
		for c := range t.nodes {
			n := &t.nodes[c]
			for i := range n.resp.a {
				n.resp.a[i].key, n.resp.a[i].tie = s.key(n.resp.a[i].p)
			}
			n.resp.init()
		}
	}
	for c := range s.cls {
		q := &s.cls[c]
		for i := range q.in.a {
			top := &q.in.a[i].p.resp.a[0]
			q.in.a[i].key, q.in.a[i].tie = top.key, top.tie
		}
		q.in.init()
	}
}

// place puts a response with a non-empty queue where its head belongs: the sleep heap if the
// head is not yet due, else its node's heap. The response must be in neither.
func (s *Scheduler[T]) place(r *response[T], now int64) {
	h := r.headSlot()
	if h.rel > now {
		s.sleep.push(r, h.rel, h.ord)
		return
	}
	n := &r.tenant.nodes[r.class]
	k, t := s.key(r)
	n.resp.push(r, k, t)
	s.nodeChanged(n)
}

// unplace takes a response out of whichever heap holds it.
func (s *Scheduler[T]) unplace(r *response[T]) {
	if r.sidx >= 0 {
		s.sleep.remove(int(r.sidx))
	}
	if r.hidx >= 0 {
		n := &r.tenant.nodes[r.class]
		n.resp.remove(int(r.hidx))
		s.nodeChanged(n)
	}
}

// nodeChanged keeps a node's place in its class heaps in step with its response heap.
func (s *Scheduler[T]) nodeChanged(n *ctNode[T]) {
	q := &s.cls[n.class]
	if n.resp.len() == 0 {
		if n.inIdx >= 0 {
			q.in.remove(int(n.inIdx))
		}
		if n.overIdx >= 0 {
			q.over.remove(int(n.overIdx))
		}
		if n.refIdx >= 0 {
			q.refill.remove(int(n.refIdx))
		}
		return
	}
	top := &n.resp.a[0]
	switch {
	case n.inIdx >= 0:
		if q.in.a[n.inIdx].key != top.key || q.in.a[n.inIdx].tie != top.tie {
			q.in.fix(int(n.inIdx), top.key, top.tie)
		}
	case n.overIdx < 0:
		q.in.push(n, top.key, top.tie)
	}
}

// Submit queues an item. The first item of an unknown stream opens the response with the
// item's Tenant and Class, through admission control (use Open first to choose a budget or
// see the decision). Errors: *InvalidError for a bad item, *RejectedError when admission
// refuses the response, *SeqError for a sequence number already released or queued,
// *QueueFullError when there is no room, *CapacityError when the tenant table is full. A
// Deadline more than MaxBudget ahead is an *InvalidError; one already past is accepted (the
// item is late: shed under ShedLate, else released and counted as a miss). On error the item
// stays with the caller; nothing was queued.
//
// To make room for an item, Submit may shed queued items of lower classes; Dispatch hands
// those back, before anything it releases.
func (s *Scheduler[T]) Submit(it Item[T]) error { return s.submit(it, time.Time{}) }

// SubmitAt is Submit with the current time supplied by the caller instead of read from the
// clock, so a producer handling a batch reads the clock once (time.Now costs 20–150 ns
// depending on the platform, as much as the scheduling itself). Times earlier than one the
// scheduler has already seen are taken as that time.
func (s *Scheduler[T]) SubmitAt(now time.Time, it Item[T]) error { return s.submit(it, now) }

func (s *Scheduler[T]) submit(it Item[T], at time.Time) error {
	if it.Stream == "" || len(it.Stream) > MaxNameLen {
		return &InvalidError{Field: "item.stream", Reason: "empty or longer than " + strconv.Itoa(MaxNameLen) + " bytes"}
	}
	if at.IsZero() {
		at = s.clock()
	}
	s.mu.Lock()
	now := s.nowAt(at)
	r := s.resp[it.Stream]
	if r == nil {
		if !it.Class.Valid() {
			s.mu.Unlock()
			return &InvalidError{Field: "item.class", Reason: it.Class.String() + " is not a class"}
		}
		a, err := s.open(Response{Stream: it.Stream, Tenant: it.Tenant, Class: it.Class}, now)
		if err != nil {
			s.mu.Unlock()
			return err
		}
		if a.Decision == Reject {
			s.mu.Unlock()
			return &RejectedError{Stream: it.Stream, Admission: a}
		}
		r = s.resp[it.Stream]
	}
	if r.hasLast && it.Seq <= r.last {
		s.mu.Unlock()
		return &SeqError{Stream: it.Stream, Seq: it.Seq, Last: r.last}
	}
	if r.n >= s.cfg.MaxPerResponse {
		s.mu.Unlock()
		return &QueueFullError{Stream: it.Stream, Class: r.class, Depth: r.n, Capacity: s.cfg.MaxPerResponse, PerResponse: true}
	}
	if s.depth+len(s.out)-s.outHead >= s.cfg.Capacity && !s.shedForRoom(r.class, now) {
		d := s.depth + len(s.out) - s.outHead
		s.mu.Unlock()
		return &QueueFullError{Stream: it.Stream, Class: r.class, Depth: d, Capacity: s.cfg.Capacity}
	}
	sl := slot[T]{seq: it.Seq, enq: now, rel: now, dl: noDeadline, final: it.Final, payload: it.Payload}
	if !it.Release.IsZero() {
		sl.rel = max(now, int64(it.Release.Sub(s.epoch)))
	}
	switch {
	case !it.Deadline.IsZero():
		sl.dl = int64(it.Deadline.Sub(s.epoch))
		if sl.dl-now > int64(MaxBudget) {
			s.mu.Unlock()
			return &InvalidError{Field: "item.deadline", Reason: "more than " + MaxBudget.String() + " ahead"}
		}
	case r.budget > 0:
		sl.dl = now + r.budget
	case s.cfg.Classes[r.class].Budget > 0:
		sl.dl = now + int64(s.cfg.Classes[r.class].Budget)
	}
	s.ord++
	sl.ord = s.ord
	atHead, dup := r.insert(&sl)
	if dup {
		s.mu.Unlock()
		return &SeqError{Stream: it.Stream, Seq: it.Seq, Duplicate: true}
	}
	s.observeArrival(r, now)
	switch {
	case r.n == 1:
		s.place(r, now)
	case atHead:
		s.unplace(r)
		s.place(r, now)
	}
	s.depth++
	q := &s.cls[r.class]
	q.depth++
	q.st.submitted++
	r.lastActive = now
	if s.depth > s.cfg.ShedDepth {
		s.shedDepth(now)
	}
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
	return nil
}

// observeArrival updates the response's period estimate (rate-monotonic key, admission):
// an EWMA of the gaps between arrivals, the first gap taken as is.
func (s *Scheduler[T]) observeArrival(r *response[T], now int64) {
	if r.lastSubmit == now {
		// Items submitted at the same instant are one batch (one job's worth of work), not
		// a period of zero.
		return
	}
	if r.lastSubmit >= 0 {
		gap := float64(now - r.lastSubmit)
		old := r.period
		if r.gaps == 0 {
			r.period = gap
		} else {
			r.period += s.cfg.Alpha * (gap - r.period)
		}
		r.gaps++
		if r.guaranteed {
			q := &s.cls[r.class]
			inv := 1 / r.period
			q.invSum += inv - r.inv
			r.inv = inv
		}
		if s.cfg.Policy == RateMonotonic && r.hidx >= 0 && int64(old) != int64(r.period) {
			n := &r.tenant.nodes[r.class]
			k, t := s.key(r)
			n.resp.fix(int(r.hidx), k, t)
			s.nodeChanged(n)
		}
	}
	r.lastSubmit = now
}

// ObserveCost feeds back the measured service time of one item of class c into the class's
// cost estimate (EWMA with Config.Alpha), used by LLF and admission control.
func (s *Scheduler[T]) ObserveCost(c Class, d time.Duration) error {
	if !c.Valid() {
		return &InvalidError{Field: "class", Reason: c.String() + " is not a class"}
	}
	if d < 0 || d > MaxBudget {
		return &InvalidError{Field: "cost", Reason: d.String() + " is outside 0.." + MaxBudget.String()}
	}
	s.mu.Lock()
	q := &s.cls[c]
	q.cost += s.cfg.Alpha * (float64(d) - q.cost)
	s.mu.Unlock()
	return nil
}

// track adds r to the list the idle sweep walks.
func (s *Scheduler[T]) track(r *response[T]) {
	r.oidx = len(s.openList)
	s.openList = append(s.openList, r)
}

// untrack removes r from it (swap with the last).
func (s *Scheduler[T]) untrack(r *response[T]) {
	last := len(s.openList) - 1
	s.openList[r.oidx] = s.openList[last]
	s.openList[r.oidx].oidx = r.oidx
	s.openList[last] = nil
	s.openList = s.openList[:last]
	if s.hand > last {
		s.hand = 0
	}
}

// Len returns the number of queued items.
func (s *Scheduler[T]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.depth
}
