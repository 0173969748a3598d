package sched

import (
	"time"
)

// maxShedPerCall bounds the work one Dispatch call spends shedding by wait, so a dispatcher
// that fell far behind still returns promptly; the rest is shed by the next calls.
const maxShedPerCall = 1024

// maxSweepPerCall is how many open responses one Dispatch call checks for idleness.
const maxSweepPerCall = 4

// Dispatch appends to dst first every item shed since the last call, then up to n released
// items in policy order (fewer if the queue is empty, the items are not yet due or the token
// buckets are empty), and returns the extended slice. Items found unreleasable on the way
// (waited past ShedAfter, deadline no longer attainable under ShedLate) are appended as Shed.
// With a dst of sufficient capacity Dispatch does not allocate.
//
// When it releases fewer than n items, Wake says when to call again.
func (s *Scheduler[T]) Dispatch(dst []Result[T], n int) []Result[T] {
	return s.DispatchAt(s.clock(), dst, n)
}

// DispatchAt is Dispatch at a time supplied by the caller (see SubmitAt).
func (s *Scheduler[T]) DispatchAt(at time.Time, dst []Result[T], n int) []Result[T] {
	s.mu.Lock()
	now := s.nowAt(at)
	if s.depth > s.cfg.ShedDepth { // after Reconfigure lowered it
		s.shedDepth(now)
	}
	dst = s.drainOut(dst)
	s.wake(now)
	s.sweep(now)
	dst = s.shedWaiting(dst, now)
	for released := 0; released < n; {
		var ok bool
		var res Result[T]
		res, ok = s.next(now)
		if !ok {
			break
		}
		dst = append(dst, res)
		if res.Outcome == Released {
			released++
		}
	}
	s.mu.Unlock()
	return dst
}

// Next releases (or sheds) one item: the next Dispatch result. ok is false when nothing can be
// released now.
func (s *Scheduler[T]) Next() (res Result[T], ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outHead < len(s.out) {
		res = s.popOut()
		return res, true
	}
	now := s.now()
	s.wake(now)
	s.sweep(now)
	return s.next(now)
}

func (s *Scheduler[T]) popOut() Result[T] {
	res := s.out[s.outHead]
	s.out[s.outHead] = Result[T]{}
	s.outHead++
	if s.outHead == len(s.out) {
		s.out, s.outHead = s.out[:0], 0
	}
	return res
}

func (s *Scheduler[T]) drainOut(dst []Result[T]) []Result[T] {
	if s.outHead == len(s.out) {
		return dst
	}
	dst = append(dst, s.out[s.outHead:]...)
	clear(s.out)
	s.out, s.outHead = s.out[:0], 0
	return dst
}

// wake moves responses whose head became due out of the sleep heap.
func (s *Scheduler[T]) wake(now int64) {
	for s.sleep.len() > 0 && s.sleep.a[0].key <= now {
		r := s.sleep.a[0].p
		s.sleep.remove(0)
		s.place(r, now)
	}
}

// candidate returns the class's best node: within its tenant's limit if any (spare false),
// else the over-limit node with the least virtual time (spare true).
func (s *Scheduler[T]) candidate(q *classQ[T], now int64) (*ctNode[T], bool) {
	for q.refill.len() > 0 && q.refill.a[0].key <= now {
		n := q.refill.a[0].p
		q.refill.remove(0)
		q.over.remove(int(n.overIdx))
		q.in.push(n, n.resp.a[0].key, n.resp.a[0].tie)
	}
	for q.in.len() > 0 {
		n := q.in.a[0].p
		b := n.tenant.bucket
		if b == nil || b.conforms(now) {
			return n, false
		}
		q.in.remove(0)
		// Start-time fair queueing: a node rejoining the over-limit set starts at the
		// current virtual time, so time spent idle earns no credit.
		n.vt = max(n.vt, q.spare)
		q.over.push(n, n.vt, 0)
		q.refill.push(n, b.nextAt(now), 0)
	}
	if q.over.len() > 0 {
		return q.over.a[0].p, true
	}
	return nil, false
}

// next picks, pops and accounts for one item.
func (s *Scheduler[T]) next(now int64) (Result[T], bool) {
	pol := s.cfg.Policy
	var best *ctNode[T]
	bestSpare := true
	var bk int64
	var bt uint64
	for c := range s.cls {
		q := &s.cls[c]
		if q.in.len() == 0 && q.over.len() == 0 {
			continue
		}
		if q.bucket != nil && !q.bucket.conforms(now) {
			continue
		}
		n, spare := s.candidate(q, now)
		if n == nil {
			continue
		}
		if pol == FixedPriority {
			// Classes are visited most important first: the first within-limit node wins;
			// a spare node only if no class has one within its limit.
			if !spare {
				best, bestSpare = n, false
				break
			}
			if best == nil {
				best = n
			}
			continue
		}
		k, t := n.resp.a[0].key, n.resp.a[0].tie
		if pol == LLF && k != noDeadline {
			// Laxity = deadline − now − cost; now is common to all, and within a class every
			// item has the same estimated cost, so the class heap (by deadline) is in laxity
			// order too and only the class heads need the cost subtracted.
			k -= int64(q.cost)
		}
		if best == nil || (bestSpare && !spare) || (bestSpare == spare && (k < bk || k == bk && t < bt)) {
			best, bestSpare, bk, bt = n, spare, k, t
		}
	}
	if best == nil {
		return Result[T]{}, false
	}
	r := best.resp.a[0].p
	c := best.class
	q := &s.cls[c]
	h := r.headSlot()
	if s.cfg.Classes[c].ShedLate && !s.cfg.Classes[c].Protected && h.dl != noDeadline && now+int64(q.cost) > h.dl {
		return s.shedHead(r, now, ReasonDeadline), true
	}
	if q.bucket != nil {
		q.bucket.allowAt(now, 1)
	}
	if bestSpare {
		q.spare = best.vt
		best.vt += best.tenant.step
		q.over.fix(int(best.overIdx), best.vt, 0)
	} else if b := best.tenant.bucket; b != nil {
		b.allowAt(now, 1)
	}
	sl := s.pop(r, now)
	wait := now - max(sl.enq, sl.rel)
	q.st.released++
	q.st.wait.add(wait)
	if wait > int64(s.cfg.Classes[c].DelayAfter) {
		q.st.delayed++
	}
	late := sl.dl != noDeadline && now > sl.dl
	if late {
		q.st.late++
	}
	res := s.result(r, &sl, now, Released, ReasonNone)
	res.Late = late
	s.finishIfDone(r, &sl)
	return res, true
}

// pop removes r's head and re-files r.
func (s *Scheduler[T]) pop(r *response[T], now int64) slot[T] {
	sl := r.popHead()
	r.hasLast, r.last = true, sl.seq
	s.depth--
	s.cls[r.class].depth--
	n := &r.tenant.nodes[r.class]
	switch {
	case r.sidx >= 0:
		s.sleep.remove(int(r.sidx))
		if r.n > 0 {
			s.place(r, now)
		}
	case r.n == 0:
		n.resp.remove(int(r.hidx))
		s.nodeChanged(n)
	case r.headSlot().rel > now:
		n.resp.remove(int(r.hidx))
		s.nodeChanged(n)
		s.sleep.push(r, r.headSlot().rel, r.headSlot().ord)
	default:
		k, t := s.key(r)
		n.resp.fix(int(r.hidx), k, t)
		s.nodeChanged(n)
	}
	return sl
}

func (s *Scheduler[T]) result(r *response[T], sl *slot[T], now int64, o Outcome, why Reason) Result[T] {
	res := Result[T]{
		Outcome:  o,
		Reason:   why,
		Stream:   r.stream,
		Tenant:   r.tenant.name,
		Seq:      sl.seq,
		Class:    r.class,
		Final:    sl.final,
		Payload:  sl.payload,
		Enqueued: s.at(sl.enq),
		Wait:     time.Duration(max(0, now-max(sl.enq, sl.rel))),
	}
	if sl.dl != noDeadline {
		res.Deadline = s.at(sl.dl)
	}
	return res
}

func (s *Scheduler[T]) shedHead(r *response[T], now int64, why Reason) Result[T] {
	sl := s.pop(r, now)
	s.cls[r.class].st.shed[why]++
	res := s.result(r, &sl, now, Shed, why)
	s.finishIfDone(r, &sl)
	return res
}

func (s *Scheduler[T]) finishIfDone(r *response[T], sl *slot[T]) {
	if sl.final {
		r.closing = true
	}
	if r.closing && r.n == 0 {
		s.closeResponse(r)
	}
}

// classTop returns the class's next ready response regardless of token buckets: the one
// shedding should take.
func (q *classQ[T]) top() *response[T] {
	switch {
	case q.in.len() > 0:
		return q.in.a[0].p.resp.a[0].p
	case q.over.len() > 0:
		return q.over.a[0].p.resp.a[0].p
	}
	return nil
}

// shedDepth sheds from the lowest unprotected class upward until the depth is back at
// Config.ShedDepth. The shed items go to the outbox.
func (s *Scheduler[T]) shedDepth(now int64) {
	for c := NumClasses - 1; c >= 0 && s.depth > s.cfg.ShedDepth; c-- {
		if s.cfg.Classes[c].Protected {
			continue
		}
		q := &s.cls[c]
		for s.depth > s.cfg.ShedDepth {
			r := q.top()
			if r == nil {
				break
			}
			s.out = append(s.out, s.shedHead(r, now, ReasonDepth))
		}
	}
}

// shedForRoom sheds one item of the lowest unprotected class below class c to make room.
func (s *Scheduler[T]) shedForRoom(c Class, now int64) bool {
	for l := NumClasses - 1; l > int(c); l-- {
		if s.cfg.Classes[l].Protected {
			continue
		}
		if r := s.cls[l].top(); r != nil {
			s.out = append(s.out, s.shedHead(r, now, ReasonCapacity))
			return true
		}
	}
	return false
}

// shedWaiting sheds, lowest class first, class heads that waited longer than ShedAfter.
func (s *Scheduler[T]) shedWaiting(dst []Result[T], now int64) []Result[T] {
	budget := maxShedPerCall
	for c := NumClasses - 1; c >= 0; c-- {
		cc := &s.cfg.Classes[c]
		if cc.ShedAfter <= 0 || cc.Protected {
			continue
		}
		q := &s.cls[c]
		for budget > 0 {
			r := q.top()
			if r == nil {
				break
			}
			h := r.headSlot()
			if now-max(h.enq, h.rel) <= int64(cc.ShedAfter) {
				break
			}
			dst = append(dst, s.shedHead(r, now, ReasonWait))
			budget--
		}
	}
	return dst
}

// sweep closes responses idle for Config.IdleTimeout. It is a clock hand over the open
// responses, a few per call, so that Submit need not maintain an activity order (which would
// cost it two more cache misses per item at 100k queued): an idle response is closed within
// IdleTimeout plus one lap of the hand, len(open)/maxSweepPerCall Dispatch calls.
func (s *Scheduler[T]) sweep(now int64) {
	idle := int64(s.cfg.IdleTimeout)
	for i := 0; i < maxSweepPerCall && len(s.openList) > 0; i++ {
		if s.hand >= len(s.openList) {
			s.hand = 0
		}
		r := s.openList[s.hand]
		if r.n == 0 && now-r.lastActive >= idle {
			s.closeResponse(r) // moves the last response into this slot: look at it next
			continue
		}
		s.hand++
	}
}

// Close marks a response finished: it leaves the admitted set once its queue is empty.
// Closing an unknown stream does nothing.
func (s *Scheduler[T]) Close(stream string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.resp[stream]; r != nil {
		r.closing = true
		if r.n == 0 {
			s.closeResponse(r)
		}
	}
}

func (s *Scheduler[T]) closeResponse(r *response[T]) {
	s.untrack(r)
	s.unadmit(r)
	delete(s.resp, r.stream)
	s.nOpen--
	r.tenant.refs--
	r.tenant = nil
	r.stream = ""
	s.free = append(s.free, r)
}

// Drain sheds every queued item (ReasonShutdown) after the pending shed ones, appending them
// to dst in policy order per class, lowest class last. Use it when shutting down so that
// nothing disappears without a record.
func (s *Scheduler[T]) Drain(dst []Result[T]) []Result[T] {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	dst = s.drainOut(dst)
	for s.sleep.len() > 0 {
		r := s.sleep.a[0].p
		s.sleep.remove(0)
		n := &r.tenant.nodes[r.class]
		k, t := s.key(r)
		n.resp.push(r, k, t)
		s.nodeChanged(n)
	}
	for c := range s.cls {
		q := &s.cls[c]
		for r := q.top(); r != nil; r = q.top() {
			dst = append(dst, s.shedHead(r, now, ReasonShutdown))
		}
	}
	return dst
}

// Wake returns when Dispatch may next release something: now if an item is ready and its
// class's bucket has a token, else the earliest time a sleeping item becomes due or a bucket
// holding back queued work refills. ok is false when nothing is queued.
func (s *Scheduler[T]) Wake() (t time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outHead < len(s.out) {
		return s.clock(), true
	}
	now := s.now()
	best := int64(noDeadline)
	if s.sleep.len() > 0 {
		best = s.sleep.a[0].key
	}
	for c := range s.cls {
		q := &s.cls[c]
		if q.in.len() == 0 && q.over.len() == 0 {
			continue
		}
		when := now
		if q.bucket != nil {
			when = q.bucket.nextAt(now)
		}
		// Over-limit nodes may use spare capacity, so only the class bucket matters.
		best = min(best, when)
	}
	if best == noDeadline {
		return time.Time{}, false
	}
	return s.at(max(best, now)), true
}
