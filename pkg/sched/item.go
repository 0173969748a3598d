package sched

import (
	"math"
	"time"
)

// Item is one unit of work: a chunk of a response.
type Item[T any] struct {
	Stream string // the response; required
	Seq    uint64 // position within the response; released in increasing order
	// Tenant and Class are used when Submit opens the response implicitly (its first item);
	// later items inherit the response's tenant and (possibly degraded) class. Mind that the
	// zero Class is Critical: map a missing priority to Normal (ParseClass("") does).
	Tenant string
	Class  Class
	// Deadline is the absolute time by which the item should be released. Zero means the
	// response's budget (Response.Budget, else the class's Budget) after submission; no
	// deadline at all if both are zero.
	Deadline time.Time
	// Release is the earliest time the item may be released; zero means at once.
	Release time.Time
	// Final marks the response's last item: once it is released or shed the response closes
	// and leaves the admitted set.
	Final   bool
	Payload T
}

// Outcome says what happened to an item.
type Outcome uint8

// Outcomes.
const (
	Released Outcome = iota // hand the item to the analysers
	Shed                    // the item will not be analysed; record it (a verdict), do not drop it
)

func (o Outcome) String() string {
	if o == Shed {
		return "shed"
	}
	return "released"
}

// Reason says why an item was shed.
type Reason uint8

// Shed reasons.
const (
	ReasonNone     Reason = iota // released
	ReasonDepth                  // the queue was deeper than Config.ShedDepth; lowest class went first
	ReasonWait                   // the item waited longer than its class's ShedAfter
	ReasonDeadline               // its deadline could no longer be met (class ShedLate)
	ReasonCapacity               // the scheduler was full and a higher-class item needed the room
	ReasonShutdown               // Drain was called

	// NumReasons is the number of reasons, the length of ClassStats.Shed.
	NumReasons = iota
)

var reasonNames = [NumReasons]string{"none", "depth", "wait", "deadline", "capacity", "shutdown"}

func (r Reason) String() string {
	if r < NumReasons {
		return reasonNames[r]
	}
	return "reason(?)"
}

// Result is an item leaving the scheduler, released or shed.
type Result[T any] struct {
	Outcome Outcome
	Reason  Reason // ReasonNone when released
	Stream  string
	Tenant  string
	Seq     uint64
	Class   Class // the class the item was scheduled in (after any degradation)
	Final   bool
	Payload T
	// Enqueued is when the item was submitted; Deadline is zero if it had none.
	Enqueued time.Time
	Deadline time.Time
	// Wait is the time from submission (or the item's Release time, if later) until now.
	Wait time.Duration
	// Late is set on a released item whose deadline had already passed.
	Late bool
}

const noDeadline = math.MaxInt64

// slot is an item inside a response's queue.
type slot[T any] struct {
	seq     uint64
	ord     uint64 // global arrival order, the FIFO tie-break
	enq     int64  // ns since the scheduler's epoch
	rel     int64
	dl      int64 // noDeadline if none
	final   bool
	payload T
}

// response is one LLM response: a FIFO of slots ordered by seq; only the head competes. The
// fields Submit touches come first, so that with 100k items queued over 10k responses an
// append costs as few cache misses as possible.
type response[T any] struct {
	ring       []slot[T] // power-of-two capacity
	head, n    int
	last       uint64 // last seq released or shed
	lastSubmit int64
	period     float64 // ns, EWMA of inter-arrival gaps
	hidx, sidx int32   // index in the (class, tenant) node's heap / in the sleep heap; -1 if absent
	class      Class
	hasLast    bool
	closing    bool
	guaranteed bool

	budget     int64 // per-item deadline budget, ns; 0 = class default
	lastActive int64
	gaps       int
	stream     string
	tenant     *tenant[T]
	inv        float64 // 1/period counted in the class's admission sum
	aidx       int     // index in the scheduler's admitted slice, -1 if not admitted as guaranteed
	oidx       int     // index in the scheduler's open list
}

func (r *response[T]) headSlot() *slot[T] { return &r.ring[r.head] }

// insert puts sl into the queue in seq order, returning whether it became the head. Items
// normally arrive in order, so the scan from the tail stops at once.
func (r *response[T]) insert(sl *slot[T]) (atHead bool, dup bool) {
	if r.n == len(r.ring) {
		nr := make([]slot[T], max(4, 2*len(r.ring)))
		for i := 0; i < r.n; i++ {
			nr[i] = r.ring[(r.head+i)&(len(r.ring)-1)]
		}
		r.ring, r.head = nr, 0
	}
	mask := len(r.ring) - 1
	i := r.n
	for i > 0 {
		p := &r.ring[(r.head+i-1)&mask]
		if p.seq < sl.seq {
			break
		}
		if p.seq == sl.seq {
			return false, true
		}
		i--
	}
	for j := r.n; j > i; j-- {
		r.ring[(r.head+j)&mask] = r.ring[(r.head+j-1)&mask]
	}
	r.ring[(r.head+i)&mask] = *sl
	r.n++
	return i == 0, false
}

func (r *response[T]) popHead() slot[T] {
	sl := r.ring[r.head]
	r.ring[r.head] = slot[T]{}
	r.head = (r.head + 1) & (len(r.ring) - 1)
	r.n--
	return sl
}

// ctNode holds one tenant's responses of one class.
type ctNode[T any] struct {
	class  Class
	tenant *tenant[T]
	resp   iheap[*response[T]] // ready responses keyed by their head's policy key
	// A node with ready responses sits either in its class's in-profile heap (keyed by its
	// best head) or, when the tenant's bucket is empty, in the over-profile heap (keyed by vt)
	// and the refill heap (keyed by when the tenant next has a token).
	inIdx, overIdx, refIdx int32
	vt                     int64 // virtual time for weighted sharing of spare capacity
}

type tenant[T any] struct {
	name   string
	bucket *TokenBucket // nil: unlimited
	step   int64        // vt added per spare release: 1e9/weight
	refs   int          // open responses
	nodes  [NumClasses]ctNode[T]
}
