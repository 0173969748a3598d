package sched

import (
	"context"
	"math"
	"strconv"
	"sync/atomic"
	"time"
)

// MaxRate is the largest token rate a bucket accepts, one token per nanosecond.
const MaxRate = 1e9

// Rate is a token-bucket limit: PerSecond tokens are added per second up to Burst tokens.
// Both must be positive and finite; PerSecond at most MaxRate and Burst at least 1 (a bucket
// that can never hold one token would never release anything).
type Rate struct {
	PerSecond float64 `json:"per_second"`
	Burst     float64 `json:"burst"`
}

func (r Rate) validate(field string) error {
	switch {
	case math.IsNaN(r.PerSecond) || math.IsInf(r.PerSecond, 0) || r.PerSecond <= 0:
		return &InvalidError{Field: field + ".per_second", Reason: strconv.FormatFloat(r.PerSecond, 'g', -1, 64) + " is not a positive rate"}
	case r.PerSecond > MaxRate:
		return &InvalidError{Field: field + ".per_second", Reason: "above the maximum of 1e9 per second"}
	case math.IsNaN(r.Burst) || math.IsInf(r.Burst, 0) || r.Burst < 1:
		return &InvalidError{Field: field + ".burst", Reason: strconv.FormatFloat(r.Burst, 'g', -1, 64) + " is below 1"}
	case r.Burst/r.PerSecond > 1e6:
		return &InvalidError{Field: field + ".burst", Reason: "takes more than a million seconds to refill"}
	}
	return nil
}

// TokenBucket is a lock-free token bucket, implemented as the generic cell rate algorithm
// (GCRA): its whole state is one atomic "theoretical arrival time" (tat), so taking a token is
// one load and one compare-and-swap. The bucket is full when tat ≤ now and empty when
// tat − now ≥ Burst/PerSecond.
//
// Precision: the interval between tokens is kept in whole nanoseconds, so the effective rate
// differs from the configured one by at most 0.5 ns per interval (relative error
// ≤ PerSecond/2e9: exact for 1 M/s, 0.017 % for 333 k/s).
type TokenBucket struct {
	tat      atomic.Int64 // ns since epoch
	interval atomic.Int64 // ns per token
	tau      atomic.Int64 // ns of credit a full bucket holds: Burst × interval
	epoch    time.Time
	now      func() time.Time
}

// NewTokenBucket returns a full bucket with the given limit. now is the clock (nil for
// time.Now); tests pass a fake one.
func NewTokenBucket(r Rate, now func() time.Time) (*TokenBucket, error) {
	if now == nil {
		now = time.Now
	}
	b := &TokenBucket{epoch: now(), now: now}
	if err := b.SetLimit(r); err != nil {
		return nil, err
	}
	return b, nil
}

// newBucket is the scheduler's constructor: the scheduler passes ns since its own epoch.
func newBucket(r Rate, epoch time.Time) *TokenBucket {
	b := &TokenBucket{epoch: epoch}
	b.setLimit(r)
	return b
}

// SetLimit changes the rate and burst, keeping the time the bucket needs to refill
// completely: a bucket that was empty stays empty and refills at the new rate.
func (b *TokenBucket) SetLimit(r Rate) error {
	if err := r.validate("rate"); err != nil {
		return err
	}
	b.setLimit(r)
	return nil
}

func (b *TokenBucket) setLimit(r Rate) {
	iv := int64(math.Round(1e9 / r.PerSecond))
	if iv < 1 {
		iv = 1
	}
	b.interval.Store(iv)
	b.tau.Store(int64(math.Round(r.Burst * float64(iv))))
}

// Limit returns the current rate and burst.
func (b *TokenBucket) Limit() Rate {
	iv := float64(b.interval.Load())
	return Rate{PerSecond: 1e9 / iv, Burst: float64(b.tau.Load()) / iv}
}

func (b *TokenBucket) ns(t time.Time) int64 { return int64(t.Sub(b.epoch)) }

// Allow takes one token if there is one.
func (b *TokenBucket) Allow() bool { return b.allowAt(b.ns(b.now()), 1) }

// AllowN takes n tokens at time t if all n are there; otherwise it takes none.
func (b *TokenBucket) AllowN(t time.Time, n int) bool { return b.allowAt(b.ns(t), int64(n)) }

// Tokens returns the number of tokens available at time t.
func (b *TokenBucket) Tokens(t time.Time) float64 {
	now := b.ns(t)
	tat := max(b.tat.Load(), now)
	return float64(b.tau.Load()-(tat-now)) / float64(b.interval.Load())
}

// Wait takes one token, blocking until it is available or ctx is done. If ctx's deadline comes
// before the token would, Wait returns at once with ctx's error (context.DeadlineExceeded when
// the deadline has not yet passed) and takes nothing.
func (b *TokenBucket) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := b.now()
	n := b.ns(now)
	iv := b.interval.Load()
	for {
		tat := b.tat.Load()
		next := max(tat, n) + iv
		delay := next - n - b.tau.Load()
		if delay <= 0 {
			if b.tat.CompareAndSwap(tat, next) {
				return nil
			}
			continue
		}
		if dl, ok := ctx.Deadline(); ok && dl.Sub(now) < time.Duration(delay) {
			return context.DeadlineExceeded
		}
		if !b.tat.CompareAndSwap(tat, next) {
			continue
		}
		t := time.NewTimer(time.Duration(delay))
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			t.Stop()
			// Give the reservation back; later reservations keep theirs, so this only
			// returns credit that nobody has counted on yet.
			b.tat.Add(-iv)
			return ctx.Err()
		}
	}
}

func (b *TokenBucket) allowAt(now, n int64) bool {
	iv, tau := b.interval.Load(), b.tau.Load()
	for {
		tat := b.tat.Load()
		next := max(tat, now) + n*iv
		if next-now > tau {
			return false
		}
		if b.tat.CompareAndSwap(tat, next) {
			return true
		}
	}
}

// conforms reports whether one token is available at now, without taking it.
func (b *TokenBucket) conforms(now int64) bool {
	return max(b.tat.Load(), now)+b.interval.Load()-now <= b.tau.Load()
}

// nextAt returns the earliest time (ns since epoch, ≥ now) at which one token is available.
func (b *TokenBucket) nextAt(now int64) int64 {
	return max(now, b.tat.Load()+b.interval.Load()-b.tau.Load())
}

// full reports whether the bucket holds its whole burst at now.
func (b *TokenBucket) full(now int64) bool { return b.tat.Load() <= now }
